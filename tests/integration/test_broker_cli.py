"""`recall broker start|stop|status` on its own ports: idempotent, waits, logs to a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.broker import REPO
from tests.support.ports import free_port

pytestmark = pytest.mark.integration


def _recall(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recall.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_start_twice_status_stop(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"},
        "RECALL_STATE_DIR": str(tmp_path),
        "RECALL_BROKER_PORT": str(free_port()),
        "RECALL_BROKER_CONTROLLER_PORT": str(free_port()),
        "RECALL_BROKER_HEAP": "384m",
        "RECALL_BROKER_JARS_DIR": str(REPO / ".local" / "kafka-jars"),
    }
    try:
        first = _recall(env, "broker", "start")
        assert first.returncode == 0, first.stderr + first.stdout
        assert "broker running" in first.stdout
        second = _recall(env, "broker", "start")
        assert second.returncode == 0, second.stderr
        pid = (tmp_path / "kafka" / "broker.pid").read_text().strip()
        assert f"pid {pid}" in first.stdout.replace("\n", " ")
        assert f"pid {pid}" in second.stdout.replace("\n", " "), (
            "a second start must reuse the broker"
        )
        status = _recall(env, "broker", "status")
        assert status.returncode == 0 and "running" in status.stdout
        assert (tmp_path / "kafka" / "broker.log").stat().st_size > 0
    finally:
        stop = _recall(env, "broker", "stop")
    assert stop.returncode == 0 and "stopped" in stop.stdout
    after = _recall(env, "broker", "status")
    assert after.returncode == 3 and "not running" in after.stdout


def test_external_cluster_means_nothing_is_started(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RECALL_STATE_DIR": str(tmp_path),
        "KAFKA_BOOTSTRAP_SERVERS": "10.0.0.1:9092",
    }
    result = _recall(env, "broker", "start")
    assert result.returncode == 0
    assert "using that cluster" in result.stdout
    assert not (tmp_path / "kafka").exists()
