"""POST alerts to Alertmanager's v2 API (`POST /api/v2/alerts`), errors classified.

Alertmanager answers 200 for a batch it took, 400 for one it refuses (a label or time it
cannot read: our bug, never fixed by waiting), and may be down, slow or restarting (waiting
fixes it). The two are told apart here so the forwarder retries only what can succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

ALERTS_PATH = "/api/v2/alerts"


class AlertmanagerError(Exception):
    """Base of the errors below."""


class AlertmanagerUnavailableError(AlertmanagerError):
    """Down, slow, or answering 5xx/429: send again later."""


class AlertmanagerRefusedError(AlertmanagerError):
    """A 4xx answer to the batch: sending the same alerts again cannot succeed."""


class AlertmanagerClient:
    """One connection pool to one Alertmanager; `transport` lets tests run without a network."""

    def __init__(
        self, base_url: str, *, timeout_s: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport
        )

    async def post(self, alerts: Sequence[dict[str, Any]]) -> None:
        """Send `alerts` (PostableAlerts); raises `AlertmanagerUnavailableError` or `…Refused`."""
        if not alerts:
            return
        try:
            response = await self._client.post(ALERTS_PATH, json=list(alerts))
        except httpx.HTTPError as error:  # connect, read, timeout, protocol
            raise AlertmanagerUnavailableError(type(error).__name__) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise AlertmanagerUnavailableError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise AlertmanagerRefusedError(f"HTTP {response.status_code}: {response.text[:300]}")

    async def aclose(self) -> None:
        await self._client.aclose()
