"""Cell parsing: numbers, dates, months, USCC check digits (docs/CONTRACT.md §1), by example and by property."""
import datetime as dt
import re
from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.uscc import USCC_CHARS, uscc_check_char, uscc_is_valid
from etl.parse import date_expr, month_expr, number_expr, parse_date, parse_month, parse_number, uscc_check_char_expr

FULLWIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
EXCEL_EPOCH = dt.date(1899, 12, 30)


@pytest.mark.parametrize("text, expected", [
    ("1234.5", "1234.5"), ("1,234.5", "1234.5"), ("１２３４．５", "1234.5"), ("  88  ", "88"),
    ("\u3000500\u3000", "500"), ("２０００", "2000"), ("－５", "-5"), ("-20", "-20"), ("+3", "3"),
    ("12,345,678.1234", "12345678.1234"),
    ("0.00005", "0"), ("0.00015", "0.0002"), (1234.5, "1234.5"), (7, "7"),
])
def test_numbers_accepted(text, expected):
    assert parse_number(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["约500", "5亿", "五百", "500万元", "1,23", "12,3456", "1e5", "", "  ", "1.2.3",
                                  "--5", "¥500", "500元", "N/A"])
def test_not_numbers(text):
    assert parse_number(text) is None


def test_huge_numbers_parse_so_that_validation_can_call_them_out_of_range():
    # Stored amounts are DECIMAL(18,4); parsing is wider, so 18 digits are "超出范围", not "不是数字" (etl.rules).
    assert parse_number("123456789012345678") == Decimal("123456789012345678")
    assert parse_number("99999999999999.9999") == Decimal("99999999999999.9999")


@pytest.mark.parametrize("text", ["2025-03-15", "2025/3/15", "2025.3.15", "2025年3月15日", "2025-03-15 00:00:00",
                                  "２０２５－０３－１５", "45731", "45731.75", " 2025-3-15 "])
def test_dates_accepted(text):
    assert parse_date(text) == dt.date(2025, 3, 15)


@pytest.mark.parametrize("text", ["2025-02-30", "2025-13-01", "2025", "15/03/2025", "三月十五日", "2025-03",
                                  "100", "2025年3月", "20250315"])
def test_not_dates(text):
    assert parse_date(text) is None


@pytest.mark.parametrize("text", ["2025-03", "2025年3月", "2025/3", "2025.3", "2025年03月", "2025-03-01",
                                  "2025-03-31", "45731", "２０２５年３月"])
def test_months_accepted(text):
    assert parse_month(text) == dt.date(2025, 3, 1)


@pytest.mark.parametrize("text", ["2025-13", "三月", "2025", "03/2025", "2025Q1"])
def test_not_months(text):
    assert parse_month(text) is None


def test_uscc_known_valid_codes():
    # The standard's worked example, and the public codes of Huawei Technologies and Xiaomi.
    for code in ("91350100M000100Y43", "914403001922038216", "91110108551385082Q"):
        assert uscc_is_valid(code), code
        assert uscc_check_char(code[:17]) == code[17]


def test_uscc_rejects_bad_check_character_and_bad_shapes():
    assert not uscc_is_valid("91350100M000100Y44")
    assert not uscc_is_valid("91350100M000100Y4")      # 17 characters
    assert not uscc_is_valid("91350100I000100Y43")     # I is not in the character set
    assert not uscc_is_valid(None)
    with pytest.raises(ValueError, match="统一社会信用代码"):
        uscc_check_char("ABC")


# --------------------------------------------------------------------------- properties
# No per-example deadline: the machine is shared, and timing is not what these tests are about.
PROPERTY = settings(deadline=None)

amounts = st.decimals(min_value=Decimal("-99999999999999.9999"), max_value=Decimal("99999999999999.9999"),
                      places=4, allow_nan=False, allow_infinity=False)


