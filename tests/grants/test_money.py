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
