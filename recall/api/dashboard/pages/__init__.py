"""The dashboard's pages, one module each.

A page module holds what is particular to it: `NAV` (its slug and title in the navigation, or
None while it is not built — a link to nothing is worse than no link), `ROUTES` (path under
/dashboard, endpoint, methods) and `MESSAGES` (strings its script translates with `t(…)`,
sent translated with every frame because a script cannot call gettext). Its template, script,
style sheet and catalogue (`locale/<lang>/LC_MESSAGES/<page>.po`) carry the same name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi.responses import Response

Endpoint = Callable[..., Awaitable[Response]]
Route = tuple[str, Endpoint, list[str]]
__all__ = ["Endpoint", "Route"]
