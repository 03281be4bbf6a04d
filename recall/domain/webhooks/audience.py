"""Which alerts a subscription receives: its filters, under its owner's jurisdiction.

The jurisdiction rule comes first and no filter can widen it: a subscription receives an
alert only when the alert's region lies inside its owner's area (`jurisdiction.covers`, the
same prefix check the API's lists use). An alert without a jurisdiction is seen by no
regional account in the API, so no regional owner's webhook receives it either. An owner
without a jurisdiction (a national account, if one is ever made) covers every coded region.

Filters narrow what is left: each list is "any of these", an empty list means "all". A
region filter is a GB/T 2260 code that covers its area (province, city or county prefix);
regions outside the owner's area are refused when the subscription is made
(`check_regions`), not silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from recall.domain.errors import DomainError
from recall.domain.jurisdiction import JurisdictionError, covers, validate


class WebhookFilterError(DomainError, ValueError):
    """A subscription's filters cannot be accepted; the message says which and why."""


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What the filters look at in an alert (its values as text, from the contract)."""

    kind: str
    severity: str
    category: str | None
    jurisdiction: str | None


@dataclass(frozen=True, slots=True)
class Filters:
    """Any-of lists per dimension; an empty one lets everything through."""

    kinds: frozenset[str] = frozenset()
    severities: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    regions: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        kinds: Iterable[str] = (),
        severities: Iterable[str] = (),
        categories: Iterable[str] = (),
        regions: Iterable[str] = (),
    ) -> Filters:
        return cls(frozenset(kinds), frozenset(severities), frozenset(categories), tuple(regions))

    def admits(self, alert: AlertFacts) -> bool:
        """True when every non-empty list holds the alert's value."""
        if self.kinds and alert.kind not in self.kinds:
            return False
        if self.severities and alert.severity not in self.severities:
            return False
        if self.categories and alert.category not in self.categories:
            return False
        if self.regions:
            place = alert.jurisdiction
            return place is not None and any(covers(r, place) for r in self.regions)
        return True


def in_owner_area(owner_jurisdiction: str | None, alert_jurisdiction: str | None) -> bool:
    """The rule no filter overrides: the alert's region is inside the owner's area."""
    if alert_jurisdiction is None:
        return False
    try:
        validate(alert_jurisdiction)
    except JurisdictionError:
        return False  # not a place: inside nobody's area
    return owner_jurisdiction is None or covers(owner_jurisdiction, alert_jurisdiction)


def matches(owner_jurisdiction: str | None, filters: Filters, alert: AlertFacts) -> bool:
    """Does a subscription of this owner, with these filters, receive this alert?"""
    return in_owner_area(owner_jurisdiction, alert.jurisdiction) and filters.admits(alert)


def check_regions(owner_jurisdiction: str | None, regions: Iterable[str]) -> tuple[str, ...]:
    """The region filters, each a valid code inside the owner's area, or raise naming them.

    Refusing (instead of intersecting) tells the caller at once that a filter would never
    match, rather than leaving a subscription that quietly receives less than it says.
    """
    checked: list[str] = []
    outside: list[str] = []
    for region in regions:
        try:
            validate(region)
        except JurisdictionError as error:
            raise WebhookFilterError(f"regions: {error}") from None
        if owner_jurisdiction is not None and not covers(owner_jurisdiction, region):
            outside.append(region)
        checked.append(region)
    if outside:
        raise WebhookFilterError(
            f"regions {', '.join(outside)} lie outside your jurisdiction {owner_jurisdiction};"
            " a subscription only receives alerts of its owner's area"
        )
    return tuple(dict.fromkeys(checked))
