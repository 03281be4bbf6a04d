"""`recall replay` on SQLite and PostgreSQL: stored events in, the live agent's scores out,
and nothing announced — no signal stored, no alert, no outbox row, no investigation."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from recall.adapters.db.models import (
    AlertRow,
    Event,
    InvestigationRow,
    OutboxRow,
    RiskScoreRow,
    RiskSignalRow,
)
from recall.adapters.db.read_model import SqlReadModel
from recall.cli.common import sessions
from recall.cli.main import app
from recall.config import load_settings
from recall.service.readmodel.ports import ScoreAt, ScoreRow
from schemas.risk import RiskScoreUpdated
from tests.support.readmodel import T0, score, signal_at
from tests.support.replay_history import PRODUCTS, history, live_run

BATCH = 25


def test_replay_recomputes_scores_as_live_and_announces_nothing(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("RECALL_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    db = sessions(load_settings())
    stored = history()
    live_scores, live_signals = live_run(stored, BATCH)
    with db.begin() as session:
        session.execute(insert(Event), [s.row for s in stored])
    # The read model before: a stale score, a score already right, a signal of an old rule.
    right = RiskScoreUpdated.model_validate({**live_scores[PRODUCTS[5]], "updated_at": T0})
    SqlReadModel(db).write(
        [
            ScoreRow(score(99.0, product_key=PRODUCTS[0]), "140105", "kitchenware"),
            ScoreRow(ScoreAt(right, 0, 7), "140105", "appliances"),
        ],
        [signal_at("old-rule", product_key=PRODUCTS[0])],
        [],
    )

    report = tmp_path / "signals.jsonl"
    runner = CliRunner()
    first = runner.invoke(app, ["replay", "--batch", str(BATCH), "--report", str(report)])
    assert first.exit_code == 0, first.output
    assert "events/s" in first.output and f"{len(stored)}/{len(stored)}" in first.output

    with db() as session:
        rows = {r.product_key: r for r in session.scalars(select(RiskScoreRow))}
        for model in (AlertRow, OutboxRow, InvestigationRow):
            assert session.scalar(select(func.count()).select_from(model)) == 0
        signal_ids = set(session.scalars(select(RiskSignalRow.signal_id)))
    assert signal_ids == {"old-rule"}  # reported, never stored
    assert set(rows) == set(PRODUCTS)
    for key, live in live_scores.items():
        assert (rows[key].score, rows[key].risk_level) == (live["score"], live["risk_level"])
        assert rows[key].explanation == live["explanation"]
    assert rows[PRODUCTS[5]].updated_at == T0  # already right: left as the live worker wrote it
    assert rows[PRODUCTS[0]].source_partition == -1  # replayed: no topic record behind it
    assert rows[PRODUCTS[1]].region == "140105" and rows[PRODUCTS[1]].category == "kitchenware"

    outcomes = [orjson.loads(line) for line in report.read_bytes().splitlines()]
    new = {o["signal_id"]: o["record"] for o in outcomes if o["status"] == "new"}
    assert new == live_signals
    assert [o["signal_id"] for o in outcomes if o["status"] == "gone"] == ["old-rule"]

    second = runner.invoke(app, ["replay", "--batch", str(BATCH)])
    assert second.exit_code == 0, second.output
    assert _figure(second.output, "scores changed") == 0
    assert _figure(first.output, "scores changed") == len(PRODUCTS) - 1
    with db() as session:
        again = {r.product_key: r.updated_at for r in session.scalars(select(RiskScoreRow))}
    assert again == {k: r.updated_at for k, r in rows.items()}


def _figure(output: str, label: str) -> int:
    line = next(line for line in output.splitlines() if label in line)
    return int(line.split("│")[-2].strip().replace(",", ""))
