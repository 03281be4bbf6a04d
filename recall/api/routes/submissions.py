"""Submissions (企业报送): firms submit recall notices and progress reports; stations and
firms read what became of their events.

A submission is not stored here. It is wrapped in the station envelope, signed as the firm's
reporter id with the server-side key and published to `intake.raw`, so the worker's intake
validates it exactly like a record from the firm's own software (`recall.service.submissions`).
The answer is `202 Accepted` with the event id and a `Location` to poll.

Scope: only firm accounts submit (others 403). `GET /submissions/{event_id}` answers for the
caller's own reporter id (a firm's or a station's); an id of another reporter reads `pending`,
exactly as an id not yet seen, so nothing about other reporters leaks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.key_store import server_side_keys
from recall.adapters.db.submission_reads import SqlSubmissionReads
from recall.adapters.kafka.intake_publisher import KafkaIntakePublisher
from recall.api import audit as api_audit
from recall.api.deps import CurrentPrincipal
from recall.api.problems import PROBLEM_RESPONSES, ProblemError
from recall.config import Settings
from recall.domain.access import Principal, Role
from recall.service import submissions as service
from schemas import api
from schemas.recalls import RecallNotice, RecallProgressReport
from schemas.signing import KeySource, NoSigningKeyError

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    503: {**PROBLEM_RESPONSES[500], "description": "Service Unavailable"},
}
router = APIRouter(prefix="/submissions", tags=["submissions 企业报送"], responses=_RESPONSES)


@dataclass
class SubmissionDesk:
    """What the routes read and sign with, kept on `app.state.submissions`. The publisher is
    kept apart, on `app.state.intake_publisher`, so a test replaces exactly the broker."""

    reads: service.SubmissionReads
    keys: Callable[[], KeySource]


def desk(settings: Settings, sessions: sessionmaker[Session]) -> SubmissionDesk:
    """SQL reads, and the active keys read per submission (a key issued or revoked a second
    ago counts)."""
    return SubmissionDesk(
        reads=SqlSubmissionReads(sessions), keys=lambda: server_side_keys(sessions, settings)
    )


def intake_publisher(settings: Settings) -> service.IntakePublisher:
    """The Kafka producer of submissions; it connects on the first submission."""
    return KafkaIntakePublisher(settings)


@router.post("/recall-notices", status_code=202, response_model=api.SubmissionReceipt)
def submit_recall_notice(
    request: Request, response: Response, principal: CurrentPrincipal, notice: RecallNotice
) -> api.SubmissionReceipt:
    """Announce a recall (召回计划): published to the intake signed as your firm."""
    return _submit(request, response, principal, notice, f"recall notice {notice.recall_id}")


@router.post("/progress-reports", status_code=202, response_model=api.SubmissionReceipt)
def submit_progress_report(
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    report: RecallProgressReport,
) -> api.SubmissionReceipt:
    """Report a recall's progress (召回进展): published to the intake signed as your firm."""
    subject = f"progress report {report.recall_id}#{report.sequence}"
    return _submit(request, response, principal, report, subject)


@router.get("/{event_id}", response_model=api.SubmissionStatus)
def submission_status(
    request: Request, principal: CurrentPrincipal, event_id: uuid.UUID
) -> api.SubmissionStatus:
    """Pending, accepted, or rejected with the reason and field errors (never the record)."""
    if principal.role not in (Role.FIRM, Role.STATION) or principal.station_id is None:
        raise api_audit.forbidden(request, "read submissions", "firms and stations")
    found = service.status_of(_desk(request).reads, principal.station_id, str(event_id))
    rejection = found.rejection
    return api.SubmissionStatus(
        event_id=found.event_id,
        state=found.state.value,
        reason=rejection.reason if rejection else None,
        errors=[api.FieldProblem(field=f, message=m) for f, m in rejection.errors]
        if rejection
        else [],
        decided_at=rejection.received_at if rejection else found.accepted_at,
    )


def _submit(
    request: Request,
    response: Response,
    principal: Principal,
    payload: service.Payload,
    subject: str,
) -> api.SubmissionReceipt:
    event_id = uuid.uuid4()
    with api_audit.recorded(request, principal, "submit", f"{subject} (event {event_id})"):
        reporter = _firm_reporter(request, principal)
        found = _desk(request)
        publisher: service.IntakePublisher = request.app.state.intake_publisher
        submission = service.Submission(reporter, payload, new_id=lambda: event_id)
        try:
            service.submit(submission, reads=found.reads, keys=found.keys(), publisher=publisher)
        except service.UnregisteredReporterError:
            raise ProblemError(
                403, "your firm's reporter id is not registered or is disabled"
            ) from None
        except NoSigningKeyError:
            detail = "your firm has no active signing key; ask the regulator to issue one"
            raise ProblemError(409, detail, kind="no-signing-key") from None
        except service.PublishFailedError:
            detail = "the intake is unavailable; nothing was submitted, try again later"
            raise ProblemError(503, detail, kind="intake-unavailable") from None
    location = f"/submissions/{event_id}"
    response.headers["Location"] = location
    return api.SubmissionReceipt(event_id=str(event_id), location=location)


def _firm_reporter(request: Request, principal: Principal) -> str:
    if principal.role is not Role.FIRM:
        raise api_audit.forbidden(request, "submit recall notices or reports", "firms")
    if principal.station_id is None:
        raise ProblemError(403, "your firm account has no reporter id; it cannot submit")
    return principal.station_id


def _desk(request: Request) -> SubmissionDesk:
    found: SubmissionDesk = request.app.state.submissions
    return found
