"""Webhooks, the pure part: who may receive an alert, when to try again, when to stop trying.

- `audience`: a subscription's filters and the one rule above them — never an alert outside
  the owner's jurisdiction;
- `retry`: exponential backoff with full jitter, a cap, and a retry budget after which a
  delivery is dead (a per-subscriber dead letter);
- `pause`: when an endpoint that keeps failing is paused.

No I/O here: the service (`recall.service.webhooks`) applies these to the SQL queue.
"""

from recall.domain.webhooks.audience import (
    AlertFacts,
    Filters,
    WebhookFilterError,
    check_regions,
    in_owner_area,
    matches,
)
from recall.domain.webhooks.pause import EndpointHealth, PauseRule
from recall.domain.webhooks.retry import Outcome, RetryPolicy, is_success

__all__ = [
    "AlertFacts",
    "EndpointHealth",
    "Filters",
    "Outcome",
    "PauseRule",
    "RetryPolicy",
    "WebhookFilterError",
    "check_regions",
    "in_owner_area",
    "is_success",
    "matches",
]
