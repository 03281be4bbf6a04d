"""The projectors as Faust runs them, in memory (`faust_support`), over the in-memory port.

Each topic has its own agent (`project_scores`, `project_signals`, `project_alerts`); they
write through `recall.service.readmodel.projection.project` into `MemoryReadModel` and send
nothing but dead letters.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson

from recall.config import Settings
from recall.service.readmodel.queries import list_scores
from schemas.topics import ALERTS, RISK_SCORES, RISK_SIGNALS, TopicSpec
from streams.agents import project
from streams.app import create_app
from tests.support.fakes.read_model import MemoryReadModel
from tests.support.memory_storage import MemoryStorage
from tests.support.readmodel import PRODUCT, alert, score, signal_at
from tests.unit.streams.faust_support import (
    DatabaseAwayError,
    Harness,
    harness,
    put_all,
    run,
    worker_context,
)

KEY = PRODUCT.encode()


def _projector(tmp_path: Path, spec: TopicSpec, model: MemoryReadModel) -> Harness:
    stage = SimpleNamespace(register=partial(project.register, read_model=model))
    return harness(tmp_path, spec, stage, agents="project", storage=MemoryStorage())


def _score(value: float, minutes: float) -> bytes:
    return score(value, minutes=minutes).score.model_dump_json().encode()


def test_scores_signals_and_alerts_land_in_the_read_model(tmp_path: Path) -> None:
    async def scenario() -> None:
        model = MemoryReadModel()
        scores = _projector(tmp_path / "scores", RISK_SCORES, model)
        newest_first = [(KEY, _score(70, 5), 1), (KEY, _score(20, 1), 1), (KEY, _score(70, 5), 1)]
        await put_all(scores.agent("project_scores"), newest_first)
        [view] = list_scores(model).items
        assert (view.score, view.product_key) == (70, PRODUCT), "the older one did not win"
        assert scores.metric("recall_rows_persisted_total", table="risk_scores") == 1

        signals = _projector(tmp_path / "signals", RISK_SIGNALS, model)
        values = [signal_at(n).model_dump_json().encode() for n in ("s1", "s2", "s1")]
        await put_all(signals.agent("project_signals"), [(KEY, v, 0) for v in values])
        alerts = _projector(tmp_path / "alerts", ALERTS, model)
        value = alert("a1").model_dump_json().encode()
        await put_all(alerts.agent("project_alerts"), [(b"a1", value, 2)])

        assert sorted(model.signals_by_id) == ["s1", "s2"]
        assert list(model.alerts_by_id) == ["a1"]
        assert [h.producer.sent for h in (scores, signals, alerts)] == [[], [], []]

    run(scenario)


def test_an_unreadable_record_is_dead_lettered_and_the_partition_flows_on(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        model = MemoryReadModel()
        app = _projector(tmp_path, RISK_SIGNALS, model)
        no_day = orjson.dumps(signal_at("sx").model_dump(mode="json", exclude={"day"}))
        records: list[Any] = [
            (KEY, signal_at("s1").model_dump_json().encode(), 0),
            (KEY, b'{"signal_id": ', 0),
            (KEY, no_day, 0),
            (KEY, _score(10, 0), 0),  # a score on the signals topic: not a signal
        ]
        await put_all(app.agent("project_signals"), records)
        letters = app.dead_letters()
        assert [(d.reason, d.stage, d.source.offset) for d in letters] == [
            ("processing_error", "project_signals", 1),
            ("processing_error", "project_signals", 2),
            ("processing_error", "project_signals", 3),
        ]
        assert {d.errors[0].message for d in letters} == {"ValidationError"}
        assert all(d.original_b64 == "" for d in letters), "a letter names, never quotes"
        assert list(model.signals_by_id) == ["s1"]

        later = [(KEY, signal_at("s2").model_dump_json().encode(), 0)]
        await put_all(app.agent("project_signals"), later, first_offset=4)
        assert sorted(model.signals_by_id) == ["s1", "s2"], "the partition goes on"
        assert app.metric("recall_records_isolated_total", agent="project_signals") == 3

    run(scenario)


def test_a_record_the_store_refuses_is_dead_lettered_alone(tmp_path: Path) -> None:
    async def scenario() -> None:
        model = MemoryReadModel(refused={"a2"})
        app = _projector(tmp_path, ALERTS, model)
        values = [alert(n).model_dump_json().encode() for n in ("a1", "a2", "a3")]
        await put_all(app.agent("project_alerts"), [(b"k", v, 0) for v in values])
        [letter] = app.dead_letters()
        assert (letter.source.offset, letter.errors[0].message) == (1, "ValueError")
        assert sorted(model.alerts_by_id) == ["a1", "a3"]
        assert model.writes == 2, "the failed batch left nothing; the good ones, one by one"

    run(scenario)


def test_an_outage_is_waited_out_and_the_batch_written_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        model = MemoryReadModel()
        model.fail_next(DatabaseAwayError("database away"))
        app = _projector(tmp_path, RISK_SCORES, model)
        await put_all(app.agent("project_scores"), [(KEY, _score(30, 0), 0)])
        assert app.metric("recall_db_write_failures_total", table="risk_scores") == 1
        assert app.dead_letters() == [], "an outage is not the record's fault"
        assert [v.score for v in list_scores(model).items] == [30]
        assert model.writes == 1

    run(scenario)


def test_the_project_stage_runs_one_projector_per_topic(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = Settings(table_store="memory", agents="project", state_dir=tmp_path)
        app = create_app(worker_context(settings))
        topics = {name: agent.channel.get_topic_name() for name, agent in app.agents.items()}
        assert topics == {
            "project_scores": "risk.scores",
            "project_signals": "risk.signals",
            "project_alerts": "alerts",
        }
        assert "project" in Settings().agents.split(","), "on by default"

    run(scenario)
