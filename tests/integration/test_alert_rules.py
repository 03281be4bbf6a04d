"""The Prometheus alert rules, proven by Prometheus's own rule tester (promtool)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `make test` installs it (Debian package prometheus)"
    return subprocess.run(
        [promtool, *args], cwd=RULES, capture_output=True, text=True, timeout=120, check=False
    )


def test_rules_are_valid() -> None:
    result = _promtool("check", "rules", "recall.rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_rule_fires_when_it_should_and_only_then() -> None:
    result = _promtool("test", "rules", "recall.rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(RULES.joinpath("recall.rules.test.yml").read_text().split())
    rules = {
        line.split(":", 1)[1].strip()
        for line in RULES.joinpath("recall.rules.yml").read_text().splitlines()
        if line.strip().startswith("- alert:")
    }
    assert rules <= tested, f"alerts without a promtool test: {sorted(rules - tested)}"
