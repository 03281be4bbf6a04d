"""Run the `recall` command in-process against a fresh SQLite database per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from recall.cli.main import app

from .support import Invoke


@pytest.fixture
def recall_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """`recall_cli("risk", "matrix", …)` → click Result; wide output so tables do not wrap."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'recall.db'}")
    monkeypatch.setenv("RECALL_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "240")
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args))

    return invoke
