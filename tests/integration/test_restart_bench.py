"""`recall bench restart` on the real broker: it replays a filled changelog and cleans up."""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient

from recall.config import Settings
from recall.tools.bench.restart import run_restart_benchmark

pytestmark = pytest.mark.integration


def test_restart_bench_replays_the_changelog_and_deletes_its_topics(
    broker_settings: Settings,
) -> None:
    messages: list[str] = []
    filled: list[int] = []
    result = run_restart_benchmark(broker_settings, 20_000, messages.append, filled.append)
    assert result.products == 20_000 and sum(filled) == 20_000
    assert result.changelog_bytes > 20_000 * 100  # realistic states, not empty values
    assert 0 < result.first_start_s < 300 and 0 < result.restart_to_processing_s < 300
    assert result.records_per_s == pytest.approx(20_000 / result.restart_to_processing_s, rel=0.01)
    assert result.worker_rss_mib > 20
    assert any("changelog" in m for m in messages)
    admin = KafkaAdminClient(bootstrap_servers=broker_settings.bootstrap_servers)
    try:
        left = [t for t in admin.list_topics() if "restart-" in t]
    finally:
        admin.close()
    assert left == []
