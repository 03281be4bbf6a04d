"""Every error as an RFC 9457 problem document (`application/problem+json`).

One shape for all failures, so a client has one error path: HTTP errors keep their status
and headers (a 401 keeps `WWW-Authenticate`), invalid input is a 422 listing each field and
why (never the value, which may be a token or personal data), the domain's refusals become
409 or 422 with the domain's own message (it names the legal moves), and anything unexpected
is a 500 that says nothing about the internals (the traceback goes to the log).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from recall.domain.cases import CaseError, IllegalCaseTransition
from recall.domain.experts import NoEligibleExpert
from recall.domain.investigations import IllegalInvestigationTransition, InvestigationInputError
from recall.domain.leads import IllegalLeadTransition, LeadInputError
from recall.domain.recalls.errors import IllegalRecallTransition, InvalidRecallError
from recall.service.cases.ports import ConcurrentCaseUpdateError
from recall.service.investigations.ports import ConcurrentUpdateError
from recall.service.leads.ports import LeadDecidedMeanwhileError
from recall.service.recalls.ports import ConcurrentRecallUpdateError
from schemas.api import FieldProblem, Problem

log = structlog.get_logger(__name__)

MEDIA_TYPE = "application/problem+json"
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": HTTPStatus(status).phrase,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status in (400, 401, 403, 404, 409, 422, 429, 500, 503)
}
"""Declared on every resource route, so the OpenAPI document shows the error shape."""


class ProblemError(Exception):
    """Raised by routes to answer with a problem; `kind` names it (`/problems/<kind>`)."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind


def not_found(noun: str, identifier: str) -> ProblemError:
    """The one 404 for a missing object and an object outside the caller's scope."""
    return ProblemError(404, f"no {noun} {identifier!r}")


def forbidden(action: str, allowed: str) -> ProblemError:
    return ProblemError(403, f"your role may not {action}; only {allowed} may")


def problem(
    request: Request,
    status: int,
    detail: str | None,
    *,
    kind: str | None = None,
    errors: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
    instance: str | None = None,
) -> JSONResponse:
    body = Problem(
        type=f"/problems/{kind}" if kind else "about:blank",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path if instance is None else instance,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error the app can raise to a problem document, and declare its schema."""
    _declare_problem_schema(app)
    app.add_exception_handler(ProblemError, _on_problem)  # type: ignore[arg-type]  # narrower
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_invalid)  # type: ignore[arg-type]
    for error, status, kind in _DOMAIN:
        app.add_exception_handler(error, _domain_handler(status, kind))
    app.add_exception_handler(Exception, _on_unexpected)


def _declare_problem_schema(app: FastAPI) -> None:
    """Put `Problem` in the document's components: the routes refer to it under
    `application/problem+json`, a media type FastAPI's `model=` would not use."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            found = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(found.pop("$defs", {}))
            schemas["Problem"] = found
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


_DOMAIN: tuple[tuple[type[Exception], int, str], ...] = (
    (IllegalInvestigationTransition, 409, "illegal-transition"),
    (IllegalRecallTransition, 409, "illegal-transition"),
    (NoEligibleExpert, 409, "no-eligible-expert"),
    (ConcurrentUpdateError, 409, "conflict"),
    (ConcurrentRecallUpdateError, 409, "conflict"),
    (InvestigationInputError, 422, "invalid-decision"),
    (InvalidRecallError, 422, "invalid-decision"),
    (IllegalLeadTransition, 409, "illegal-transition"),
    (LeadDecidedMeanwhileError, 409, "conflict"),
    (LeadInputError, 422, "invalid-decision"),
    (IllegalCaseTransition, 409, "illegal-transition"),
    (ConcurrentCaseUpdateError, 409, "conflict"),
    (CaseError, 422, "invalid-decision"),
)


def is_refusal(error: BaseException) -> bool:
    """True for the domain's own refusals (answered 409 or 422), not for unexpected errors."""
    return isinstance(error, tuple(error_type for error_type, _, _ in _DOMAIN))


async def _on_problem(request: Request, error: ProblemError) -> JSONResponse:
    return problem(request, error.status, error.detail, kind=error.kind)


async def _on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
    detail = error.detail if isinstance(error.detail, str) else None
    return problem(request, error.status_code, detail, headers=error.headers)


async def _on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    errors = [
        FieldProblem(field=".".join(str(part) for part in e.get("loc", ())), message=e["msg"])
        for e in error.errors()
    ]
    detail = "the request has invalid fields"
    return problem(request, 422, detail, kind="validation", errors=errors)


def _domain_handler(status: int, kind: str) -> Any:
    async def handle(request: Request, error: Exception) -> JSONResponse:
        return problem(request, status, str(error), kind=kind)

    return handle


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error in the API", path=request.url.path, exc_info=error)
    return problem(request, 500, "an internal error occurred; it has been logged")
