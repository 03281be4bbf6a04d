"""Property: no account ever sees or changes an object outside its jurisdiction.

Hypothesis draws a world (investigations with and without panels, recalls, dead letters,
signals, alerts and scores over provinces, cities, counties, municipality placeholders and
province-administered counties) and a handful of principals of every role (regulators at every
tier, experts, stations, firms, the public). Every endpoint of the application — read from its
OpenAPI document, so new resources are covered as they are added — is then called as each
principal (`scope_walk`). The count of checks is printed at the end of the run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.domain.access import Principal
from tests.unit.api.scope_run import CheckReport, report_checks, run_example
from tests.unit.api.scope_world import SCOPE_REGIONS, WorldSpec, principals, worlds

TITLE = "API scope property (SQLite)"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file; each example starts from a copy (migrating is slow)."""
    path = tmp_path_factory.mktemp("scope-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest) -> CheckReport:
    return report_checks(request.config, TITLE)


@pytest.mark.timeout(300)
def test_no_account_sees_or_changes_anything_outside_its_scope(
    template: Path, tmp_path_factory: pytest.TempPathFactory, report: CheckReport
) -> None:
    @settings(
        max_examples=3,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: an example is seconds
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        spec=worlds,
        who=st.lists(principals, min_size=2, max_size=4),
        region_filter=st.sampled_from(SCOPE_REGIONS),
    )
    def example(spec: WorldSpec, who: list[Principal], region_filter: str) -> None:
        directory = tmp_path_factory.mktemp("scope")
        path = directory / "api.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        try:
            run_example(
                make_session_factory(engine), url, directory, spec, who, region_filter, report.tally
            )
        finally:
            engine.dispose()

    example()
    print("\n".join(report.lines()))
    assert report.tally["detail outside scope = 404 as missing"] > 0
    assert report.tally["action outside scope = 404, nothing changed"] > 0
