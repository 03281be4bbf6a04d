"""deploy/alertmanager/alertmanager.yml: valid for Alertmanager's own checker, and routing
as documented (by region and by severity), proven with `amtool config routes test`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "alertmanager" / "alertmanager.yml"


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    amtool = shutil.which("amtool")
    assert amtool, "amtool is missing: `make test` installs it (Debian prometheus-alertmanager)"
    return subprocess.run([amtool, *args], capture_output=True, text=True, timeout=60, check=False)


def test_the_config_is_valid() -> None:
    result = _amtool("check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (["alertname=recall_lagging", "severity=warning", "region=440305"], "guangdong-team,chat"),
        (
            [
                "alertname=station_silent",
                "severity=critical",
                "region=140105",
                "region_province=140000",
            ],
            "shanxi-team,pager",
        ),
        (["alertname=investigation_opened", "severity=info", "region=110101"], "oncall-email"),
        (["alertname=RecallWorkerDown", "severity=critical"], "pager"),
    ],
)
def test_routes_by_region_and_severity(labels: list[str], receivers: str) -> None:
    result = _amtool(
        "config",
        "routes",
        "test",
        f"--config.file={CONFIG}",
        f"--verify.receivers={receivers}",
        *labels,
    )
    assert result.returncode == 0, result.stdout + result.stderr
