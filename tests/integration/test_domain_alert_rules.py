"""The Prometheus rules on domain conditions (recall-domain.rules.yml), proven by promtool,
and written only on metrics a worker exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.metric_names import exported_metric_names

pytestmark = pytest.mark.integration
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules"
DOMAIN = "recall-domain.rules.yml"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `make test` installs it (Debian package prometheus)"
    return subprocess.run(
        [promtool, *args], cwd=RULES, capture_output=True, text=True, timeout=300, check=False
    )


def test_domain_rules_are_valid() -> None:
    result = _promtool("check", "rules", DOMAIN)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_domain_rule_fires_when_it_should_and_only_then() -> None:
    result = _promtool("test", "rules", "recall-domain.rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(RULES.joinpath("recall-domain.rules.test.yml").read_text().split())
    rules = {
        line.split(":", 1)[1].strip()
        for line in RULES.joinpath(DOMAIN).read_text().splitlines()
        if line.strip().startswith("- alert:")
    }
    assert rules <= tested, f"alerts without a promtool test: {sorted(rules - tested)}"


def test_domain_rules_use_only_exported_metrics() -> None:
    text = RULES.joinpath(DOMAIN).read_text()
    expressions = re.findall(r"expr: (?:\|\n)?((?:.+\n)+?)\s+(?:for|labels):", text)
    used = {name for expr in expressions for name in re.findall(r"\brecall_[a-z_]+", expr)}
    assert used, "no metric found in the rules"
    assert used <= exported_metric_names(), sorted(used - exported_metric_names())
