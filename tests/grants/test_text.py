"""grants.text: the rules every user text keeps, for the forms and the import alike."""

from grants.text import CONTROL_CHARACTERS, control_character_error, text_error


def test_every_c0_control_and_del_is_refused_but_tab_and_line_breaks():
    allowed = {"\t", "\n", "\r"}
    for code in [*range(0x20), 0x7F]:
        char = chr(code)
        assert (control_character_error(f"a{char}b") is None) == (char in allowed), hex(code)
    assert CONTROL_CHARACTERS.search("Æble, pære og ½ kr.\u00a0\u2028") is None


def test_the_message_names_the_character_and_where_it_is():
    assert control_character_error("Fem\x07") == (
        "Teksten indeholder et kontroltegn (U+0007) ved tegn nr. 4. Fjern det, og prøv igen."
    )


def test_length_is_checked_before_characters():
    assert text_error("x" * 500, max_length=500) is None
    assert text_error("x" * 32_768, max_length=32_767) == (
        "Teksten er på 32.768 tegn; der må højst være 32.767."
    )
    assert text_error("\x00", max_length=5).startswith("Teksten indeholder et kontroltegn (U+0000)")
