from grants.exports import csv_content


def test_csv_is_semicolon_bom_danish_numbers_and_formula_safe():
    text = csv_content(
        [
            ["Kommune", "Tilskud"],
            ["Lyngby-Taarbæk", 11_280_000],
            ["=1+1", None],
            ["@SUM(A1)", -3_596_000],
            ["+45 1234", True],
        ]
    )
    assert text.startswith("\ufeffKommune;Tilskud\r\n")
    lines = text.lstrip("\ufeff").split("\r\n")
    assert lines[1] == "Lyngby-Taarbæk;11.280.000"
    assert lines[2] == "'=1+1;"
    assert lines[3] == "'@SUM(A1);-3.596.000"
    assert lines[4] == "'+45 1234;Ja"
