"""Standard Webhooks signatures (https://www.standardwebhooks.com), by its reference library.

Each POST carries `webhook-id` (the event id: the alert id, the same on every retry, so a
receiver deduplicates on it), `webhook-timestamp` (the attempt's time, Unix seconds: receivers
refuse stale ones, which stops replays) and `webhook-signature`: `v1,<base64 HMAC-SHA256 of
"<id>.<timestamp>.<body>">`, one per secret that is currently valid, space-separated. After a
rotation the old secret keeps signing until it expires, so a receiver can switch over at its
own pace: either secret verifies.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # 256-bit keys, as HMAC-SHA256 wants (the spec allows 24 to 64)


def new_secret() -> str:
    """A fresh `whsec_<base64>` secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signed_headers(keys: Sequence[str], msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, signed with every key in `keys`."""
    if not keys:
        raise ValueError("a webhook needs at least one secret to sign with")
    moment = at.astimezone(UTC)
    text = body.decode()
    signatures = " ".join(Webhook(key).sign(msg_id, moment, text) for key in keys)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }
