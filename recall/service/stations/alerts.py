"""The alerts that announce a station's silence or poor feed, and their ends.

Ids are uuid5 of (station, kind, the episode's start[, "resolved"]): deciding the same change
again (a retried transaction, a second run of the timer) builds the same id, which the outbox
and every consumer keep once. A resolving alert repeats the kind and subject of the one it ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import ValidationError

from recall.domain.station_health import FeedVerdict, SilenceVerdict
from recall.service.stations.ports import StationFacts
from schemas.risk import Alert, AlertKind, AlertSeverity, AlertStatus
from schemas.topics import OutgoingRecordError

_NAMESPACE = uuid.UUID("5f1c7a52-3d0e-4b8a-9c61-0e2f8b7d4a19")
_TITLES = {
    (AlertKind.STATION_SILENT, AlertStatus.FIRING): "监测站点沉默 / Station silent",
    (AlertKind.STATION_SILENT, AlertStatus.RESOLVED): "监测站点恢复报告 / Station reporting again",
    (AlertKind.STATION_FEED_POOR, AlertStatus.FIRING): "站点数据质量差 / Station feed poor",
    (AlertKind.STATION_FEED_POOR, AlertStatus.RESOLVED): "站点数据质量恢复 / Station feed ok again",
}


def alert_id(station_id: str, kind: AlertKind, since: datetime, status: AlertStatus) -> str:
    name = f"{station_id}|{kind.value}|{since.isoformat()}"
    if status is AlertStatus.RESOLVED:
        name += "|resolved"
    return str(uuid.uuid5(_NAMESPACE, name))


def silence_alert(
    station: StationFacts,
    verdict: SilenceVerdict,
    since: datetime,
    now: datetime,
    status: AlertStatus,
) -> Alert:
    """Firing: the figures that judged it. Resolved: the silence's whole length."""
    last_seen = station.last_seen_at
    quiet = (last_seen - since) if status is AlertStatus.RESOLVED and last_seen else None
    details = {
        "last_seen_at": last_seen.isoformat() if last_seen else "",
        "silent_for": str(int((quiet or verdict.silent_for).total_seconds())),
        "expected_events": f"{verdict.expected:.2f}",
        "probability": f"{verdict.probability:.3g}",
    }
    return _alert(station, AlertKind.STATION_SILENT, since, now, status, details)


def feed_alert(
    station: StationFacts,
    verdict: FeedVerdict,
    window_s: int,
    since: datetime,
    now: datetime,
    status: AlertStatus,
) -> Alert:
    details = {
        "window": str(window_s),
        "received": str(verdict.received),
        "rejected": str(verdict.rejected),
        "rejected_share": f"{verdict.share:.3f}" if verdict.share is not None else "",
        "reasons": ",".join(f"{reason}={n}" for reason, n in verdict.reasons),
    }
    return _alert(station, AlertKind.STATION_FEED_POOR, since, now, status, details)


def _alert(
    station: StationFacts,
    kind: AlertKind,
    since: datetime,
    now: datetime,
    status: AlertStatus,
    details: dict[str, str],
) -> Alert:
    try:
        return Alert(
            alert_id=alert_id(station.station_id, kind, since, status),
            severity=AlertSeverity.WARNING,
            kind=kind,
            title=f"{_TITLES[(kind, status)]}: {station.station_id}",
            subject=station.station_id,
            jurisdiction=station.jurisdiction,
            at=now,
            details=details,
            status=status,
            category=None,
        )
    except ValidationError as error:  # a bug of ours, never a record on the topic
        raise OutgoingRecordError(f"station alert does not obey its model: {error}") from None
