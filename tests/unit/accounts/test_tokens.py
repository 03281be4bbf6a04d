"""Bearer tokens: the format, the public half, and the digest comparison."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recall.service.accounts import tokens


def test_an_issued_token_has_the_documented_shape_and_matches_only_itself() -> None:
    token = tokens.issue()
    assert len(token.text) == tokens.TOKEN_LENGTH == 64
    assert token.text.startswith("rt1_")
    assert tokens.token_id_of(token.text) == token.token_id
    assert len(token.token_id) == 16
    assert token.sha256 == tokens.digest(token.text)
    assert tokens.matches(token.text, token.sha256)
    assert not tokens.matches(tokens.issue().text, token.sha256)
    assert token.text not in repr(token)


def test_token_ids_are_cut_at_fixed_positions_even_when_they_contain_underscores() -> None:
    text = "rt1_" + "ab_cd-ef_gh-ij_k" + "_" + "x" * 43
    assert tokens.token_id_of(text) == "ab_cd-ef_gh-ij_k"


@given(st.text(max_size=80))
def test_anything_else_is_malformed_and_never_raises(text: str) -> None:
    found = tokens.token_id_of(text)
    if found is not None:
        assert len(text) == 64 and text.startswith("rt1_") and text[20] == "_"


def test_wrong_prefix_length_separator_or_alphabet_is_refused() -> None:
    good = tokens.issue().text
    assert tokens.token_id_of("rt2_" + good[4:]) is None
    assert tokens.token_id_of(good + "x") is None
    assert tokens.token_id_of(good[:20] + "." + good[21:]) is None
    assert tokens.token_id_of(good[:30] + "é" + good[31:]) is None
