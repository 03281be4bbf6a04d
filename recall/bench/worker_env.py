"""The environment a benchmark's worker process runs with: the benchmark's own settings.

A worker reads its configuration from the environment, so everything the benchmark chose (or
was given: a test's broker on another port, a table store, a partition count) has to be passed
on explicitly, or the worker silently measures something else — the default broker, say.
"""

from __future__ import annotations

from pathlib import Path

from recall.config import Settings


def bench_worker_env(
    settings: Settings, workdir: Path, metrics_port: int, **extra: str
) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "DATABASE_URL": settings.database_url or "",
        "RECALL_TOPIC_PREFIX": settings.topic_prefix,
        "RECALL_APP_ID": settings.app_id,
        "RECALL_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "RECALL_TABLE_STORE": settings.table_store,
        "RECALL_METRICS_PORT": str(metrics_port),
        "RECALL_STATE_DIR": str(workdir),
        **extra,
    }
