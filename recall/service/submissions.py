"""Firm submissions through the API, and what became of any reporter's event.

One validation path: the API does not store a firm's notice or progress report itself. It wraps
the payload in the station envelope exactly as the firm's own station software would, signs it
as the firm's reporter id and publishes it to `intake.raw`; the worker's intake then checks it
like any Kafka record (signature, registry, schema, the firm's own products, the recall's
history) and stores it or dead-letters it. What became of it is read back by event id:
`accepted` (stored, or a resend of a stored event), `rejected` (a dead letter: reason and field
errors, never the record) or `pending` (not seen yet — or never sent; the answer is the same, so
nothing leaks about other reporters' ids).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from schemas.envelope import Envelope, RecallNoticeEvent, RecallProgressReportEvent
from schemas.recalls import RecallNotice, RecallProgressReport
from schemas.signing import KeySource, signing_headers

Headers = list[tuple[str, bytes]]


class IntakePublisher(Protocol):
    """Publishes one signed record to the intake topic, keyed by its reporter id."""

    def publish(self, reporter_id: str, value: bytes, headers: Headers) -> None: ...


class SubmissionReads(Protocol):
    """What the system of record knows about a reporter and its events."""

    def reporter_jurisdiction(self, reporter_id: str) -> str | None:
        """The registered, enabled reporter's region, else None."""
        ...

    def accepted(self, reporter_id: str, event_id: str) -> datetime | None:
        """When the event was stored (or its resend counted), else None."""
        ...

    def rejection(self, reporter_id: str, event_id: str) -> Rejection | None:
        """The reporter's newest dead letter that carried this event id, else None."""
        ...


class SubmissionState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    errors: tuple[tuple[str, str], ...]
    received_at: datetime


@dataclass(frozen=True, slots=True)
class SubmissionStatus:
    event_id: str
    state: SubmissionState
    rejection: Rejection | None = None
    accepted_at: datetime | None = None


class PublishFailedError(RuntimeError):
    """The intake topic did not take the record (broker unreachable or refusing)."""


class UnregisteredReporterError(LookupError):
    """The firm account's reporter id is not a registered, enabled reporter."""


Payload = RecallNotice | RecallProgressReport


@dataclass(frozen=True, slots=True)
class Submission:
    """A firm's payload and who sends it; `new_id` and `now` are seams for tests."""

    reporter_id: str
    payload: Payload
    new_id: Callable[[], uuid.UUID] = uuid.uuid4
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def submit(
    submission: Submission,
    *,
    reads: SubmissionReads,
    keys: KeySource,
    publisher: IntakePublisher,
) -> str:
    """Envelope, sign and publish; the event id to poll. Raises `UnregisteredReporterError`,
    and `schemas.signing.NoSigningKeyError` when the reporter has no active key."""
    jurisdiction = reads.reporter_jurisdiction(submission.reporter_id)
    if jurisdiction is None:
        raise UnregisteredReporterError(
            f"reporter {submission.reporter_id!r} is not a registered, enabled reporter"
        )
    event = envelope(submission, jurisdiction)
    value = event.model_dump_json().encode()
    headers = signing_headers(keys(submission.reporter_id), value)
    publisher.publish(submission.reporter_id, value, headers)
    return str(event.event_id)


def envelope(submission: Submission, jurisdiction: str) -> Envelope:
    """The station envelope a firm's own software would send."""
    event_id, sent_at = submission.new_id(), submission.now()
    reporter, payload = submission.reporter_id, submission.payload
    if isinstance(payload, RecallNotice):
        return RecallNoticeEvent(
            event_id=event_id,
            reporter_id=reporter,
            jurisdiction=jurisdiction,
            sent_at=sent_at,
            payload=payload,
        )
    return RecallProgressReportEvent(
        event_id=event_id,
        reporter_id=reporter,
        jurisdiction=jurisdiction,
        sent_at=sent_at,
        payload=payload,
    )


def status_of(reads: SubmissionReads, reporter_id: str, event_id: str) -> SubmissionStatus:
    """Accepted wins over rejected: a resend that was stored after an earlier refusal."""
    accepted_at = reads.accepted(reporter_id, event_id)
    if accepted_at is not None:
        return SubmissionStatus(event_id, SubmissionState.ACCEPTED, accepted_at=accepted_at)
    rejection = reads.rejection(reporter_id, event_id)
    if rejection is not None:
        return SubmissionStatus(event_id, SubmissionState.REJECTED, rejection=rejection)
    return SubmissionStatus(event_id, SubmissionState.PENDING)
