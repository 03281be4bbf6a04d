"""The registries in SQL: whole-file loads, single changes (`registry.changes`), the audit trail
of both, and the snapshot intake judges by (docs/registry.md).

Every entry that actually changes leaves one `registry_changes` row with its before and after,
whichever way it came; the tables stay the one authoritative copy (later stages, e.g. tier
routing, read `manufacturers.jurisdiction` from here).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db import models
from recall.adapters.db.key_store import issue_initial_keys
from recall.domain.jurisdiction import validate
from recall.domain.registry import (
    LabFacts,
    LabStatus,
    RegistrySnapshot,
    StandardFacts,
    StandardStatus,
    china_date,
)
from schemas.common import make_product_key
from schemas.registry import ChangeOperation, RegistryChange, RegistryFile, entry_key

_TABLES: tuple[tuple[str, type[models.Base]], ...] = (
    ("regions", models.Region),
    ("stations", models.Station),
    ("manufacturers", models.Manufacturer),
    ("product_kinds", models.ProductKind),
    ("products", models.Product),
    ("standards", models.Standard),
    ("labs", models.Lab),
    ("experts", models.Expert),
)
_MODELS: dict[str, type[models.Base]] = dict(_TABLES)


_DATES = ("valid_from", "valid_until", "accredited_until")


def _row(section: str, entry: BaseModel) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    if section == "regions":
        validate(data["code"])  # the same structural rule as every scope check
    if section == "products":
        data["product_key"] = make_product_key(
            data["manufacturer_code"], data["brand"], data["model"]
        )
    for name in _DATES:  # SQL Date columns take dates, the audit trail their ISO text
        if data.get(name) is not None:
            data[name] = date.fromisoformat(data[name])
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _state(obj: models.Base | None, keys: Iterable[str]) -> dict[str, Any] | None:
    """The stored entry's fields (those the registry states), as JSON, or None if absent."""
    if obj is None:
        return None
    return {k: _plain(getattr(obj, k)) for k in keys}


