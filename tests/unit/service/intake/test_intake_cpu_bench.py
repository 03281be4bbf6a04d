"""The in-process intake CPU harness measures real work: every record ends stored or refused.

`recall.tools.bench.intake_cpu` is only worth its figures if the records it builds pass the
intake as the bench's do (signed by registered stations, dated now) and the broken share ends
in dead letters, on a database where each insert is new.
"""

from __future__ import annotations

from pathlib import Path

from recall.tools.bench.intake_cpu import _template, run_once


def test_a_run_stores_the_valid_records_and_dead_letters_the_broken(tmp_path: Path) -> None:
    template = _template(tmp_path)
    times = run_once(template, tmp_path, 300, 0.2, seed=5, profile=None)
    assert times.stored + times.dead_letters == 300
    assert 0 < times.dead_letters < 300 * 0.4
    assert times.admit_us > 0 and times.store_us > 0 and times.gc_us >= 0
    assert not list(tmp_path.glob("run-*"))  # the run's database, WAL and shm are removed
