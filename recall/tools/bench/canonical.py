"""A canonical injury report as the intake forwards it, for benches that feed the risk stage
directly (`events.canonical` markers, the streamed detector): one builder, so both feed the
same shape the risk agent reads."""

from __future__ import annotations

from datetime import datetime

import orjson


def injury_record(
    *,
    event_id: str,
    moment: datetime,
    product_key: str,
    category: str,
    partition: int,
    offset: int,
    jurisdiction: str = "140105",
) -> bytes:
    """A treated-and-released burn in `jurisdiction` (a county of Taiyuan by default) at
    `moment`, about `product_key`."""
    at = moment.isoformat()
    return orjson.dumps(
        {
            "event": {
                "event_id": event_id,
                "type": "injury_report",
                "jurisdiction": jurisdiction,
                "sent_at": at,
                "payload": {
                    "occurred_at": at,
                    "disposition": "treated_released",
                    "injury_nature": "burn_scald",
                    "body_part": "hand",
                    "age_years": 34,
                    "mechanism": "hot_object",
                    "product": {"category": category},
                },
            },
            "product_key": product_key,
            "received_at": at,
            "source": {"topic": "intake.raw", "partition": partition, "offset": offset},
        }
    )
