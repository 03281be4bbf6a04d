"""The worker serves Prometheus metrics that count what it did."""

from __future__ import annotations

import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from recall.tools.worker_process import wait_for
from tests.support.events import malformed_events, valid_events
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration


def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_metrics_count_accepted_rejected_and_latency(pipeline: Pipeline) -> None:
    pipeline.start_worker()
    sender = pipeline.sender()
    for reporter, value in valid_events(pipeline.registry, 50, seed=4):
        sender.send(reporter, value)
    for reporter, value, signed in malformed_events(pipeline.registry, 7, seed=4):
        sender.send(reporter, value, signed=signed)
    sender.flush()
    sender.close()
    pipeline.wait_counts(events=50, dead_letters=7, duplicates=0)
    port = pipeline.settings.metrics_port

    def counted() -> bool:
        try:
            s = _samples(port)
        except OSError:
            return False
        return s.get(("recall_events_received_total", ()), 0) >= 57

    assert wait_for(counted, 30)
    samples = _samples(port)
    assert samples[("recall_events_accepted_total", (("type", "injury_report"),))] == 50
    rejected = sum(v for (name, _), v in samples.items() if name == "recall_events_rejected_total")
    assert rejected == 7
    assert samples[("recall_rows_persisted_total", (("table", "events"),))] == 50
    assert samples[("recall_pipeline_latency_seconds_count", (("stage", "persisted"),))] == 50
    # The event-loop probe runs from the start (a wake-up every 100 ms), late by >= 0 each time.
    assert samples[("recall_event_loop_lag_seconds_count", ())] >= 1
    assert samples[("recall_event_loop_lag_seconds_sum", ())] >= 0
