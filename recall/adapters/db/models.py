"""Tables of the system of record.

Typed declarative models live here, in the adapter layer, never in the domain. Every table
that receives stream output has a natural idempotency key (event id, or the source record's
topic/partition/offset) so a redelivered record can never be stored twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from recall.adapters.db.types import UtcDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Region(Base):
    """A GB/T 2260 division's name from the registry (`regions` section), for pages to show."""

    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Station(Base):
    """A registered reporter: monitoring station, sampling lab or firm."""

    __tablename__ = "stations"
    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    manufacturer_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Manufacturer(Base):
    __tablename__ = "manufacturers"
    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)


class ProductKind(Base):
    """The consumer-product taxonomy: 10 categories, many kinds."""

    __tablename__ = "product_kinds"
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))


class Product(Base):
    __tablename__ = "products"
    product_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    manufacturer_code: Mapped[str | None] = mapped_column(String(18), index=True, nullable=True)
    brand: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    gtin: Mapped[str | None] = mapped_column(String(14), nullable=True)
    units_in_use: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Standard(Base):
    """A product standard and its status: intake judges sampling results by it."""

    __tablename__ = "standards"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), server_default="in_force")
    superseded_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)


class Lab(Base):
    __tablename__ = "labs"
    lab_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    accreditation: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), server_default="accredited")
    accredited_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    scope: Mapped[list[Any]] = mapped_column(JSON, server_default="[]")
    """Product categories the accreditation covers."""


class RegistryChangeRow(Base):
    """The registry's audit trail: one row per entry that actually changed, from a change
    event (`registry.changes`, keyed by its change id, so a redelivery is applied once) or a
    whole-file load (`recall registry load`, a fresh id per changed entry)."""

    __tablename__ = "registry_changes"
    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    section: Mapped[str] = mapped_column(String(32), index=True)
    entry_key: Mapped[str] = mapped_column(String(512), index=True)
    operation: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    """`event` (registry.changes) or `file` (a whole-file load)."""
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Expert(Base):
    __tablename__ = "experts"
    expert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    categories: Mapped[list[Any]] = mapped_column(JSON)
    linked_firms: Mapped[list[Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Event(Base):
    """Every accepted station event, once per (reporter, event id).

    Event ids are chosen by stations, so they are unique only within one reporter: keying by
    the id alone let one station squat another's id and turn its genuine report into a
    "duplicate". `content_hash` tells a resend (same content) from a conflicting reuse.
    """

    __tablename__ = "events"
    reporter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    product_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    occurred_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source_topic: Mapped[str] = mapped_column(String(128))
    source_partition: Mapped[int] = mapped_column(Integer)
    source_offset: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_events_product_occurred", "product_key", "occurred_at"),
        Index("ix_events_jurisdiction_type", "jurisdiction", "type"),
        Index("ix_events_event_id", "event_id"),
        Index("ix_events_source", "source_topic", "source_partition", "source_offset"),
        # A station's traffic over time (per hour, day, minute): migration 0011.
        Index("ix_events_reporter_received", "reporter_id", "received_at"),
    )


class EventDuplicate(Base):
    """A resent event id: counted once per source record, never stored as a second event."""

    __tablename__ = "event_duplicates"
    source_topic: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    reporter_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeadLetterRow(Base):
    """A refused event with its original bytes and why, once per source record."""

    __tablename__ = "dead_letters"
    source_topic: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), index=True)
    errors: Mapped[list[Any]] = mapped_column(JSON)
    reporter_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    original: Mapped[bytes] = mapped_column(LargeBinary)
    original_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    original_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    """The canonical UUID the refused record claims; NULL when it claims none we could read."""

    __table_args__ = (
        # A station's health (the read model's query): its rejections by reason over a window.
        Index("ix_dead_letters_reporter_received", "reporter_id", "received_at"),
        # GET /submissions/{event_id}: the newest refusal of one of a reporter's events, read
        # from the index alone in its order (without `received_at`, SQLite prefers the index
        # above and walks all of the reporter's letters).
        Index("ix_dead_letters_reporter_event", "reporter_id", "event_id", "received_at"),
    )


