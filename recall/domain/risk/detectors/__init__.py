"""Prospective temporal detectors for count series (EARS, Farrington, CUSUM, ours, live)."""

from recall.domain.risk.detectors.base import Detection, Detector, Frequency
from recall.domain.risk.detectors.live import LiveParams, LiveState, LiveUpdate, update
from recall.domain.risk.detectors.registry import METHOD_NAMES, Method, get_method

__all__ = [
    "METHOD_NAMES",
    "Detection",
    "Detector",
    "Frequency",
    "LiveParams",
    "LiveState",
    "LiveUpdate",
    "Method",
    "get_method",
    "update",
]
