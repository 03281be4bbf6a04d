"""The contract's readers are the worker's: every agent and batch consumer that reads a topic is
named among that topic's receivers in the AsyncAPI export (`recall.tools.contract.RECEIVERS`),
so a stage added to the worker cannot be missing from the published contract."""

from __future__ import annotations

from pathlib import Path

from recall.config import Settings
from recall.tools.contract import RECEIVERS, ROLES
from streams.app import create_app
from streams.batch_consumer import batch_consumers
from tests.unit.streams.faust_support import run, worker_context


def test_every_reader_in_the_worker_is_a_receiver_in_the_contract(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = Settings(
            table_store="memory", state_dir=tmp_path, alertmanager_url="http://127.0.0.1:9/"
        )
        app = create_app(worker_context(settings))
        reads = {(b.stage, b.topic) for b in batch_consumers(app)}
        for agent in app.agents.values():
            reads |= {(agent.name, topic) for topic in agent.channel.topics}
        stages = {stage for stage, _ in reads}
        assert {"validate_intake", "assess_risk", "forward_alerts", "schedule_webhooks"} <= stages
        for stage, topic in sorted(reads):
            assert stage in RECEIVERS[topic], f"{stage} reads {topic}: not in the contract"
            assert stage in ROLES, f"{stage} has no role description"

    run(scenario)
