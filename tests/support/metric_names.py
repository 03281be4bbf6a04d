"""The metric names a worker exports, as Prometheus sees them (for rules and dashboards)."""

from __future__ import annotations

from functools import cache

from streams.metrics import WorkerMetrics


@cache
def exported_metric_names() -> frozenset[str]:
    """Every series name of `WorkerMetrics`: counters with `_total`, histograms with
    `_bucket`/`_sum`/`_count`, gauges as declared (prometheus_client's own exposition)."""
    names: set[str] = set()
    for metric in WorkerMetrics().registry.collect():
        names.add(metric.name)
        if metric.type == "counter":
            names.add(f"{metric.name}_total")
        if metric.type == "histogram":
            names.update(f"{metric.name}_{suffix}" for suffix in ("bucket", "sum", "count"))
    return frozenset(names)
