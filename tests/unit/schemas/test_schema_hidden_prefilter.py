"""The fast test for hidden characters agrees with the per-character rule it short-cuts.

`schemas.common._refuse_hidden_characters` runs its naming loop only when
`_has_hidden_character` says the text holds a control, format or surrogate character; the
errors themselves are covered in test_schema_unicode.py. Here the short-cut is compared with
`unicodedata.category` on any text, ASCII or not, including once its table is full.
"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import common
from schemas.common import _has_hidden_character


def _hidden(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cf", "Cc", "Cs") for c in text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=40))
def test_agrees_with_the_categories_on_any_text(text: str) -> None:
    assert _has_hidden_character(text) == _hidden(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_agrees_on_ascii_text(text: str) -> None:
    assert _has_hidden_character(text) == _hidden(text)


def test_every_code_point_of_the_bmp_alone_and_in_text() -> None:
    for code_point in range(0x10000):
        char = chr(code_point)
        expected = unicodedata.category(char) in ("Cf", "Cc", "Cs")
        assert _has_hidden_character(char) == expected, hex(code_point)
        assert _has_hidden_character(f"Acme {char} 中") == expected, hex(code_point)


def test_the_table_stops_growing_at_its_bound() -> None:
    for code_point in range(0x20000, 0x20000 + common._HIDDEN_CACHED + 10):
        _has_hidden_character(chr(code_point))
    assert len(common._HIDDEN) <= common._HIDDEN_CACHED
    assert _has_hidden_character("\U000e0001") and not _has_hidden_character("\U00020000")
