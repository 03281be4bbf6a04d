"""The digit-count pre-filters of the privacy scan never hide an identifier the full scan finds.

`schemas.privacy._find` skips the tokenising scan of a string, and of each digit region of a
string, whose class view holds fewer digits than the shortest identifier (11) and no
multi-digit character. These tests compare it with the full scan (`_runs` over the class view
tokenising every region, the scan every string went through before)
on generated text built from what identifiers are made of — digits of several scripts, circled
and fraction characters, separators, invisible characters, X, letters, JSON escapes — so the
short-cut is held to be exact, not merely plausible.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.privacy import _class_view, _find, _runs, personal_identifier_in, redact_text

PIECES = st.sampled_from(
    [
        *"0123456789",
        "１",  # full-width digit
        "٣",  # Arabic-Indic digit
        "①",  # circled one: a single digit
        "⑩",  # circled ten: one character, two digits
        "½",  # fraction: one character, two digits
        *" -./_·\u3000",  # separators
        "\u200b",  # zero-width space (ignored)
        "\u0301",  # combining mark (ignored)
        *"Xxab",
        "身份证",
        "\\u0031",  # a JSON-escaped digit
        "\\n",
        "13800138000",
        "110101199003074573",
        "44030419851015123",
        "110105491231002",
    ]
)
TEXTS = st.lists(PIECES, max_size=30).map("".join)


def _full_scan(text: str, json_escapes: bool) -> list[tuple[int, str]]:
    """(start, kind) of every identifier the tokenising scan finds, with no pre-filter."""
    classes, decoded = _class_view(text, json_escapes)
    runs = _runs(classes, text, decoded, skip_sparse=False)
    return [(start, kind) for run in runs for start, _, kind in run.matches()]


@settings(max_examples=600, deadline=None)
@given(TEXTS, st.booleans())
def test_prefilter_finds_what_the_full_scan_finds(text: str, json_escapes: bool) -> None:
    found = [(start, kind) for start, _, kind in _find(text, json_escapes)]
    assert found == _full_scan(text, json_escapes)


def test_ten_digits_are_skipped_and_eleven_are_scanned() -> None:
    assert personal_identifier_in("1380013800") is None
    assert personal_identifier_in("13800138000") is not None
    assert redact_text("138 0013 8000")[1] == 1


def test_a_multi_digit_character_is_always_scanned() -> None:
    # "⑬" folds to "13": eleven digits written with ten characters, nine of them digits.
    assert personal_identifier_in("⑬800138000") is not None
