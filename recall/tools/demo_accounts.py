"""The demo's accounts: one per role, scoped to the sample registry, made by the accounts service.

Regulators at a province and at one of its cities (the ones of the first registered monitoring
station, so their lists are not empty), an expert of the registry (from that province when it
has one), that station, and a firm's reporter with its credit code. The public needs no
account. Tokens are printed by the demo — acceptable for a local demo, never elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.models import Expert, Station
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account

BY = "cli:demo"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """How to reach the API as one role (token None: the public, no account)."""

    role: Role
    name: str
    scope: str
    token: str | None
    path: str


def demo_accounts(sessions: sessionmaker[Session], *, at: datetime) -> list[DemoAccount]:
    """Create the demo's accounts (new tokens on every run) and say how each reaches the API."""
    station, firm, expert = _registry_picks(sessions)
    province, city = station.jurisdiction[:2] + "0000", station.jurisdiction[:4] + "00"
    wanted = [
        (NewAccount("demo regulator (province)", Role.REGULATOR, region=province),
         province, "/statistics?group_by=region"),
        (NewAccount("demo regulator (city)", Role.REGULATOR, region=city),
         city, "/investigations?limit=5"),
        (NewAccount(f"demo expert {expert}", Role.EXPERT, expert_id=expert),
         f"expert {expert}", "/investigations"),
        (NewAccount(f"demo station {station.station_id}", Role.STATION,
                    station_id=station.station_id),
         f"station {station.station_id}", "/dead-letters"),
        (NewAccount(f"demo firm {firm.station_id}", Role.FIRM, station_id=firm.station_id,
                    manufacturer_code=firm.manufacturer_code),
         f"firm {firm.manufacturer_code}", "/recalls"),
    ]  # fmt: skip
    storage = SqlAccountStorage(sessions)
    made = []
    for new, scope, path in wanted:
        issued = add_account(storage, new, by=BY, at=at)
        made.append(DemoAccount(new.role, new.name, scope, issued.token, path))
    made.append(DemoAccount(Role.PUBLIC, "anyone", "published notices", None, "/public/recalls"))
    return made


def curl_line(base_url: str, account: DemoAccount) -> str:
    header = f"-H 'Authorization: Bearer {account.token}' " if account.token else ""
    return f"curl -s {header}'{base_url}{account.path}'"


def _registry_picks(sessions: sessionmaker[Session]) -> tuple[Station, Station, str]:
    """A monitoring station, a firm's reporter and an expert id from the registry."""
    with sessions() as session:
        station = session.scalars(
            select(Station)
            .where(Station.kind != "firm", Station.enabled.is_(True))
            .order_by(Station.station_id)
        ).first()
        firm = session.scalars(
            select(Station)
            .where(Station.kind == "firm", Station.manufacturer_code.is_not(None))
            .order_by(Station.station_id)
        ).first()
        if station is None or firm is None:
            raise RuntimeError("the registry has no monitoring station or no firm reporter")
        experts = select(Expert.expert_id).where(Expert.active.is_(True))
        expert = session.scalar(
            experts.where(Expert.jurisdiction.startswith(station.jurisdiction[:2]))
            .order_by(Expert.expert_id)
            .limit(1)
        ) or session.scalar(experts.order_by(Expert.expert_id).limit(1))
        if expert is None:
            raise RuntimeError("the registry has no active expert")
        session.expunge_all()
    return station, firm, expert
