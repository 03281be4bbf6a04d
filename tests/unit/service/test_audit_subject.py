"""An audit line's subject is bounded (`recall.service.accounts.commands.bounded_subject`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recall.service.accounts.commands import AUDIT_SUBJECT_CHARS, bounded_subject


@given(st.text(max_size=1000))
def test_a_subject_fits_the_column_and_a_short_one_is_kept(subject: str) -> None:
    kept = bounded_subject(subject)
    assert len(kept) <= AUDIT_SUBJECT_CHARS
    if len(subject) <= AUDIT_SUBJECT_CHARS:
        assert kept == subject
    else:
        assert kept == subject[: AUDIT_SUBJECT_CHARS - 1] + "…"
