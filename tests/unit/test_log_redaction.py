"""Personal identifiers never reach a log line, whatever a log call or exception carries."""

from __future__ import annotations

import logging

from recall.logs import _RedactingFilter, redact_personal_data

RESIDENT_ID = "11010519491231002X"


def test_structlog_values_are_redacted_and_bounded() -> None:
    event = {
        "event": f"refused value {RESIDENT_ID}",
        "detail": "call 138 0013 8000",
        "offset": 12,
        "huge": "x" * 10_000,
    }
    out = redact_personal_data(None, "error", event)
    assert RESIDENT_ID not in out["event"] and "[redacted:resident_id]" in out["event"]
    assert "8000" not in out["detail"]
    assert out["offset"] == 12
    assert len(out["huge"]) == 2000


def test_standard_library_records_are_redacted() -> None:
    record = logging.LogRecord(
        "sqlalchemy", logging.ERROR, __file__, 1, "value %s refused", (RESIDENT_ID,), None
    )
    assert _RedactingFilter().filter(record)
    assert RESIDENT_ID not in record.getMessage()
    assert "[redacted:resident_id]" in record.getMessage()
