"""What a running worker says about itself on its /metrics port, for benchmarks.

The worker exports `recall_consumer_lag` for every partition assigned to it — Faust's agents,
the batch consumers (intake, projectors) and table changelogs alike (streams/worker.py) — so
a benchmark can see which partitions each worker of a group holds without joining the group.
"""

from __future__ import annotations

import re
import urllib.request

_LAG = re.compile(r"^recall_consumer_lag\{([^}]*)\}\s+(\S+)$", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def scrape(port: int) -> str | None:
    """The worker's /metrics text; None while its port does not answer (starting, gone)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
            text: str = reply.read().decode()
            return text
    except OSError:
        return None


def partition_lags(metrics: str) -> list[tuple[str, int, float]]:
    """(topic, partition, lag) for every partition the worker holds, from /metrics text."""
    series = []
    for labels, value in _LAG.findall(metrics):
        named = dict(_LABEL.findall(labels))
        series.append((named["topic"], int(named["partition"]), float(value)))
    return series


def held_partitions(metrics: str, topic: str) -> frozenset[int]:
    """The partitions of `topic` the worker holds."""
    return frozenset(p for t, p, _lag in partition_lags(metrics) if t == topic)
