"""What became of the events a station sent: read through the API, its only window.

A station machine has no database access. After `recall station send --wait SECONDS` it asks
`GET /submissions/{event_id}` (with the station account's token) for each event id it sent,
until every one is accepted or rejected or the time is up. Polls go out every `interval_s`,
each round asking only for the ids still pending.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

PENDING = "pending"
ACCEPTED = "accepted"
REJECTED = "rejected"


class FeedbackError(RuntimeError):
    """The API refused to answer (bad token, wrong role): the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Outcome:
    event_id: str
    state: str
    reason: str | None = None
    errors: tuple[tuple[str, str], ...] = field(default=())

    def describe(self) -> str:
        if self.state != REJECTED:
            return f"{self.event_id}: {self.state}"
        fields = "; ".join(f"{name}: {message}" for name, message in self.errors)
        return f"{self.event_id}: rejected ({self.reason})" + (f" — {fields}" if fields else "")


def await_outcomes(
    client: httpx.Client,
    event_ids: Iterable[str],
    *,
    timeout_s: float,
    interval_s: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """Each id's outcome, in the order given; those undecided at the deadline stay pending."""
    ids = list(dict.fromkeys(event_ids))
    found = {event_id: Outcome(event_id, PENDING) for event_id in ids}
    deadline = clock() + timeout_s
    while True:
        for event_id in [i for i in ids if found[i].state == PENDING]:
            found[event_id] = poll(client, event_id)
        if all(o.state != PENDING for o in found.values()) or clock() >= deadline:
            return [found[i] for i in ids]
        sleep(min(interval_s, max(0.0, deadline - clock())))


def poll(client: httpx.Client, event_id: str) -> Outcome:
    response = client.get(f"/submissions/{event_id}")
    if response.status_code in (401, 403):
        raise FeedbackError(
            f"the API answered {response.status_code}: set RECALL_API_TOKEN to this station's"
            " account token (`recall accounts add NAME --role station --station ID`)"
        )
    if response.status_code != 200:
        return Outcome(event_id, PENDING)  # e.g. an id that is not a UUID, or a 5xx: ask again
    body = response.json()
    errors = tuple((e["field"], e["message"]) for e in body.get("errors") or ())
    return Outcome(event_id, body["state"], body.get("reason"), errors)


def report_outcomes(
    client: httpx.Client,
    event_ids: list[str],
    wait_s: float,
    say: Callable[[str], object],
) -> int:
    """Print each event's outcome; the exit code: 1 if any was rejected, 2 if any is still
    pending, else 0. Lines without a UUID event id cannot be asked about (they are pending)."""
    outcomes = await_outcomes(client, [i for i in event_ids if _is_uuid(i)], timeout_s=wait_s)
    for outcome in outcomes:
        say(outcome.describe())
    counts = {state: sum(o.state == state for o in outcomes) for state in (ACCEPTED, REJECTED)}
    unknown = len(event_ids) - counts[ACCEPTED] - counts[REJECTED]
    say(f"{counts[ACCEPTED]} accepted, {counts[REJECTED]} rejected, {unknown} pending")
    if counts[REJECTED]:
        return 1
    return 2 if unknown else 0


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
