"""Tables of the system of record.

Typed declarative models live here, in the adapter layer, never in the domain. Every table
that receives stream output has a natural idempotency key (event id, or the source record's
topic/partition/offset) so a redelivered record can never be stored twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Station(Base):
    """A registered reporter: monitoring station, sampling lab or firm."""

    __tablename__ = "stations"
    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    manufacturer_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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
    product_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    manufacturer_code: Mapped[str | None] = mapped_column(String(18), index=True, nullable=True)
    brand: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    gtin: Mapped[str | None] = mapped_column(String(14), nullable=True)
    units_in_use: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Standard(Base):
    __tablename__ = "standards"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))


class Lab(Base):
    __tablename__ = "labs"
    lab_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    accreditation: Mapped[str] = mapped_column(String(64))


class Expert(Base):
    __tablename__ = "experts"
    expert_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    categories: Mapped[list[Any]] = mapped_column(JSON)
    linked_firms: Mapped[list[Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Event(Base):
    """Every accepted station event, once, keyed by its event id."""

    __tablename__ = "events"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    reporter_id: Mapped[str] = mapped_column(String(64), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(6))
    product_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_topic: Mapped[str] = mapped_column(String(128))
    source_partition: Mapped[int] = mapped_column(Integer)
    source_offset: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_events_product_occurred", "product_key", "occurred_at"),
        Index("ix_events_jurisdiction_type", "jurisdiction", "type"),
    )


class EventDuplicate(Base):
    """A resent event id: counted once per source record, never stored as a second event."""

    __tablename__ = "event_duplicates"
    source_topic: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeadLetterRow(Base):
    """A refused event with its original bytes and why, once per source record."""

    __tablename__ = "dead_letters"
    source_topic: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), index=True)
    errors: Mapped[list[Any]] = mapped_column(JSON)
    reporter_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    original: Mapped[bytes] = mapped_column(LargeBinary)
    detail: Mapped[str] = mapped_column(Text, default="")