class InvestigationRow(Base):
    """Current state of one investigation; `version` guards against lost updates."""

    __tablename__ = "investigations"
    investigation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_key: Mapped[str] = mapped_column(String(512))
    hazard: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    jurisdiction: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    risk_level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    hazard_description: Mapped[str | None] = mapped_column(Text, nullable=True)
    conclusion_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    expert_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    trigger_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    """The owning administration (supervision tier, migration 0019); moves in `tier_moves`."""
    owner_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_investigations_product_hazard", "product_key", "hazard", "seq"),
        # The queue's keyset pages, in their order (migration 0008).
        Index("ix_investigations_opened_page", "opened_at", "investigation_id"),
        Index("ix_investigations_updated_page", "updated_at", "investigation_id"),
    )


class InvestigationEvidenceRow(Base):
    __tablename__ = "investigation_evidence"
    investigation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    evidence_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    risk_level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    observed: Mapped[float | None] = mapped_column(nullable=True)
    expected: Mapped[float | None] = mapped_column(nullable=True)
    statistic: Mapped[float | None] = mapped_column(nullable=True)
    threshold: Mapped[float | None] = mapped_column(nullable=True)
    method: Mapped[str | None] = mapped_column(String(64), nullable=True)
    window: Mapped[str | None] = mapped_column(String(64), nullable=True)


class InvestigationAuditRow(Base):
    """The audit trail: who did what, when and why — append-only, one row per transition."""

    __tablename__ = "investigation_audit"
    investigation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text)
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(String(32))


class OutboxRow(Base):
    """Records to publish after the transaction that decided them commits (transactional outbox).

    An alert decided in SQL cannot be lost by a crash between commit and send: the publisher
    sends pending rows and marks them; consumers dedupe by the stable record id.
    """

    __tablename__ = "outbox"
    record_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    topic: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)


class RecallRow(Base):
    """One recall: the notice as received, its lifecycle state and what was already announced."""

    __tablename__ = "recalls"
    recall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    investigation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    product_key: Mapped[str] = mapped_column(String(512), index=True)
    category: Mapped[str] = mapped_column(String(32))
    firm_id: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)
    hazard: Mapped[str] = mapped_column(String(32))
    risk_level: Mapped[str] = mapped_column(String(16))
    notice: Mapped[dict[str, Any]] = mapped_column(JSON)
    notice_event_id: Mapped[str] = mapped_column(String(36))
    start: Mapped[datetime] = mapped_column(UtcDateTime())
    target_date: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), index=True)
    verdict: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sent_keys: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_effectiveness: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    # The register's keyset pages, in their order (migration 0008).
    __table_args__ = (
        Index("ix_recalls_updated_page", "updated_at", "recall_id"),
        Index("ix_recalls_start_page", "start", "recall_id"),
    )


class RecallTransitionRow(Base):
    __tablename__ = "recall_transitions"
    recall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    who: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    why: Mapped[str] = mapped_column(Text)


class RecallProgressRow(Base):
    __tablename__ = "recall_progress"
    recall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    period_start: Mapped[datetime] = mapped_column(UtcDateTime())
    period_end: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    levels: Mapped[dict[str, Any]] = mapped_column(JSON)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)


class PostRecallIncidentRow(Base):
    """An injury or sampling failure involving a recalled product (or batch)."""

    __tablename__ = "post_recall_incidents"
    recall_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    batch: Mapped[str | None] = mapped_column(String(64), nullable=True)
    after_start: Mapped[bool] = mapped_column(Boolean)


class StationKeyRow(Base):
    """One version of one station's signing key: which versions are active, never the key.

    Keys are derived from the server's master secret, the station id and the version
    (`schemas.signing.derive_station_key`), so this table holds no secret; a leaked
    database backup cannot sign anything. Rows are never deleted: a revoked version stays as
    the record of who revoked it, when and why, and its number is never reused.
    """

    __tablename__ = "station_keys"
    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Account(Base):
    """A person or system that uses the API: its role, what scopes it, its hashed token.

    Tokens are 32 random bytes shown once; only their SHA-256 is stored (a random token needs
    no slow hash: there is nothing to guess). `token_id` is the token's public half, so a
    lookup never compares secrets in SQL.
    """

    __tablename__ = "accounts"
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), index=True)
    region: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    station_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    manufacturer_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    expert_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token_id: Mapped[str] = mapped_column(String(32), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    disabled_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


class AuditEntry(Base):
    """Every action taken through the API (or the CLI acting as an account), allowed or not."""

    __tablename__ = "audit_log"
    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class RiskScoreRow(Base):
    """Read model: the latest `risk.scores` record per product (compacted topic, kept in SQL)."""

    __tablename__ = "risk_scores"
    product_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    risk_level: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    explanation: Mapped[list[Any]] = mapped_column()
    contributions: Mapped[list[Any]] = mapped_column(server_default="[]")  # 0017
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    region: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    category: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    source_partition: Mapped[int] = mapped_column(Integer)
    source_offset: Mapped[int] = mapped_column(BigInteger)


class RiskSignalRow(Base):
    """Read model: every `risk.signals` record, by its stable signal id."""

    __tablename__ = "risk_signals"
    signal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_key: Mapped[str] = mapped_column(String(300), index=True)
    hazard: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)
    method: Mapped[str] = mapped_column(String(32))
    risk_level: Mapped[str] = mapped_column(String(16), index=True)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    record: Mapped[dict[str, Any]] = mapped_column()

    __table_args__ = (
        # Risk by region counts a time range by region, category and level from this index
        # alone (migration 0010).
        Index(
            "ix_risk_signals_region_counts", "raised_at", "jurisdiction", "category", "risk_level"
        ),
    )


