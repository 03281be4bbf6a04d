"""Prospective temporal detectors for count series: the baselines, ours, and the streamed one."""

from recall.domain.risk.detectors.base import Detection, Detector, Frequency
from recall.domain.risk.detectors.live import LiveParams, LiveState, LiveUpdate, update
from recall.domain.risk.detectors.registry import METHOD_NAMES, STREAM, Method, get_method

__all__ = [
    "METHOD_NAMES",
    "STREAM",
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