@PROPERTY
@given(st.one_of(amounts, st.integers(-10**13, 10**13).map(Decimal)))
def test_number_round_trips_in_every_accepted_spelling(d):
    plain = format(d, "f")
    grouped = f"{d:,f}"
    for text in (plain, grouped, f"  {plain} ", plain.translate(FULLWIDTH), grouped.translate(FULLWIDTH)):
        assert parse_number(text) == d, text


@PROPERTY
@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=8, allow_nan=False))
def test_extra_decimals_round_half_even_to_four_places(d):
    assert parse_number(format(d, "f")) == d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


@PROPERTY
@given(amounts, st.sampled_from(["约", "亿", "万元", "元", "多", "左右", "a", "¥", "五"]), st.booleans())
def test_numbers_with_words_or_units_are_not_numbers(d, word, before):
    text = f"{word}{format(d, 'f')}" if before else f"{format(d, 'f')}{word}"
    assert parse_number(text) is None


dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31))


@PROPERTY
@given(dates)
def test_date_round_trips_in_every_accepted_spelling(d):
    serial = (d - EXCEL_EPOCH).days
    texts = [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month}.{d.day}",
             f"{d.year}年{d.month}月{d.day}日", f"{d.isoformat()} 00:00:00", str(serial), f"{serial}.5",
             d.isoformat().translate(FULLWIDTH)]
    assert pl.select(date_expr(pl.Series(texts))).to_series().to_list() == [d] * len(texts)


@PROPERTY
@given(st.integers(1950, 2099), st.integers(1, 12), st.integers(29, 31))
def test_impossible_dates_are_not_dates(year, month, day):
    try:
        real = dt.date(year, month, day)
    except ValueError:
        real = None
    assert parse_date(f"{year}-{month}-{day}") == real


@PROPERTY
@given(dates)
def test_month_of_any_spelling_is_its_first_day(d):
    texts = [f"{d.year}-{d.month:02d}", f"{d.year}年{d.month}月", f"{d.year}/{d.month}", d.isoformat(),
             str((d - EXCEL_EPOCH).days)]
    assert pl.select(month_expr(pl.Series(texts))).to_series().to_list() == [d.replace(day=1)] * len(texts)


@PROPERTY
@given(st.text(alphabet=USCC_CHARS, min_size=17, max_size=17), st.sampled_from(USCC_CHARS))
def test_uscc_exactly_one_check_character_is_valid(first17, last):
    check = uscc_check_char(first17)
    assert uscc_is_valid(first17 + check)
    assert uscc_is_valid(first17 + last) == (last == check)


def reference_number(text: str) -> Decimal | None:
    """An independent reading of the contract's number rule, for comparison."""
    t = text.translate(str.maketrans("０１２３４５６７８９．，－＋\u3000", "0123456789.,-+ ")).strip()
    if not re.fullmatch(r"[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]+)?", t):
        return None
    d = Decimal(t.replace(",", "")).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
    return d if abs(d) < 10**14 else None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789０１２３４５６７８９.,，．-－+＋ \u3000约亿e", max_size=12))
def test_number_parsing_agrees_with_a_reference_reading(text):
    assert parse_number(text) == reference_number(text)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet=USCC_CHARS, min_size=17, max_size=17), min_size=1, max_size=20))
def test_vectorised_check_character_matches_per_value(bodies):
    got = pl.select(uscc_check_char_expr(pl.Series([b + "0" for b in bodies]))).to_series().to_list()
    assert got == [uscc_check_char(b) for b in bodies]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(amounts.map(lambda d: format(d, "f")), st.text(max_size=8)), max_size=30))
def test_vectorised_numbers_match_per_value(texts):
    col = pl.Series(texts, dtype=pl.String)
    assert pl.select(number_expr(col)).to_series().to_list() == [parse_number(t) for t in texts]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(dates.map(str), st.text(max_size=10)), max_size=30))
def test_vectorised_dates_match_per_value(texts):
    col = pl.Series(texts, dtype=pl.String)
    assert pl.select(date_expr(col)).to_series().to_list() == [parse_date(t) for t in texts]