class AlertRow(Base):
    """Read model: every `alerts` record (regional signals, investigations, recalls)."""

    __tablename__ = "alerts"
    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    record: Mapped[dict[str, Any]] = mapped_column()
    # firing or resolved (migration 0014); the record holds it too, the column lets lists filter.
    status: Mapped[str] = mapped_column(String(16), server_default="firing")

    __table_args__ = (
        # A recall's (or investigation's) own alerts, newest first (GET /alerts?subject=…).
        Index("ix_alerts_subject_at", "subject", "at"),
    )


class WebhookSubscriptionRow(Base):
    """An account's webhook: where to POST, what to send (filters), and whether it is paused.

    `owner_jurisdiction` is copied from the owning account when the subscription is made (never
    from the request), so the fan-out can hold every delivery to the owner's area without a join.
    """

    __tablename__ = "webhook_subscriptions"
    subscription_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_account_id: Mapped[str] = mapped_column(String(64), index=True)
    owner_jurisdiction: Mapped[str | None] = mapped_column(String(6), nullable=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500))
    kinds: Mapped[list[Any]] = mapped_column()
    severities: Mapped[list[Any]] = mapped_column()
    categories: Mapped[list[Any]] = mapped_column()
    regions: Mapped[list[Any]] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), index=True)
    paused_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookSecretRow(Base):
    """A signing secret (`whsec_…`); after a rotation the old one signs too until it expires."""

    __tablename__ = "webhook_secrets"
    secret_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(64), index=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class WebhookDeliveryRow(Base):
    """One event for one subscription: the durable schedule of its attempts (a SQL queue).

    Unique per (subscription, event) so a replayed fan-out adds nothing; a claim sets a lease,
    and a lease that runs out (the worker died mid-attempt) makes the row due again.
    """

    __tablename__ = "webhook_deliveries"
    delivery_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(120))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (
        Index("ux_webhook_deliveries_once", "subscription_id", "event_id", unique=True),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_log", "subscription_id", "state", "created_at"),
    )


class WebhookAttemptRow(Base):
    """The log of every POST made for a delivery: when, the answer or the error, how long."""

    __tablename__ = "webhook_attempts"
    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(64), index=True)
    attempt_no: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)


