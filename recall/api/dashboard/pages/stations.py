"""Stations: health, traffic and rejections of the monitoring stations.

Not built yet: NAV is None, so the navigation does not link it."""

from __future__ import annotations

from recall.api.dashboard.pages import Route

NAV: tuple[str, str] | None = None  # ("stations", "Stations") once built
MESSAGES: tuple[str, ...] = ()
ROUTES: tuple[Route, ...] = ()
