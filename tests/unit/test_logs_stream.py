"""Logging survives a swapped and closed `sys.stderr` (a command run inside a test runner)."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from recall.logs import configure_logging


def test_log_lines_go_to_the_current_stderr_not_the_one_at_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO")
    structlog.get_logger("t").info("before")
    first.close()  # what CliRunner does to its stream once the command returned
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    structlog.get_logger("t").warning("after the first stream closed")
    assert "after the first stream closed" in second.getvalue()
