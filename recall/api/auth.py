"""Who is calling: the bearer token of a request, resolved to a `Principal`.

Every route depends on `current_principal`; tests may override it
(`app.dependency_overrides[current_principal] = ...`). The real resolution (token lookup,
disabled accounts, rate limiting of failures, metrics) is filled in by the accounts work.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from recall.domain.access import Principal


async def current_principal(request: Request) -> Principal:
    """The authenticated principal, or 401 (problem+json) when there is none."""
    raise HTTPException(status_code=401, detail="authentication is not configured yet")
