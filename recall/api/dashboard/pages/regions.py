"""Risk by region: category × region heat map, drilled from province to county.

Not built yet: NAV is None, so the navigation does not link it."""

from __future__ import annotations

from recall.api.dashboard.pages import Route

NAV: tuple[str, str] | None = None  # ("regions", "Risk by region") once built
MESSAGES: tuple[str, ...] = ()
ROUTES: tuple[Route, ...] = ()
