"""The Grafana dashboards: every panel queries the `datasource` variable (no fixed uid), and
every metric an expression names is one a worker exports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.metric_names import exported_metric_names

DASHBOARDS = sorted(
    (Path(__file__).resolve().parents[2] / "deploy/grafana/dashboards").glob("*.json")
)
VARIABLE = {"type": "prometheus", "uid": "${datasource}"}


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])  # a collapsed row keeps its panels inside


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_panel_uses_the_datasource_variable(path: Path) -> None:
    dashboard = _load(path)
    [variable] = [v for v in dashboard["templating"]["list"] if v["name"] == "datasource"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    for other in dashboard["templating"]["list"]:
        if other["type"] == "query":
            assert other["datasource"] == VARIABLE, other["name"]
    queried = [p for p in _panels(dashboard) if p["type"] != "row"]
    assert queried
    for panel in queried:
        assert panel["datasource"] == VARIABLE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == VARIABLE, panel["title"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_metric_is_exported(path: Path) -> None:
    exprs = [t["expr"] for p in _panels(_load(path)) for t in p.get("targets", [])]
    used = {name for expr in exprs for name in re.findall(r"\brecall_[a-z_]+\b", expr)}
    assert used
    assert used <= exported_metric_names(), sorted(used - exported_metric_names())


def test_the_domain_panels_are_there() -> None:
    exprs = " ".join(
        t["expr"] for path in DASHBOARDS for p in _panels(_load(path)) for t in p.get("targets", [])
    )
    for metric in (
        "recall_signals_last_hour",
        "recall_investigations_waiting",
        "recall_investigation_oldest_open_age_seconds",
        "recall_recalls_lagging",
        "recall_alerts_firing",
        "recall_station_silent",
        "recall_station_last_seen_age_seconds",
        "recall_station_rejected_share",
    ):
        assert metric in exprs, metric


def test_panels_do_not_overlap() -> None:
    for path in DASHBOARDS:
        cells: set[tuple[int, int]] = set()
        for panel in _load(path)["panels"]:
            g = panel["gridPos"]
            mine = {
                (x, y)
                for x in range(g["x"], g["x"] + g["w"])
                for y in range(g["y"], g["y"] + g["h"])
            }
            assert not (cells & mine), panel["title"]
            assert g["x"] + g["w"] <= 24, panel["title"]
            cells |= mine
