"""The registry in SQL: audited loads, idempotent change events, the intake snapshot."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.registry_store import (
    RegistryChangeError,
    apply_change,
    list_changes,
    load_registry,
    registry_snapshot,
)
from recall.domain.registry import LabStatus, StandardStatus
from recall.tools.registry.sample import SampleSizes, generate
from schemas.registry import RegistryChange

SIZES = SampleSizes(manufacturers=4, products_per_manufacturer=1, standards=6, labs=3, experts=2)
AT = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in China, 30 November


@pytest.fixture
def db(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    upgrade(url)  # the real migrations, 0018 included
    return make_session_factory(make_engine(url))


def _change(**fields: Any) -> RegistryChange:
    base: dict[str, Any] = {
        "change_id": str(uuid.uuid4()),
        "by": "王科长",
        "at": AT.isoformat(),
        "reason": "国家标准公告 2026-12",
    }
    return RegistryChange.model_validate(base | fields)


def test_a_load_audits_each_entry_that_changed_and_nothing_else(
    db: sessionmaker[Session],
) -> None:
    registry = generate(5, SIZES)
    first = load_registry(db, registry, by="t")
    total = sum(first[s] for s in ("regions", "stations", "manufacturers", "product_kinds"))
    assert first["changed"] >= total  # everything is new
    assert load_registry(db, registry, by="t")["changed"] == 0  # nothing moved: no audit rows
    edited = registry.model_copy(
        update={
            "standards": (
                registry.standards[0].model_copy(update={"title": "新标题"}),
                *registry.standards[1:],
            )
        }
    )
    assert load_registry(db, edited, by="李")["changed"] == 1
    [row] = list_changes(db, section="standards", key=registry.standards[0].code, limit=1)
    assert row.source == "file" and row.changed_by == "李"
    assert row.before is not None and row.after is not None
    assert row.before["title"] != "新标题" and row.after["title"] == "新标题"


def test_retiring_a_standard_is_applied_once_audited_and_in_the_snapshot(
    db: sessionmaker[Session],
) -> None:
    load_registry(db, generate(5, SIZES))
    code = "GB 4706.1-2005"
    assert registry_snapshot(db).standards[code].status is StandardStatus.IN_FORCE
    change = _change(section="standards", key=code, operation="retire")
    applied = apply_change(db, change)
    assert applied.applied
    assert apply_change(db, change).applied is False  # a redelivery changes nothing
    facts = registry_snapshot(db).standards[code]
    assert facts.status is StandardStatus.WITHDRAWN
    assert facts.valid_until == date(2026, 11, 30)  # the change's day in China
    rows = list_changes(db, key=code)
    assert [(r.operation, r.source, r.changed_by) for r in rows] == [
        ("retire", "event", "王科长"),
        ("upsert", "file", "registry load"),
    ]
    assert rows[0].before == {"status": "in_force", "valid_until": None}
    assert rows[0].after == {"status": "withdrawn", "valid_until": "2026-11-30"}


def test_an_upsert_change_replaces_the_entry(db: sessionmaker[Session]) -> None:
    load_registry(db, generate(5, SIZES))
    entry = {
        "lab_id": "LAB-NEW",
        "name": "新检测中心",
        "jurisdiction": "140100",
        "accreditation": "CNAS L7777",
        "status": "suspended",
        "accredited_until": "2028-06-30",
        "scope": ["children"],
    }
    apply_change(db, _change(section="labs", key="LAB-NEW", operation="upsert", entry=entry))
    lab = registry_snapshot(db).labs["LAB-NEW"]
    assert lab.status is LabStatus.SUSPENDED
    assert lab.accredited_until == date(2028, 6, 30) and lab.scope == {"children"}
    [row] = list_changes(db, key="LAB-NEW")
    assert row.before is None and row.after is not None and row.after["scope"] == ["children"]


def test_retiring_an_entry_that_does_not_exist_is_refused(db: sessionmaker[Session]) -> None:
    with pytest.raises(RegistryChangeError, match="no labs entry"):
        apply_change(db, _change(section="labs", key="LAB-NONE", operation="retire"))
    assert list_changes(db) == []


def test_the_snapshot_carries_every_firms_home_jurisdiction(db: sessionmaker[Session]) -> None:
    registry = generate(5, SIZES)
    load_registry(db, registry)
    assert registry_snapshot(db).manufacturers == {
        m.credit_code: m.jurisdiction for m in registry.manufacturers
    }


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"section": "standards", "key": "GB 1-2020", "operation": "upsert"}, "carries the new"),
        (
            {
                "section": "standards",
                "key": "GB 2-2020",
                "operation": "upsert",
                "entry": {"code": "GB 1-2020", "title": "t", "category": "children"},
            },
            "natural key",
        ),
        ({"section": "manufacturers", "key": "x", "operation": "retire"}, "cannot be retired"),
        (
            {
                "section": "standards",
                "key": "GB 1-2020",
                "operation": "upsert",
                "entry": {"code": "GB 1-2020", "title": "t", "category": "children", "x": 1},
            },
            "Extra inputs",
        ),
    ],
)
def test_a_malformed_change_is_refused(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        _change(**fields)
