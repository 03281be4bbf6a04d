"""False alarms of the silence rule on a simulated month of normal traffic for 81 stations.

No broker, no database: the domain's verdicts on every silence of the month (see
`recall.tools.bench.stations`), about ten seconds — too long for the unit tests.
`recall bench stations` prints the same figures for several seeds, with detection delays.
"""

from __future__ import annotations

from recall.domain.station_health import SilenceRule
from recall.tools.bench.stations import BOUND_PER_81_PER_WEEK, simulate_month


def test_a_month_of_normal_traffic_raises_fewer_than_one_false_alarm_a_week() -> None:
    run = simulate_month(1, SilenceRule(), stops_per_station=1)
    print(
        f"\n{run.false_alarms} false alarms in {run.station_days} station-days:"
        f" {run.per_station_day:.5f} per station-day,"
        f" {run.per_81_per_week:.2f} per 81 stations per week"
    )
    assert len(run.stations) == 81
    assert run.per_81_per_week < BOUND_PER_81_PER_WEEK
    # …and a stopped station is still noticed: every stop alerts within 60 days.
    assert all(d != float("inf") for s in run.stations for d in s.delays_h)
    hospitals = [d for s in run.stations if s.kind == "hospital" for d in s.delays_h]
    assert max(hospitals) < 24
