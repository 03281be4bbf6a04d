"""The scope property (tests/unit/api/test_api_scope_property.py) on PostgreSQL: fewer random
worlds, each in a fresh migrated database, so the lists' SQL scope (prefix matches, the JSON
list of a panel's experts, keyset pages) is the one PostgreSQL runs."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.domain.access import Principal
from tests.support.postgres import PostgresCluster
from tests.unit.api.scope_run import CheckReport, report_checks, run_example
from tests.unit.api.scope_world import SCOPE_REGIONS, WorldSpec, principals, worlds

pytestmark = pytest.mark.integration
TITLE = "API scope property (PostgreSQL)"
_names = itertools.count(1)


@pytest.mark.timeout(600)
def test_no_account_sees_or_changes_anything_outside_its_scope_on_postgres(
    postgres: PostgresCluster | str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    if isinstance(postgres, str):
        pytest.skip("needs a cluster of its own: each example creates a database")
    cluster = postgres
    report: CheckReport = report_checks(request.config, TITLE)

    @settings(
        max_examples=3,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        spec=worlds,
        who=st.lists(principals, min_size=2, max_size=4),
        region_filter=st.sampled_from(SCOPE_REGIONS),
    )
    def example(spec: WorldSpec, who: list[Principal], region_filter: str) -> None:
        url = cluster.create_database(f"scope_property_{next(_names)}")
        upgrade(url)
        engine = make_engine(url)
        try:
            directory = tmp_path_factory.mktemp("scope-pg")
            run_example(
                make_session_factory(engine), url, directory, spec, who, region_filter, report.tally
            )
        finally:
            engine.dispose()

    example()
    print("\n".join(report.lines()))
    assert report.tally["action outside scope = 404, nothing changed"] > 0
