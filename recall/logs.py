"""Structured logging for every process: JSON lines in production, readable text at a terminal."""

from __future__ import annotations

import logging
import sys

import structlog

from schemas.privacy import redact_text

_MAX_LOGGED_TEXT = 2000


def redact_personal_data(
    _logger: object, _method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """Last line of defence: no resident ID or mobile number reaches a log line.

    Log calls name positions and error types, not record contents, but an exception text
    (a database error quoting a value, a traceback) can still carry what a station sent; every
    string is bounded and scanned after formatting, so that too is redacted.
    """
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact_text(value[:_MAX_LOGGED_TEXT])[0]
    return event


class _RedactingFilter(logging.Filter):
    """The same for the standard library's loggers (Faust, aiokafka, SQLAlchemy)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted, found = redact_text(message[:_MAX_LOGGED_TEXT])
        if found or len(message) > _MAX_LOGGED_TEXT:
            record.msg, record.args = redacted, None
        return True


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written, not when logging was configured.

    A command run inside a test runner (or any host that swaps `sys.stderr`) would otherwise
    leave every later log line writing to a stream that has been closed.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_personal_data,
    ]
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # A writable stream in all but name: PrintLoggerFactory is annotated with TextIO.
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(
        level=level.upper(),
        stream=_CurrentStderr(),
        format="%(levelname)s %(name)s %(message)s",
    )
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _RedactingFilter) for f in handler.filters):
            handler.addFilter(_RedactingFilter())
    for noisy in ("kafka", "aiokafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
