"""`process_risk_batch` hands each product's live disproportionality to `assess`, no Kafka.

The worker's map (`AgentPorts.disproportionality`, product_key -> hazard -> evidence) is read
per product: the product in the batch gets its own hazards' figures, a product the job never
stored (under 3 reports in the window) gets None. The `risk` stage registers the job's timer.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path
from typing import Any

import orjson
import pytest

import streams.agents.risk as risk_agent
from recall.config import Settings
from recall.domain.risk.evidence import DisproportionalityEvidence
from recall.service.risk.assessment import assess
from streams.agents.ports import AgentPorts
from streams.agents.risk import process_risk_batch
from streams.app import create_app
from tests.support.fakes.risk_agents import NOW, FakeBroker, canonical, message, recording_ports
from tests.unit.streams.faust_support import run, worker_context

K1, K2 = "unknown/acme/k-1", "unknown/acme/k-2"
BURNS = DisproportionalityEvidence(
    hazard="burns",
    a=7,
    expected=1.2,
    prr=5.1,
    chi2_yates=12.0,
    ror_lower=2.4,
    ic025=1.3,
    criteria_met=3,
    window_days=90,
)


def _ports(broker: FakeBroker, table: dict[bytes, bytes]) -> AgentPorts:
    ports = recording_ports(broker, table)
    return AgentPorts(
        send=ports.send,
        load=ports.load,
        topics=ports.topics,
        metrics=ports.metrics,
        partitions=ports.partitions,
        max_age_days=ports.max_age_days,
        disproportionality={K1: {"burns": BURNS}},
    )


def test_each_product_gets_its_own_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def spy(state: Any, cases: Any, *args: Any, **kwargs: Any) -> Any:
        seen[cases[0].product_key] = kwargs.get("disproportionality")
        return assess(state, cases, *args, **kwargs)

    monkeypatch.setattr(risk_agent, "assess", spy)
    table: dict[bytes, bytes] = {}
    messages = [message(0, orjson.dumps(canonical(0, "k-1", died=False)))]
    messages.append(message(1, orjson.dumps(canonical(1, "k-2", died=False))))
    asyncio.run(process_risk_batch(messages, _ports(FakeBroker(), table), NOW))

    assert seen == {K1: {"burns": BURNS}, K2: None}


def test_the_risk_stage_registers_the_job_timer(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = Settings(table_store="memory", agents="risk", state_dir=tmp_path)
        app = create_app(worker_context(settings))
        names = {inspect.unwrap(task).__name__ for task in app._app_tasks}
        assert "compute_disproportionality" in names

    run(scenario)
