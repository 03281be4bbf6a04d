"""`recall api`: migrates, builds the app and hands it to uvicorn on the given address."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from recall.cli.main import app


def test_recall_api_serves_the_app_on_host_and_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'api.db'}")
    monkeypatch.setenv("RECALL_STATE_DIR", str(tmp_path))
    served: dict[str, Any] = {}

    def run(application: FastAPI, **options: Any) -> None:
        served.update(options, app=application)

    monkeypatch.setattr(uvicorn, "run", run)
    result = CliRunner().invoke(app, ["api", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("0.0.0.0", 8123)
    assert isinstance(served["app"], FastAPI)
    assert "/investigations" in served["app"].openapi()["paths"]
    assert (tmp_path / "api.db").exists()  # migrated before serving