class AlertConditionRow(Base):
    """What Alertmanager must hear again: per condition (kind + subject) or moment (kind +
    alert id), the latest alert applied, when it started and ends, when it was last delivered.

    Alertmanager forgets a firing alert it is not sent again, and may be down when the alert
    arrives; the re-send timer works from these rows (recall/domain/alert_conditions.py).
    """

    __tablename__ = "alert_conditions"
    condition_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    alert_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    jurisdiction: Mapped[str | None] = mapped_column(String(6), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    record: Mapped[dict[str, Any]] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (Index("ix_alert_conditions_status", "status", "kind"),)


class StationHealthRow(Base):
    """Each station's silence and feed verdicts (recall/domain/station_health.py), kept so a
    silence alerts once and its end resolves once across restarts (migration 0015)."""

    __tablename__ = "station_health"
    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    """well | silent"""
    silent_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """The last contact before the silence: the episode's identity."""
    silent_alert_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    feed: Mapped[str] = mapped_column(String(16))
    """ok | poor"""
    feed_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    feed_alert_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    learned: Mapped[bool] = mapped_column(Boolean)
    expected_events: Mapped[float] = mapped_column(Float)
    probability: Mapped[float] = mapped_column(Float)
    rejected_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProductDisproportionalityRow(Base):
    """Each product x hazard pair's disproportionality against its category over the live
    window, as the periodic job last computed it (recall/service/risk/disproportionality_job.py,
    migration 0016): only pairs with at least 3 reports, replaced whole by every run."""

    __tablename__ = "product_disproportionality"
    product_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    hazard: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    a: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    prr: Mapped[float] = mapped_column(Float)
    chi2_yates: Mapped[float] = mapped_column(Float)
    ror_lower: Mapped[float] = mapped_column(Float)
    ic025: Mapped[float] = mapped_column(Float)
    criteria_met: Mapped[int] = mapped_column(Integer)
    window_days: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LeadRow(Base):
    """One lead in the triage queue (信息处置, migration 0021): a newsroom's report or a
    consumer complaint (12315), recorded once per (source, reference) — `lead_id` is derived
    from them — and its single triage decision: who, when, why, and the investigation it
    opened or joined (recall/domain/leads.py)."""

    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_source_reference", "source", "reference"),)
    lead_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(120))
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)
    product_key: Mapped[str] = mapped_column(String(512))
    hazard: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), index=True)
    investigation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class MediaReportRefusalRow(Base):
    """A newsroom injury report that could not become a lead (migration 0024), and why: the
    media-lead import reads it no more, so it cannot take a place in every later tick's batch,
    and a regulator can still find it (`recall leads refused`). Keyed by the event id, as a
    media lead's reference is."""

    __tablename__ = "media_report_refusals"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    refused_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ExpertPanelRow(Base):
    """Every panel decision with its composition (migration 0022): the rule applied
    (local_first or out_of_area, 异地专家), the firm's home, the fallback if any, and each expert
    chosen, passed over or excluded with why. `position` is the investigation's `assign` audit
    entry."""

    __tablename__ = "expert_panels"
    investigation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(120))
    rule: Mapped[str] = mapped_column(String(16))
    home: Mapped[str | None] = mapped_column(String(6), nullable=True)
    fallback: Mapped[str | None] = mapped_column(Text, nullable=True)
    composition: Mapped[dict[str, Any]] = mapped_column(JSON)


class TierMoveRow(Base):
    """Every assignment and move of an owner (supervision tiers, migration 0019): what, from
    which administration to which, by which rule, why (bilingual), when and by whom. The id is
    derived from (kind, subject, from, to): owners only move up, so a replay writes nothing."""

    __tablename__ = "tier_moves"
    move_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64))
    from_owner: Mapped[str | None] = mapped_column(String(6), nullable=True)
    to_owner: Mapped[str] = mapped_column(String(6), index=True)
    region: Mapped[str | None] = mapped_column(String(6), nullable=True)
    """Where the subject's evidence arose: what scopes who may read the move (a regulator
    sees its area, as today)."""
    rule: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(120))

    __table_args__ = (Index("ix_tier_moves_subject", "kind", "subject_id", "at"),)


class TierRegionRow(Base):
    """Regions where evidence about a product arose (migration 0019): the tier rule "how many
    regions the product touches" reads them."""

    __tablename__ = "tier_regions"
    product_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    region: Mapped[str] = mapped_column(String(6), primary_key=True)


class ReferralCaseRow(Base):
    """One enforcement referral case (移送执法案件), migration 0020: the aggregate as JSON in
    `body`, its head in columns for lists and the escalation timer. `referral_key` is unique:
    one referral opens one case, however often it is replayed. `version` is the audit length."""

    __tablename__ = "referral_cases"
    case_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    referral_key: Mapped[str] = mapped_column(String(300), unique=True)
    firm_code: Mapped[str] = mapped_column(String(40), index=True)
    recall_id: Mapped[str] = mapped_column(String(120), index=True)
    grounds: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(32), index=True)
    owner: Mapped[str] = mapped_column(String(6), index=True)
    deadline: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)


class FirmCreditRecordRow(Base):
    """A firm's credit record (信用监管), migration 0020: one row per case outcome, the same
    facts as the `firms.credit` event (`body`), written in the outcome's transaction."""

    __tablename__ = "firm_credit_records"
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    firm_code: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[str] = mapped_column(String(32), unique=True)
    recall_id: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(32))
    fine_yuan: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    owner: Mapped[str] = mapped_column(String(6), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
