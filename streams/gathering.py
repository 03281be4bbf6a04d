"""How long an off-path stage gathers a batch before it handles it.

The stages on the path from a station's report to an investigation (intake, risk,
investigations) answer within tens of milliseconds: every one of them is in the p99 that
regulators are promised. The others — the read model's projectors, regional detection, recall
progress, webhooks, Alertmanager — are read by people and integrations that do not notice a
second. At a live pace each of those handled, wrote and committed a few records at a time,
and their per-batch cost took CPU from the stages on the path; gathering for
`RECALL_BACKGROUND_GATHER_S` gives them fewer, fuller batches (docs/streams.md "Gathering").
"""

from __future__ import annotations

from recall.config import Settings


def background_window(settings: Settings, floor_s: float) -> float:
    """`take_events(within=…)` for an off-path Faust agent: the configured gather, never below
    the stage's own floor — Faust's `within=0` would wait for a full batch, at a quiet hour
    for ever."""
    return max(settings.background_gather_s, floor_s)
