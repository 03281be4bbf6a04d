"""Registries that judge, on a real broker and real databases: a sampling result against a
withdrawn standard is dead-lettered with that reason, and a `registry.changes` event that
withdraws a standard is applied, audited, and enforced on the results that follow."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from functools import partial

import orjson
import pytest

from recall.adapters.db.registry_store import list_changes
from recall.adapters.kafka.registry_publisher import publish_change
from recall.tools.simulate.events import SimProduct, SimStation, sampling_result
from schemas.registry import RegistryChange
from tests.support.cases import pick
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration
CHINA = timezone(timedelta(hours=8))
IN_FORCE = "GB 4706.1-2005"  # in force in the sample registry
SUPERSEDED = "GB 6675-2003"  # superseded by GB 6675.1-2014 since 2016 in the sample registry


def _result(pipeline: Pipeline, standard: str, rng: random.Random) -> tuple[str, bytes]:
    lab = pick(pipeline.registry, "lab")  # its lab (same id) is accredited for every category
    p = pipeline.registry.products[0]
    product = SimProduct(p.manufacturer_code, p.brand, p.model, p.category.value, p.kind, p.gtin)
    now = datetime.now(CHINA)
    event = sampling_result(SimStation(lab.station_id, "lab", lab.jurisdiction), product, rng, now)
    event["payload"]["standard"] = standard
    event["payload"]["sampled_at"] = now.isoformat()
    return lab.station_id, orjson.dumps(event)


def _outcomes_beyond(pipeline: Pipeline, seen: int) -> bool:
    counts = pipeline.counts()
    return counts.events + counts.dead_letters > seen


def _send(pipeline: Pipeline, record: tuple[str, bytes]) -> None:
    sender = pipeline.sender()
    sender.send(*record)
    sender.flush()
    sender.close()


def test_withdrawn_standards_are_dead_lettered_and_changes_apply_as_events(
    pipeline: Pipeline,
) -> None:
    rng = random.Random(14)
    pipeline.start_worker()
    _send(pipeline, _result(pipeline, SUPERSEDED, rng))
    _send(pipeline, _result(pipeline, IN_FORCE, rng))
    counts = pipeline.wait_counts(events=1, dead_letters=1, duplicates=0)
    assert counts.dead_letters_by_reason == {"standard_withdrawn": 1}
    assert counts.events == 1  # the result against the standard in force

    change = RegistryChange.model_validate(
        {
            "change_id": str(uuid.uuid4()),
            "section": "standards",
            "key": IN_FORCE,
            "operation": "retire",
            "by": "省局标准处",
            "at": datetime.now(UTC).isoformat(),
            "reason": "国家标准废止公告 (test)",
        }
    )
    publish_change(pipeline.settings, change)
    publish_change(pipeline.settings, change)  # a resend: applied once
    # The change's own audit row (source "event"): the registry load's rows are there already.
    pipeline.wait(
        lambda: any(
            r.source == "event"
            for r in list_changes(pipeline.sessions, key=IN_FORCE, section="standards")
        )
    )
    audit = [r for r in list_changes(pipeline.sessions, key=IN_FORCE) if r.source == "event"]
    assert [(r.change_id, r.operation, r.changed_by) for r in audit] == [
        (str(change.change_id), "retire", "省局标准处")
    ]
    assert audit[0].before is not None and audit[0].before["status"] == "in_force"
    assert audit[0].after is not None and audit[0].after["status"] == "withdrawn"

    # The worker reloads its snapshot right after applying the change (and every second here
    # on its timer): results sent from now on are refused; wait for the first refusal.
    accepted_before = pipeline.counts().events
    deadline = datetime.now(UTC) + timedelta(seconds=60)
    refused = False
    while not refused and datetime.now(UTC) < deadline:
        before = pipeline.counts()
        seen = before.events + before.dead_letters
        _send(pipeline, _result(pipeline, IN_FORCE, rng))
        pipeline.wait(partial(_outcomes_beyond, pipeline, seen))
        after = pipeline.counts()
        refused = after.dead_letters > before.dead_letters
    assert refused, "a result against the withdrawn standard was never refused"
    final = pipeline.counts()
    assert final.dead_letters_by_reason == {"standard_withdrawn": 2}
    assert final.events - accepted_before <= 1  # at most one raced the snapshot refresh
    assert pipeline.assert_every_record_accounted() == final.events + final.dead_letters
