"""The worker's `escalate_overdue_cases` timer as Faust runs it, on in-memory storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from recall.domain.cases import Grounds, ReferralCase
from schemas.topics import EVENTS_CANONICAL
from streams.agents import recalls
from tests.support.fakes.cases import MemoryCaseRepository
from tests.support.fakes.recalls import MemoryRecallRepository
from tests.support.memory_storage import MemoryStorage
from tests.unit.streams.faust_support import harness, run


def _case(opened_days_ago: int) -> ReferralCase:
    return ReferralCase.open(
        referral_key=f"R-{opened_days_ago}/referral/refusal",
        firm_code="91140105MA0L000001",
        recall_id=f"R-{opened_days_ago}",
        grounds=Grounds.REFUSED_RECALL,
        evidence=("referral alert a-1",),
        owner="140105",
        owner_why="default tier",
        at=datetime.now(UTC) - timedelta(days=opened_days_ago),
        case_days=30,
    )


def test_the_timer_escalates_only_overdue_cases_and_only_once(tmp_path: Path) -> None:
    overdue, current = _case(31), _case(29)
    cases = MemoryCaseRepository()
    cases.open_once(overdue)
    cases.open_once(current)
    storage = MemoryStorage(recalls=MemoryRecallRepository(), cases=cases)

    async def scenario() -> None:
        app = harness(tmp_path, EVENTS_CANONICAL, recalls, agents="recalls", storage=storage)
        tick = app.timer("escalate_overdue_cases")
        await tick()
        stored = storage.state.cases.stored
        assert stored[overdue.case_id].owner == "140100"
        assert stored[current.case_id].owner == "140105", "not before its deadline"
        await tick()
        assert stored[overdue.case_id].escalations == 1
        told = [r for r in storage.state.outbox.records.values() if b'"escalated"' in r.value]
        assert [r.topic.endswith("alerts") for r in told] == [True], "the new owner told once"
        assert app.metric("recall_timer_runs_total", timer="escalate_overdue_cases") == 2

    run(scenario)
