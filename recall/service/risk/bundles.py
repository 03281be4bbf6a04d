"""Regional routing: new injury cases as `risk.regional` bundles, and back.

Every new injury case is counted at each supervising tier above and at the reporting station
(`counted_regions`: its county, its city, its province), so `assess_risk` emits one
`RegionalCase` per level and routes each by its own `category|region` key, one bundle per
destination partition per batch instead of one record per case: Faust's per-record cost (an
event object, a task, an ack) was the larger part of the regional stage, and a bundle keeps the
cases' order within every region key. The wire shape is `schemas.risk.RegionalBundle` (a list
of fixed-length arrays); this module translates it to and from `RegionalCase`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from recall.domain.jurisdiction import ancestors, is_placeholder
from recall.service.risk.cases import Case
from schemas.risk import REGIONAL_ROW_FIELDS, RegionalBundle, RegionalCaseRow

_ROW_SHAPE_ERRORS = frozenset({"tuple_type", "too_long", "too_short", "missing"})


@dataclass(frozen=True, slots=True)
class RegionalCase:
    """One new injury case counted in one region (a county, city or province code)."""

    event_id: str
    category: str
    region: str
    hazard: str
    day: int  # event-time day number (China time), as `risk_state.day_of`
    severity: int
    sent_ts: float | None

    @property
    def key(self) -> str:
        return f"{self.category}|{self.region}"


@functools.lru_cache(maxsize=8192)
def counted_regions(code: str) -> tuple[str, ...]:
    """The regions a case seen at `code` counts in, nearest first: the code itself and every
    supervising area above it (`jurisdiction.ancestors`), placeholders left out.

    A county in a prefecture city counts thrice (140105, 140100, 140000); a district of a
    municipality or a county administered by its province twice, since their parent is the
    province (110101 → 110000, 429004 → 420000): the placeholder groupings 110100 and 429000
    are not governments, so nobody would receive their alerts. A station registered at a
    city or province code counts at that code and above. Raises `JurisdictionError` for a
    code that is not GB/T 2260.

    Cached: the risk stage asks for every injury case, and the answer of a code never
    changes; walking the tiers re-validates the code five times (a tenth of the stage's own
    CPU in `recall bench pipeline`'s mix). A province has a few thousand codes at most, so
    the cache holds all of them; an invalid code raises and is never cached.
    """
    own = () if is_placeholder(code) else (code,)
    return own + ancestors(code)


def regional_cases(case: Case) -> list[RegionalCase]:
    """The regional records of an injury case, one per counted region (nearest first); none
    for sampling results and unplaced cases."""
    if case.event_type != "injury_report" or not case.region or not case.hazards:
        return []
    return [
        RegionalCase(
            case.event_id,
            case.category,
            region,
            case.hazards[0],
            case.day,
            case.severity.level,
            case.sent_ts,
        )
        for region in counted_regions(case.region)
    ]


def regional_bundle(records: Sequence[RegionalCase]) -> RegionalBundle:
    """One `risk.regional` record for many cases, in the given order.

    Validated like every outgoing record (`schemas.topics.encode` checks it again on the way
    out): a case our own code built wrongly raises `ValidationError` here, naming the field.
    """
    return RegionalBundle.model_validate([_row(r) for r in records])


def _row(r: RegionalCase) -> list[object]:
    return [r.event_id, r.category, r.region, r.hazard, r.day, r.severity, r.sent_ts]


def cases_from_bundle(raw: bytes) -> list[RegionalCase]:
    """The cases of a bundle; raises ValueError (naming the item and field) on a malformed one.

    Strict like `case_from_canonical`: `risk.regional` is writable by any producer with the
    ACL, so the bundle must obey `RegionalBundle` exactly. ValueError is the only exception
    raised, and its message never quotes a value (a pydantic error's text would).
    """
    try:
        rows = RegionalBundle.model_validate_json(raw).root
    except ValidationError as error:
        raise ValueError(_describe(error)) from None
    return [_case(row) for row in rows]


def _case(row: RegionalCaseRow) -> RegionalCase:
    event_id, category, region, hazard, day, severity, sent_ts = row
    return RegionalCase(event_id, category.value, region, hazard.value, day, severity, sent_ts)


def _describe(error: ValidationError) -> str:
    """Where the first error is, in words: the item's position and the field's name."""
    first = error.errors(include_input=False)[0]
    location = first["loc"]
    if not location:
        return "a regional bundle is a JSON list"
    position = location[0]
    if len(location) < 2 or first["type"] in _ROW_SHAPE_ERRORS:
        return f"regional bundle item {position}: a list of {len(REGIONAL_ROW_FIELDS)} values"
    index = location[1]
    name = REGIONAL_ROW_FIELDS[index] if isinstance(index, int) else str(index)
    return f"regional bundle item {position}: bad {name}"
