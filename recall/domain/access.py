"""Who may see and do what: roles, the principal behind a request, and its scope.

One answer everywhere (API lists, details, exports and actions; the CLI once it acts as an
account): every object the system holds has a region that scopes it (a GB/T 2260 code), and
sometimes an owner (the station that reported it, the firm that recalls, the experts assigned).
A principal sees an object when its role's rule says so, and the rules are pure functions here,
unit-tested in milliseconds and property-tested across random tiers and regions.

- regulator: its area — a province sees all its cities and counties, a city its counties, a
  county itself (`recall.domain.jurisdiction.covers`);
- expert: the investigations it is assigned to, nothing else;
- station: its own events, dead letters and health;
- firm: its own recalls (by manufacturer credit code);
- public: published recall notices only.

Objects outside a principal's scope are reported as *not found*, never as forbidden: a 403
would confirm that the object exists (`Decision.HIDDEN`). An object inside the scope that the
role may read but not change is `Decision.FORBIDDEN` for the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from recall.domain.errors import DomainError
from recall.domain.jurisdiction import covers, significant_prefix, validate


class AccessError(DomainError, ValueError):
    """A principal that cannot exist (a regulator without a region, a station without an id)."""


class Role(StrEnum):
    REGULATOR = "regulator"
    EXPERT = "expert"
    STATION = "station"
    FIRM = "firm"
    PUBLIC = "public"


class Decision(StrEnum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"  # visible, but this role may not do that: 403
    HIDDEN = "hidden"  # outside the scope: 404, as if it did not exist


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated account behind a request.

    `region` scopes regulators; `station_id` names a station's (or a firm's) reporter id;
    `manufacturer_code` a firm's credit code; `expert_id` an expert's registry id.
    """

    account_id: str
    role: Role
    region: str | None = None
    station_id: str | None = None
    manufacturer_code: str | None = None
    expert_id: str | None = None

    def __post_init__(self) -> None:
        if self.region is not None:
            validate(self.region)
        required = {
            Role.REGULATOR: ("region", self.region),
            Role.EXPERT: ("expert_id", self.expert_id),
            Role.STATION: ("station_id", self.station_id),
            Role.FIRM: ("manufacturer_code", self.manufacturer_code),
        }.get(self.role)
        if required is not None and not required[1]:
            raise AccessError(f"a {self.role.value} account needs a {required[0]}")


@dataclass(frozen=True, slots=True)
class Scoped:
    """What scopes one object: its region, and the owners that see it whatever their region."""

    region: str | None
    station_id: str | None = None
    manufacturer_code: str | None = None
    expert_ids: frozenset[str] = frozenset()
    public: bool = False


def can_see(principal: Principal, obj: Scoped) -> bool:
    """True when the object is inside the principal's scope."""
    if obj.public:
        return True
    match principal.role:
        case Role.REGULATOR:
            return (
                principal.region is not None
                and obj.region is not None
                and covers(principal.region, obj.region)
            )
        case Role.EXPERT:
            return principal.expert_id is not None and principal.expert_id in obj.expert_ids
        case Role.STATION:
            return principal.station_id is not None and principal.station_id == obj.station_id
        case Role.FIRM:
            return (
                principal.manufacturer_code is not None
                and principal.manufacturer_code == obj.manufacturer_code
            )
        case Role.PUBLIC:
            return False


def decide(principal: Principal, obj: Scoped, *, acting_roles: frozenset[Role]) -> Decision:
    """May the principal act on the object? Hidden outside its scope, forbidden for other roles."""
    if not can_see(principal, obj):
        return Decision.HIDDEN
    return Decision.ALLOWED if principal.role in acting_roles else Decision.FORBIDDEN


def region_prefix(principal: Principal) -> str | None:
    """The code prefix a regulator's lists are filtered on (None: not a regional role).

    The same digits `covers` compares, so a list query and a detail check never disagree.
    """
    if principal.role is not Role.REGULATOR or principal.region is None:
        return None
    return significant_prefix(principal.region)
