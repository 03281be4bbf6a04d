"""`Post` over httpx: one shared `AsyncClient`, a hard timeout, no redirects, no body read.

- The timeout covers connect, write and read of each POST; a receiver that holds the
  connection open costs one task until then, never more.
- Redirects are not followed: a 3xx is a failure, as Standard Webhooks says, and following
  them would let a receiver point our signed POSTs at any address.
- The answer's body is never read (only the status): a receiver cannot make a worker hold a
  large response, and nothing it says ends up in our logs.
- Transport errors (refused, reset, timeout, TLS, a URL httpx refuses) become a
  `PostResult` with a short error text (its type and message, bounded): the retry policy
  decides what follows, not an exception.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from recall.service.webhooks.ports import PostResult

ERROR_CHARS = 300


class HttpPoster:
    """Callable as `recall.service.webhooks.ports.Post`; `close()` at shutdown."""

    def __init__(self, *, timeout_s: float, max_connections: int) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            trust_env=False,  # no proxy taken from the environment for signed payloads
        )

    async def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> PostResult:
        try:
            async with self._client.stream("POST", url, headers=dict(headers), content=body) as r:
                return PostResult(status=r.status_code)
        except Exception as error:  # anything the receiver causes: a failed attempt
            return PostResult(status=None, error=_describe(error))

    async def close(self) -> None:
        await self._client.aclose()


def _describe(error: Exception) -> str:
    text = str(error) or "no detail"
    return f"{type(error).__name__}: {text}"[:ERROR_CHARS]
