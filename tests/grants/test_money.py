import pytest
from hypothesis import given
from hypothesis import strategies as st

from grants.money import AmountError, format_kroner, parse_kroner


@pytest.mark.parametrize(
    "text, expected",
    [
        ("11.280.000", 11_280_000),
        ("11280000", 11_280_000),
        ("11 280 000", 11_280_000),
        ("11\u00a0280\u00a0000", 11_280_000),
        ("0", 0),
        ("  64.000 ", 64_000),
        ("300.000 kr.", 300_000),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_accepts_danish_amounts(text, expected):
    assert parse_kroner(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("abc", "er ikke et beløb"),
        ("11.28.000", "er ikke et beløb"),
        ("11,280,000", "er ikke et beløb"),
        ("1.000 000", "er ikke et beløb"),
        ("12,50", "hele kroner"),
        ("-5.000", "negativt"),
        ("1e6", "er ikke et beløb"),
        ("99999999999999", "for stort"),
        # Digits of other scripts are digits to Python's \d and int(), not amounts here.
        ("\u0661\u0662\u0663", "er ikke et beløb"),  # Arabic-Indic ١٢٣
        ("\uff11\uff12\uff13", "er ikke et beløb"),  # full-width １２３
        ("\u0967\u0968\u0969", "er ikke et beløb"),  # Devanagari १२३
        ("\U0001d7cf\U0001d7d0\U0001d7d1", "er ikke et beløb"),  # mathematical 𝟏𝟐𝟑
        ("1" * 5000, "for langt"),  # int() of thousands of digits raises ValueError
    ],
)
def test_parse_refuses_anything_else_with_a_danish_message(text, message):
    with pytest.raises(AmountError, match=message):
        parse_kroner(text)


def test_negative_allowed_only_where_asked():
    assert parse_kroner("-4.795.000", allow_negative=True) == -4_795_000


def test_format():
    assert format_kroner(11_280_000) == "11.280.000"
    assert format_kroner(0) == "0"
    assert format_kroner(999) == "999"
    assert format_kroner(-3_596_000) == "-3.596.000"
    assert format_kroner(None) == ""
    assert format_kroner(None, empty="–") == "–"


@given(st.integers(min_value=0, max_value=10**13 - 1))
def test_format_parse_round_trip(amount):
    text = format_kroner(amount)
    assert parse_kroner(text) == amount
    assert parse_kroner(text.replace(".", " ")) == amount
    assert parse_kroner(text.replace(".", "")) == amount


def test_the_entry_form_refuses_non_ascii_digits_and_saves_nothing(client, ishoj):
    from tests.conftest import audit_size, get_statement
    from tests.grants.test_edit import EDIT, post_data

    client.force_login(ishoj)
    s = get_statement("183", 2016)
    data = post_data(s)
    row = next(k for k in data if k.startswith("amount-"))
    before = audit_size()
    response = client.post(EDIT, {**data, row: "\uff11\uff12\uff13"})
    assert response.status_code == 400
    assert "er ikke et beløb" in response.content.decode()
    assert audit_size() == before
