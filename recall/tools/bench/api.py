"""`recall bench api`: how fast the regulator API answers what regulators open most.

The issue's figure is requests/s and p99 for the investigation queue and a recall page with
1,000,000 events and 10,000 investigations in PostgreSQL, target p99 < 200 ms on this machine.
So the bench

1. starts its own throw-away PostgreSQL cluster (never the database `DATABASE_URL` names:
   a million synthetic events do not belong in anyone's real database), or reuses one left by
   an earlier run with `--data-dir` (loading takes minutes, measuring seconds);
2. loads it through the production code paths (`recall.tools.bench.api_data`);
3. creates a province and a city regulator with the accounts service, starts `recall api` as
   its own process, as deployed, and reads each probe's paths with `concurrency` clients
   holding keep-alive connections: first a warm-up that is not counted, then `requests`
   timed requests per probe;
4. repeats the measurement `runs` times and reports every run, so the spread shows.

Every answer must be a 200 with items: a bench that times 401s or empty pages measures nothing,
so any other answer stops it with the path and status.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.account_store import SqlAccountStorage
from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.migrate import upgrade
from recall.adapters.db.models import RecallRow, Station
from recall.config import Settings
from recall.domain.access import Role
from recall.service.accounts.commands import NewAccount, add_account
from recall.tools.api_process import ApiProcess, free_port
from recall.tools.bench.api_data import DataPlan, Loaded, Progress, load
from recall.tools.local_postgres import PostgresCluster, new_cluster

TARGET_P99_MS = 200.0
WARM_UP = 50
MARKER = "loaded.json"


@dataclass(frozen=True, slots=True)
class Probe:
    """One thing a regulator opens: a name, whose token, and the paths it cycles through."""

    name: str
    token: str
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProbeFigures:
    name: str
    requests: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class ApiBenchResult:
    plan: DataPlan
    loaded: Loaded
    load_s: float | None
    concurrency: int
    runs: list[list[ProbeFigures]] = field(default_factory=list)

    def spread(self, name: str, figure: str) -> tuple[float, float, float]:
        """(min, median, max) of one figure of one probe over the runs."""
        values = sorted(
            float(getattr(f, figure)) for run in self.runs for f in run if f.name == name
        )
        return values[0], values[len(values) // 2], values[-1]

    @property
    def probe_names(self) -> list[str]:
        return [f.name for f in self.runs[0]] if self.runs else []


class BenchError(RuntimeError):
    """The API answered something other than a page of data; the message says what."""


def run_api_benchmark(
    plan: DataPlan,
    *,
    requests: int,
    concurrency: int,
    runs: int,
    data_dir: Path,
    progress: Progress | None = None,
    on_run: Callable[[int, list[ProbeFigures]], None] | None = None,
) -> ApiBenchResult:
    """Load (or reuse) the data, start the API, measure `runs` times; always stops both."""
    cluster = new_cluster(data_dir / "postgres")
    cluster.port = _reused_port(data_dir) or cluster.port
    loaded, load_s = _ready_database(cluster, plan, data_dir, progress)
    api: ApiProcess | None = None
    try:
        settings = Settings(database_url=cluster.url)
        sessions = make_session_factory(make_engine(settings.sqlalchemy_url))
        probes = _probes(sessions)
        env = {**os.environ, "DATABASE_URL": cluster.url, "RECALL_LOG_LEVEL": "warning"}
        api = ApiProcess("127.0.0.1", free_port(), data_dir / "api.log", env=env)
        api.start()
        result = ApiBenchResult(plan, loaded, load_s, concurrency)
        base = api.url
        expanded = asyncio.run(_expand(base, probes))
        for number in range(1, runs + 1):
            figures = asyncio.run(_measure(base, expanded, requests, concurrency))
            result.runs.append(figures)
            if on_run is not None:
                on_run(number, figures)
        return result
    finally:
        if api is not None:
            api.stop()
        cluster.stop_if_running()


def _reused_port(data_dir: Path) -> int | None:
    marker = data_dir / MARKER
    if not marker.exists():
        return None
    return int(orjson.loads(marker.read_bytes())["port"])


def _ready_database(
    cluster: PostgresCluster, plan: DataPlan, data_dir: Path, progress: Progress | None
) -> tuple[Loaded, float | None]:
    """Start the cluster; load it unless `data_dir` already holds this plan's data."""
    marker = data_dir / MARKER
    if marker.exists():
        saved = orjson.loads(marker.read_bytes())
        if saved["plan"] == asdict(plan):
            cluster.restart()
            return Loaded(**saved["loaded"]), None
        raise BenchError(
            f"{data_dir} holds data loaded for another plan ({saved['plan']});"
            " delete it or pass another --data-dir"
        )
    cluster.stop_if_running()
    cluster.start()
    settings = Settings(database_url=cluster.url)
    upgrade(settings.sqlalchemy_url)
    sessions = make_session_factory(make_engine(settings.sqlalchemy_url))
    started = time.perf_counter()
    loaded = load(settings, sessions, plan, progress)
    seconds = time.perf_counter() - started
    with sessions() as session:  # fresh statistics: the planner sees a million rows, not zero
        session.connection().exec_driver_sql("ANALYZE")
        session.commit()
    document = {"plan": asdict(plan), "loaded": asdict(loaded), "port": cluster.port}
    marker.write_bytes(orjson.dumps(document))
    return loaded, seconds


