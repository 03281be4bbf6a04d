"""The lab-figure parser: one comparator, one number, one unit, or no margin (never an error)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall.domain.risk.margin import MAX_TEXT_CHARS, Quantity, failure_margin, parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.9 mA", Quantity(0.9, "mA")),
        ("0.9mA", Quantity(0.9, "mA")),
        ("≤ 0.75 mA", Quantity(0.75, "mA", "max")),
        ("<=30 s", Quantity(30.0, "s", "max")),
        ("max 220 mm", Quantity(220.0, "mm", "max")),
        ("≥ 90 N", Quantity(90.0, "N", "min")),
        ("min. 10 N", Quantity(10.0, "N", "min")),
        ("12 °C", Quantity(12.0, "°C")),
        (" 3 ", Quantity(3.0, "")),
        (".5 s", Quantity(0.5, "s")),
        ("-4 K", Quantity(-4.0, "K")),
    ],
)
def test_one_figure_is_read(text: str, expected: Quantity) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "fits the cylinder",
        "",
        "1e3 mm",
        "1,000 mm",
        "10-20 mm",
        "10 mm 20 mm",
        "nan",
        "inf",
        "≤",
        "about 5 mm",
        "5" * (MAX_TEXT_CHARS + 1),
        None,
        5,
    ],
)
def test_anything_else_is_not_a_figure(text: object) -> None:
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    ("measured", "limit", "margin"),
    [
        ("0.9 mA", "≤ 0.75 mA", 0.2),  # past a maximum
        ("80 N", "≥ 100 N", 0.2),  # short of a minimum
        ("230 mm", "220 mm", 10 / 220),  # a bare limit: either side
        ("210 mm", "220 mm", 10 / 220),
        ("75 K", "≤ 75 K", 0.0),  # at the limit: a failure by nothing
    ],
)
def test_the_margin_is_relative_to_the_limit_on_the_failing_side(
    measured: str, limit: str, margin: float
) -> None:
    assert failure_margin(measured, limit) == pytest.approx(margin)


@pytest.mark.parametrize(
    ("measured", "limit"),
    [
        ("0.9 A", "≤ 0.75 mA"),  # units differ: no conversion
        ("0.9", "≤ 0.75 mA"),  # one has no unit
        ("0.5 mA", "≤ 0.75 mA"),  # on the passing side: contradicts the verdict
        ("120 N", "≥ 90 N"),
        ("5 mm", "0 mm"),  # a zero limit has no relative margin
        ("≤ 5 mm", "4 mm"),  # a measurement stating a bound is not a measurement
        ("breakdown", "no breakdown"),
        (None, "≤ 0.75 mA"),
        ("0.9 mA", None),
    ],
)
def test_no_margin_when_the_figures_do_not_compare(measured: object, limit: object) -> None:
    assert failure_margin(measured, limit) is None


@given(st.text(max_size=80), st.text(max_size=80))
def test_any_text_gives_a_margin_or_none_never_an_error(measured: str, limit: str) -> None:
    margin = failure_margin(measured, limit)
    assert margin is None or margin >= 0.0
