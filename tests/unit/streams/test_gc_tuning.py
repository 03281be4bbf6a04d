"""The worker's collector settings: the start-up heap frozen, young passes rare, 0 = defaults."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from streams.worker import tune_garbage_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_the_start_up_heap_is_frozen_and_young_passes_are_rare() -> None:
    gc.unfreeze()
    tune_garbage_collector(50_000)
    young, middle, old = gc.get_threshold()
    assert young == 50_000
    assert middle >= 20 and old >= 100
    assert gc.get_freeze_count() > 10_000  # everything imported so far: out of every pass


@pytest.mark.usefixtures("restored_collector")
def test_zero_keeps_pythons_defaults() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    tune_garbage_collector(0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
