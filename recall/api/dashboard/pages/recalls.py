"""Recalls: the list and a recall's page (correction curve, forecast, reports).

Not built yet: NAV is None, so the navigation does not link it."""

from __future__ import annotations

from recall.api.dashboard.pages import Route

NAV: tuple[str, str] | None = None  # ("recalls", "Recalls") once built
MESSAGES: tuple[str, ...] = ()
ROUTES: tuple[Route, ...] = ()
