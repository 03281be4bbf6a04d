"""The scope fields each role takes, checked before an account is stored.

A role takes exactly its own fields (a regulator its GB/T 2260 region, an expert its registry
id, a station its reporter id, a firm its reporter id and credit code, the public nothing), and
the ids must be in the registry: an account for a station that does not exist would see
nothing and hide a typo. `recall.domain.access.Principal` checks the region and the required
fields; the messages name the CLI options, since that is where accounts are created.
"""

from __future__ import annotations

from dataclasses import dataclass

from recall.domain.access import Principal, Role
from recall.domain.errors import DomainError
from recall.service.accounts.errors import InvalidAccountError
from recall.service.accounts.ports import AccountsUnit


@dataclass(frozen=True, slots=True)
class NewAccount:
    """What `add_account` needs; which scope fields a role takes is checked here."""

    name: str
    role: Role
    region: str | None = None
    station_id: str | None = None
    manufacturer_code: str | None = None
    expert_id: str | None = None


FIELDS_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.REGULATOR: frozenset({"region"}),
    Role.EXPERT: frozenset({"expert_id"}),
    Role.STATION: frozenset({"station_id"}),
    Role.FIRM: frozenset({"station_id", "manufacturer_code"}),
    Role.PUBLIC: frozenset(),
}
OPTION = {
    "region": "--region",
    "station_id": "--station",
    "manufacturer_code": "--manufacturer",
    "expert_id": "--expert",
}


def principal_for(new: NewAccount, account_id: str) -> Principal:
    """Check the role's fields: the ones it needs are there, no others (with the option names)."""
    given = {f for f in OPTION if getattr(new, f) not in (None, "")}
    allowed = FIELDS_BY_ROLE[new.role]
    extra = sorted(OPTION[f] for f in given - allowed)
    if extra:
        takes = ", ".join(sorted(OPTION[f] for f in allowed)) or "no scope option"
        raise InvalidAccountError(
            f"a {new.role.value} account does not take {', '.join(extra)} (it takes {takes})"
        )
    if new.role is Role.FIRM and "station_id" not in given:
        raise InvalidAccountError(
            "a firm account needs --station (the firm's reporter id, which its recall notices"
            " are signed as) and --manufacturer (its credit code)"
        )
    try:
        return Principal(
            account_id=account_id,
            role=new.role,
            region=new.region or None,
            station_id=new.station_id or None,
            manufacturer_code=new.manufacturer_code or None,
            expert_id=new.expert_id or None,
        )
    except (DomainError, ValueError) as error:
        missing = {f for f in allowed if f not in given}
        hint = f" (give {', '.join(sorted(OPTION[f] for f in missing))})" if missing else ""
        raise InvalidAccountError(f"{error}{hint}") from error


def check_registry(unit: AccountsUnit, principal: Principal) -> None:
    if principal.expert_id is not None and not unit.registry.has_expert(principal.expert_id):
        raise InvalidAccountError(
            f"expert {principal.expert_id!r} is not in the expert registry;"
            " add it to the registry file and run `recall registry load FILE` first"
        )
    if principal.station_id is None:
        return
    station = unit.registry.station(principal.station_id)
    if station is None:
        raise InvalidAccountError(
            f"station {principal.station_id!r} is not in the registry;"
            " add it to the registry file and run `recall registry load FILE` first"
        )
    if not station.enabled:
        raise InvalidAccountError(
            f"station {station.station_id!r} is disabled in the registry; enable it first"
        )
    is_firm = station.kind == "firm"
    if principal.role is Role.STATION and is_firm:
        raise InvalidAccountError(
            f"{station.station_id!r} is a firm's reporter: create a firm account"
            " (--role firm --manufacturer CODE) for it"
        )
    if principal.role is Role.FIRM and not is_firm:
        raise InvalidAccountError(
            f"{station.station_id!r} is a {station.kind} station, not a firm's reporter;"
            " a firm account needs the reporter registered with kind=firm"
        )
    if principal.role is Role.FIRM and station.manufacturer_code != principal.manufacturer_code:
        raise InvalidAccountError(
            f"reporter {station.station_id!r} belongs to manufacturer"
            f" {station.manufacturer_code!r}, not {principal.manufacturer_code!r}"
        )
