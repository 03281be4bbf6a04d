"""`recall replay`'s options on SQLite: the window, the category, --dry-run, a bad window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from recall.adapters.db.models import Event, RiskScoreRow
from recall.cli.common import sessions
from recall.config import load_settings
from tests.support.replay_history import START, history

from .support import Invoke


def _store() -> int:
    db = sessions(load_settings())
    stored = history()
    with db.begin() as session:
        session.execute(insert(Event), [s.row for s in stored])
    return len(stored)


def _scores() -> int:
    with sessions(load_settings())() as session:
        return session.scalar(select(func.count()).select_from(RiskScoreRow)) or 0


def test_dry_run_reads_the_window_and_writes_nothing(recall_cli: Invoke) -> None:
    total = _store()
    result = recall_cli("replay", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run, nothing written" in result.output and f"{total}/{total}" in result.output
    assert _scores() == 0


def test_window_and_category_narrow_what_is_replayed(recall_cli: Invoke) -> None:
    stored = _store()
    since = (START + timedelta(days=30)).strftime("%Y-%m-%d")
    later = sum(1 for s in history() if s.row["received_at"] >= START + timedelta(days=30))
    assert 0 < later < stored
    result = recall_cli("replay", "--since", since, "--category", "appliances")
    assert result.exit_code == 0, result.output
    assert f"{later}/{later}" in result.output
    with sessions(load_settings())() as session:
        assert set(session.scalars(select(RiskScoreRow.product_key))) == {"unknown/acme/fan-1"}


def test_a_window_that_ends_before_it_starts_is_refused(recall_cli: Invoke) -> None:
    result = recall_cli("replay", "--since", "2024-10-02", "--until", "2024-10-01")
    assert result.exit_code == 1
    assert "--since must be before --until" in result.output
