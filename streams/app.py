"""The one Faust app: built by `create_app(settings)`, never at import time."""

from __future__ import annotations

import ssl
from typing import Any

import faust

from recall.config import Settings
from schemas.topics import (
    ALERTS,
    EVENTS_CANONICAL,
    INTAKE_RAW,
    REGISTRY_CHANGES,
    RISK_REGIONAL,
    RISK_SIGNALS,
    TopicSpec,
)
from streams import faust_seek, intake_consumer, table_store
from streams.agents import (
    alertmanager,
    disproportionality,
    investigate,
    leads,
    project,
    recalls,
    regional,
    registry,
    risk,
    stations,
    webhooks,
)
from streams.batch_consumer import group_of
from streams.context import WorkerContext


def _credentials(settings: Settings) -> Any:
    """SASL/SCRAM (and TLS) for Faust, from the same settings kafka-python uses."""
    if not settings.kafka_sasl_mechanism:
        if settings.kafka_security_protocol == "SSL":
            return faust.SSLCredentials(_ssl_context(settings))
        return None
    password = (
        settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    )
    ssl_context = _ssl_context(settings) if settings.kafka_security_protocol == "SASL_SSL" else None
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=password,
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=ssl_context,
    )


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    return ssl.create_default_context(cafile=cafile)


def faust_options(settings: Settings) -> dict[str, Any]:
    brokers = [f"kafka://{server.strip()}" for server in settings.bootstrap_servers.split(",")]
    return {
        "broker_credentials": _credentials(settings),
        "broker": brokers,
        "store": table_store.register() if settings.table_store == "rocksdb" else "memory://",
        # No Faust web server: its /table endpoints would expose state; metrics have their own port.
        "web_enabled": False,
        "topic_partitions": settings.topic_partitions,
        "topic_replication_factor": settings.topic_replication,
        # A survivor of a dead worker takes over partitions it already mirrors (docs/streams.md).
        "table_standby_replicas": settings.table_standby_replicas,
        # Faust declares only its internal topics (leader, changelogs); ours come from
        # schemas.topics via `recall topics` / the worker's start-up (internal=False below).
        "topic_allow_declare": True,
        "broker_session_timeout": settings.consumer_session_timeout_s,
        "broker_heartbeat_interval": max(1.0, settings.consumer_session_timeout_s / 5),
        "consumer_auto_offset_reset": "earliest",
        "producer_acks": -1,
        "producer_linger_ms": 5,
        "stream_buffer_maxsize": 16384,
        # Every value is bytes we encode ourselves (schemas/ + orjson): no Faust codecs.
        "key_serializer": "raw",
        "value_serializer": "raw",
        # Commit on the 1 s timer only: a count-triggered commit runs inside the fetcher that
        # feeds every agent and first waits for a producer flush (1–13 s seen under load,
        # the multi-second p99 jumps of `recall bench pipeline`); 2**31 never triggers.
        "broker_commit_every": 2**31,
        # A revocation waits until every event an agent started on is acked before the
        # partitions go (Faust's default). With False, a batch in flight could finish after
        # its partition had moved: the three-worker kill -9 test once saw investigations,
        # signals and product states differ from the one-worker run; with True, 7 of 7 runs
        # agreed on them (docs/streams.md "Several workers" has what is still open).
        "stream_wait_empty": True,
        "broker_commit_interval": 1.0,
        "datadir": str(settings.state_dir / "faust"),
    }


def _topic(app: faust.App, spec: TopicSpec, settings: Settings) -> faust.TopicT:
    return app.topic(
        settings.topic_name(spec.name),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=spec.partitions or settings.topic_partitions,
        retention=spec.retention_ms / 1000.0,
        internal=False,
    )


def create_app(context: WorkerContext) -> faust.App:
    settings = context.settings
    faust_seek.install()  # no record skipped after a rebalance (streams/faust_seek.py)
    app = faust.App(settings.app_id, **faust_options(settings))
    stages = set(settings.agents.split(","))
    canonical = _topic(app, EVENTS_CANONICAL, settings)
    if "intake" in stages:
        # A batch consumer of its own, not a Faust agent (streams/intake_consumer.py).
        intake_consumer.register(app, context, _topic(app, INTAKE_RAW, settings))
        registry.register(app, context, _topic(app, REGISTRY_CHANGES, settings))
    if "stations" in stages:  # station health on a timer (docs/station-health.md)
        stations.register(app, context)
    if "risk" in stages:
        risk.register(app, context, canonical)
        regional.register(app, context, _topic(app, RISK_REGIONAL, settings))
        disproportionality.register(app, context)  # leader timer (docs/risk-model.md)
    if "recalls" in stages:
        recalls.register(app, context, canonical)
    if "investigations" in stages:
        investigate.register(app, context, _topic(app, RISK_SIGNALS, settings))
        leads.register(app, context)  # leader timer: newsroom reports → triage queue
    if "alertmanager" in stages:  # domain gauges; alerts to Alertmanager when its URL is set
        alertmanager.register(app, context, _topic(app, ALERTS, settings))
    if "webhooks" in stages:  # alerts → webhook delivery queue, and its dispatcher
        webhooks.register(app, context, _topic(app, ALERTS, settings))
    if "project" in stages:  # the read model: one projector per topic (streams/agents/project)
        for source in project.SOURCES:
            project.register(app, context, _topic(app, source.spec, settings))
    return app


_FAUST_READS: dict[str, tuple[TopicSpec, ...]] = {
    "intake": (REGISTRY_CHANGES,),
    "risk": (EVENTS_CANONICAL, RISK_REGIONAL),
    "recalls": (EVENTS_CANONICAL,),
    "investigations": (RISK_SIGNALS,),
    "alertmanager": (ALERTS,),
    "webhooks": (ALERTS,),
}
"""The topics Faust's group reads, by stage (`Settings.agents`), as `create_app` wires them."""


def reader_groups(settings: Settings, base_topic: str) -> list[str]:
    """The consumer groups that read `base_topic` with `settings.agents`: Faust's for its
    agents, and each batch consumer's own (`streams.batch_consumer`). A record is processed
    once every one of them has committed past it (benchmarks and tests wait for that)."""
    stages = set(settings.agents.split(","))
    groups: list[str] = []
    if any(base_topic in {s.name for s in _FAUST_READS.get(stage, ())} for stage in stages):
        groups.append(settings.app_id)
    if "intake" in stages and base_topic == INTAKE_RAW.name:
        groups.append(intake_consumer.intake_group(settings))
    if "project" in stages:
        groups.extend(
            group_of(settings, s.agent) for s in project.SOURCES if s.spec.name == base_topic
        )
    return groups