def _probes(sessions: sessionmaker[Session]) -> list[Probe]:
    """A province and a city regulator of the busiest region, and the pages they open."""
    with sessions() as session:
        regions = Counter(session.scalars(select(Station.jurisdiction)))
        recall_ids = list(
            session.scalars(select(RecallRow.recall_id).order_by(RecallRow.recall_id))
        )
    if not regions or not recall_ids:
        raise BenchError("the database holds no stations or no recalls; the load did not run")
    cities = Counter({code[:4] + "00": n for code, n in regions.items()})
    city = cities.most_common(1)[0][0]
    province = city[:2] + "0000"
    storage = SqlAccountStorage(sessions)
    now = datetime.now(UTC)
    by = "bench:api"

    def token(name: str, region: str) -> str:
        stamp = now.strftime("%Y%m%d%H%M%S%f")
        new = NewAccount(f"bench {name} {stamp}", Role.REGULATOR, region=region)
        return add_account(storage, new, by=by, at=now).token

    provincial, municipal = token("province", province), token("city", city)
    return [
        Probe("investigation queue, province", provincial, ("/investigations?limit=50",)),
        Probe(
            "open + assigned, city, by update",
            municipal,
            ("/investigations?state=opened&state=assigned&sort=-updated_at&limit=50",),
        ),
        Probe("investigation queue, page 10", provincial, ("@page10",)),
        Probe(
            "recall page",
            provincial,
            tuple(f"/recalls/{rid}" for rid in recall_ids),
        ),
    ]


async def _expand(base: str, probes: Sequence[Probe]) -> list[Probe]:
    """Resolve "@page10" to a real cursor by following `next` links nine times."""
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for probe in probes:
            if probe.paths != ("@page10",):
                out.append(probe)
                continue
            path = "/investigations?limit=50"
            for _ in range(9):
                body = await _page(client, probe.token, path)
                if not body.get("next"):
                    raise BenchError(f"{path}: fewer than 10 pages of investigations")
                path = _relative(str(body["next"]))
            out.append(Probe(probe.name, probe.token, (path,)))
    return out


def _relative(link: str) -> str:
    parsed = httpx.URL(link)
    return parsed.raw_path.decode("ascii")


async def _page(client: httpx.AsyncClient, token: str, path: str) -> dict[str, Any]:
    response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    body: dict[str, Any] = response.json()
    if "items" in body and not body["items"]:
        raise BenchError(f"GET {path} answered an empty page: the regulator sees nothing")
    return body


async def _measure(
    base: str, probes: Sequence[Probe], requests: int, concurrency: int
) -> list[ProbeFigures]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        figures = []
        for probe in probes:
            await _drive(client, probe, WARM_UP, concurrency)
            started = time.perf_counter()
            latencies = await _drive(client, probe, requests, concurrency)
            wall = time.perf_counter() - started
            figures.append(_figures(probe.name, latencies, wall))
        return figures


async def _drive(
    client: httpx.AsyncClient, probe: Probe, requests: int, concurrency: int
) -> list[float]:
    """`requests` GETs by `concurrency` clients, each taking the next path in turn."""
    latencies: list[float] = []
    counter = iter(range(requests))

    async def one_client() -> None:
        for n in counter:
            path = probe.paths[n % len(probe.paths)]
            started = time.perf_counter()
            await _page(client, probe.token, path)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return latencies


def _figures(name: str, latencies: list[float], wall_s: float) -> ProbeFigures:
    ordered = sorted(latencies)

    def quantile(q: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return ProbeFigures(
        name=name,
        requests=len(ordered),
        requests_per_s=round(len(ordered) / wall_s, 1),
        p50_ms=round(quantile(0.50), 1),
        p95_ms=round(quantile(0.95), 1),
        p99_ms=round(quantile(0.99), 1),
        max_ms=round(1000 * ordered[-1], 1),
    )


def result_json(result: ApiBenchResult) -> bytes:
    return orjson.dumps(asdict(result), option=orjson.OPT_INDENT_2)