def _upsert(
    session: Session, section: str, entry: BaseModel
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Write one entry; returns (before, after) as JSON for the audit trail."""
    model = _MODELS[section]
    row = _row(section, entry)
    key = entry_key(section, entry) if section != "products" else row["product_key"]
    before = _state(session.get(model, key), row)
    session.merge(model(**row))
    return before, {k: _plain(v) for k, v in row.items()}


def _audit(
    session: Session,
    *,
    change_id: str,
    section: str,
    key: str,
    operation: str,
    source: str,
    by: str,
    at: datetime,
    reason: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        models.RegistryChangeRow(
            change_id=change_id,
            section=section,
            entry_key=key,
            operation=operation,
            source=source,
            changed_by=by,
            changed_at=at,
            reason=reason,
            before=before,
            after=after,
            applied_at=datetime.now(UTC),
        )
    )


def load_registry(
    sessions: sessionmaker[Session],
    registry: RegistryFile,
    *,
    by: str = "registry load",
    reason: str = "whole-file load",
) -> dict[str, int]:
    """Upsert every section in one transaction; returns the number of entries per section,
    and under `changed` how many entries actually changed (each one audited in
    `registry_changes` with its before and after; an unchanged entry leaves no row).

    A station seen for the first time gets key version 1 in the same transaction, so a newly
    registered station can be provisioned (`recall station key issue`) at once; stations that
    already have keys, even only revoked ones, are left alone.
    """
    counts: dict[str, int] = {}
    changed = 0
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for section, _ in _TABLES:
            entries: Sequence[BaseModel] = getattr(registry, section)
            for entry in entries:
                before, after = _upsert(session, section, entry)
                if before == after:
                    continue
                changed += 1
                _audit(
                    session,
                    change_id=str(uuid.uuid4()),
                    section=section,
                    key=entry_key(section, entry),
                    operation="upsert",
                    source="file",
                    by=by,
                    at=now,
                    reason=reason,
                    before=before,
                    after=after,
                )
            counts[section] = len(entries)
        counts["station_keys_issued"] = issue_initial_keys(
            session, (s.station_id for s in registry.stations), by="registry load"
        )
    counts["changed"] = changed
    return counts


_RETIRED: dict[str, dict[str, Any]] = {
    "stations": {"enabled": False},
    "standards": {"status": "withdrawn"},
    "labs": {"status": "revoked"},
    "experts": {"active": False},
}
"""What retiring an entry sets: its status, never a deletion (events still refer to it)."""


@dataclass(frozen=True, slots=True)
class AppliedChange:
    change_id: str
    applied: bool
    """False when the change id was already applied (a redelivery): nothing written."""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class RegistryChangeError(ValueError):
    """A change that cannot apply (e.g. retiring an entry that does not exist)."""


def apply_change(sessions: sessionmaker[Session], change: RegistryChange) -> AppliedChange:
    """Apply one `registry.changes` event and audit it, once per change id (idempotent).

    A retired standard gets `valid_until` = the change's date (China time) unless it has one:
    samples taken before the withdrawal are still judged by it, later ones are refused.
    """
    change_id = str(change.change_id)
    section = change.section.value
    with sessions.begin() as session:
        if session.get(models.RegistryChangeRow, change_id) is not None:
            return AppliedChange(change_id, applied=False)
        if change.operation is ChangeOperation.UPSERT:
            entry = change.parsed_entry()
            before, after = _upsert(session, section, entry)
            if section == "stations":
                issue_initial_keys(session, [change.key], by=f"registry change {change_id}")
        else:
            stored = session.get(_MODELS[section], change.key)
            if stored is None:
                raise RegistryChangeError(f"no {section} entry {change.key!r} to retire")
            updates = dict(_RETIRED[section])
            if section == "standards" and getattr(stored, "valid_until", None) is None:
                updates["valid_until"] = china_date(change.at)
            before = _state(stored, updates)
            for name, value in updates.items():
                setattr(stored, name, value)
            after = {k: _plain(v) for k, v in updates.items()}
        _audit(
            session,
            change_id=change_id,
            section=section,
            key=change.key,
            operation=change.operation.value,
            source="event",
            by=change.by,
            at=change.at,
            reason=change.reason,
            before=before,
            after=after,
        )
    return AppliedChange(change_id, applied=True, before=before, after=after)


@dataclass(frozen=True, slots=True)
class AuditRow:
    change_id: str
    section: str
    entry_key: str
    operation: str
    source: str
    changed_by: str
    changed_at: datetime
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def list_changes(
    sessions: sessionmaker[Session],
    *,
    section: str | None = None,
    key: str | None = None,
    limit: int = 50,
) -> list[AuditRow]:
    """The audit trail, the most recently applied first."""
    query = select(models.RegistryChangeRow)
    if section:
        query = query.where(models.RegistryChangeRow.section == section)
    if key:
        query = query.where(models.RegistryChangeRow.entry_key == key)
    query = query.order_by(models.RegistryChangeRow.applied_at.desc()).limit(limit)
    with sessions() as session:
        return [
            AuditRow(
                r.change_id,
                r.section,
                r.entry_key,
                r.operation,
                r.source,
                r.changed_by,
                r.changed_at,
                r.reason,
                r.before,
                r.after,
            )
            for r in session.scalars(query)
        ]


def registry_snapshot(sessions: sessionmaker[Session]) -> RegistrySnapshot:
    """Standards, labs and manufacturers as intake judges by them: loaded whole, three queries."""
    with sessions() as session:
        standards = {
            s.code: StandardFacts(
                s.code,
                StandardStatus(s.status),
                s.superseded_by,
                s.valid_from,
                s.valid_until,
            )
            for s in session.scalars(select(models.Standard))
        }
        labs = {
            lab.lab_id: LabFacts(
                lab.lab_id,
                LabStatus(lab.status),
                lab.accredited_until,
                frozenset(lab.scope or ()),
            )
            for lab in session.scalars(select(models.Lab))
        }
        manufacturers = {  # noqa: C416 - Row pairs, not plain tuples
            code: home
            for code, home in session.execute(
                select(models.Manufacturer.credit_code, models.Manufacturer.jurisdiction)
            )
        }
    return RegistrySnapshot(standards, labs, manufacturers)


def reporting_population(
    sessions: sessionmaker[Session],
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str, str, str | None]]]:
    """Enabled non-firm stations (id, kind, jurisdiction) and products, for simulations."""
    from sqlalchemy import select

    with sessions() as session:
        stations = [
            (s.station_id, s.kind, s.jurisdiction)
            for s in session.scalars(
                select(models.Station).where(models.Station.enabled, models.Station.kind != "firm")
            )
        ]
        products = [
            (p.manufacturer_code or "", p.brand, p.model, p.category, p.kind, p.gtin)
            for p in session.scalars(select(models.Product))
        ]
    return stations, products


def units_in_use(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Units in use per registered product: the denominator of the probability of harm."""
    from sqlalchemy import select

    with sessions() as session:
        rows = session.execute(
            select(models.Product.product_key, models.Product.units_in_use).where(
                models.Product.units_in_use.is_not(None)
            )
        )
        return {key: int(units) for key, units in rows if units}
