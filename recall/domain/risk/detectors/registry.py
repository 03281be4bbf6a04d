"""Detector names → ready-to-run methods, with parameters for weekly or daily buckets.

A `Method` binds a detector to its parameters for one frequency, so callers (the CSV adapter,
the benchmark, the stream) only pass counts and a period. `scan` judges a run of periods in one
call; it equals calling `detect` for each period (a test checks this) but is faster for the
methods that carry a running statistic.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from recall.domain.risk.detectors import cusum, ears, farrington, harmonic, live, streamed
from recall.domain.risk.detectors.base import Detection, Frequency
from recall.domain.risk.errors import UnknownMethodError

DetectFn = Callable[[Sequence[int], int], Detection]
ScanFn = Callable[[Sequence[int], int], list[Detection]]


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    description: str
    detect: DetectFn
    scan: ScanFn


def _scan_each(detect: DetectFn) -> ScanFn:
    def scan(counts: Sequence[int], start: int) -> list[Detection]:
        return [detect(counts, t) for t in range(start, len(counts))]

    return scan


STREAM = "stream"
"""The streamed detector's name: the default of `recall signals detect`."""


def _scan_stream(
    counts: Sequence[int], start: int, params: streamed.StreamParams
) -> list[Detection]:
    return [j.detection for j in streamed.scan_stream(counts, start, params)]


def _make(name: str, description: str, detect: DetectFn, scan: ScanFn | None = None) -> Method:
    return Method(name, description, detect, scan or _scan_each(detect))


def _methods(freq: Frequency) -> dict[str, Method]:
    weekly = freq is Frequency.WEEKLY
    far = farrington.WEEKLY if weekly else farrington.DAILY
    cus = cusum.WEEKLY if weekly else cusum.DAILY
    har = harmonic.WEEKLY if weekly else harmonic.DAILY
    liv = live.WEEKLY if weekly else live.DAILY
    stream = streamed.params_for(freq)
    return {
        STREAM: _make(
            STREAM,
            "what the live stream runs: cold start, then live_nb, then harmonic_nb (ours)",
            partial(streamed.detect_stream, params=stream),
            partial(_scan_stream, params=stream),
        ),
        "ears_c1": _make("ears_c1", "CDC EARS C1", ears.detect_c1),
        "ears_c2": _make("ears_c2", "CDC EARS C2", ears.detect_c2),
        "ears_c3": _make("ears_c3", "CDC EARS C3", ears.detect_c3),
        "farrington_flexible": _make(
            "farrington_flexible",
            "improved Farrington (Noufaily et al. 2013)",
            partial(farrington.detect_farrington, params=far),
        ),
        "cusum_nb": _make(
            "cusum_nb",
            "CUSUM on negative-binomial residuals",
            partial(cusum.detect_cusum, params=cus),
            partial(cusum.scan_cusum, p=cus),
        ),
        "harmonic_nb": _make(
            "harmonic_nb",
            "robust harmonic NB regression + window sum (ours)",
            partial(harmonic.detect_harmonic, params=har),
        ),
        "live_nb": _make(
            "live_nb",
            "incremental EW negative-binomial detector (ours, streaming)",
            partial(live.detect_live, params=liv),
            partial(live.scan_live, params=liv),
        ),
    }


METHOD_NAMES: tuple[str, ...] = tuple(_methods(Frequency.WEEKLY))


def get_method(name: str, frequency: Frequency = Frequency.WEEKLY) -> Method:
    """The named method configured for weekly or daily buckets."""
    methods = _methods(frequency)
    if name not in methods:
        raise UnknownMethodError(
            f"unknown detection method {name!r}; known: {', '.join(sorted(methods))}"
        )
    return methods[name]
