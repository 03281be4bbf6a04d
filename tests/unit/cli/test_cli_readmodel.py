"""`recall readmodel status|rebuild` on SQLite, the topics replaced by records in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from recall.adapters.db.read_model import SqlReadModel
from recall.adapters.kafka import admin
from recall.adapters.kafka import replay as replay_module
from recall.adapters.kafka.admin import PartitionRange
from recall.adapters.kafka.replay import Replayed
from recall.cli.common import sessions
from recall.config import Settings, load_settings
from recall.service.readmodel.ports import ScoreFilter
from recall.service.readmodel.projection import project
from tests.support.readmodel import alert, score, signal_at

from .support import Invoke


def _topics() -> dict[str, list[Replayed]]:
    """What the three topics hold: a replayed score, an older one, a repeat, a broken value."""
    scores = [score(50, minutes=5, offset=0), score(10, minutes=1, offset=1)]
    records = {
        "risk.scores": [
            Replayed("risk.scores", 0, s.offset, s.score.model_dump_json().encode()) for s in scores
        ],
        "risk.signals": [
            Replayed("risk.signals", 0, 0, signal_at("s1").model_dump_json().encode()),
            Replayed("risk.signals", 0, 1, signal_at("s1").model_dump_json().encode()),
            Replayed("risk.signals", 1, 0, b'{"signal_id": '),
        ],
        "alerts": [Replayed("alerts", 0, 0, alert("a1").model_dump_json().encode())],
    }
    return records


@pytest.fixture
def topics(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Replayed]]:
    held = _topics()

    def replay(settings: Settings, topic: str, *, batch: int = 500) -> Iterator[list[Replayed]]:
        records = held[topic]
        for start in range(0, len(records), batch):
            yield records[start : start + batch]

    def ranges(settings: Settings, topic: str) -> list[PartitionRange]:
        return [PartitionRange(0, 0, len(held[topic]))]

    monkeypatch.setattr(replay_module, "replay", replay)
    monkeypatch.setattr(admin, "partition_ranges", ranges)
    return held


def _model() -> SqlReadModel:
    return SqlReadModel(sessions(load_settings()))


def test_status_of_an_empty_read_model(recall_cli: Invoke) -> None:
    result = recall_cli("readmodel", "status")
    assert result.exit_code == 0, result.output
    for table in ("risk_scores", "risk_signals", "alerts"):
        assert table in result.output


def test_rebuild_replaces_the_tables_with_what_the_topics_hold(
    recall_cli: Invoke, topics: dict[str, list[Replayed]]
) -> None:
    recall_cli("readmodel", "status")  # creates the database
    project(_model(), signals=[signal_at("stale")], scores=[score(99, minutes=60)])

    result = recall_cli("readmodel", "rebuild", "--batch", "1")
    assert result.exit_code == 0, result.output
    figures = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.output.splitlines()
        if line.count("│") == 3
    }
    assert figures["read (读取)"] == "6"
    assert figures["projected (写入)"] == "3"
    assert figures["skipped as older or known (跳过)"] == "2"
    assert figures["unreadable, dead (无法读取)"] == "1"
    model = _model()
    assert [(t.table, t.rows) for t in model.status()] == [
        ("risk_scores", 1),
        ("risk_signals", 1),
        ("alerts", 1),
    ]
    [view] = model.scores(ScoreFilter())
    assert view.score == 50, "the stale newer score was dropped with the table, then replayed"
