"""The benches' markers on the real broker: a wait that cannot end stops at once."""

from __future__ import annotations

import pytest

from recall.adapters.kafka.admin import ensure_topics
from recall.config import Settings
from recall.tools.bench.isolation import isolated_run
from recall.tools.bench.markers import Markers

pytestmark = pytest.mark.integration


def test_a_wait_stops_as_soon_as_the_check_says_no_worker_is_left(
    broker_settings: Settings,
) -> None:
    """No worker consumes here, so without the check the wait would run its whole timeout
    (half an hour in `recall bench takeover`); the check's error ends it on its third poll."""
    bench = isolated_run(broker_settings, "markers")
    ensure_topics(bench.settings)
    markers = Markers(bench.settings, states=1_000)
    polls: list[int] = []

    def check() -> None:
        polls.append(len(polls))
        if len(polls) == 3:
            raise RuntimeError("the workers exited")

    try:
        targets = markers.send([0, 1])
        assert sorted(targets) == [0, 1]
        with pytest.raises(RuntimeError, match="the workers exited"):
            markers.wait(targets, timeout_s=1_800, check=check)
        assert polls == [0, 1, 2]
    finally:
        markers.close()
        bench.clean_up()
