"""`create_api(settings)`: the regulator API application, wired once (nothing at import time).

What it holds on `app.state`: the session factory, the `SqlStorage` the commands and queries
run on, the list adapter (`SqlListings`), the outbox topics' runtime names and the key that
signs list cursors. What it serves: `/openapi.json`, the documentation page `/docs` (no CDN),
`/healthz` (liveness; no authentication), the public recall feed under `/public` (no
authentication: published notices only), and the resources, every one of which depends on
`recall.api.auth.current_principal`; every error is an RFC 9457 problem.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.engine import make_engine, make_session_factory
from recall.adapters.db.listings import SqlListings
from recall.adapters.db.regions import SqlRegions
from recall.adapters.db.storage import SqlStorage
from recall.api.auth import AuthLimits, install_auth
from recall.api.control_characters import ControlCharacterGuard
from recall.api.dashboard import install_dashboard
from recall.api.docs import install_docs
from recall.api.oidc import OidcConfig
from recall.api.problems import install_problem_handlers
from recall.api.routes import (
    alerts,
    cases,
    dead_letters,
    investigations,
    leads,
    products,
    public,
    recalls,
    region_risk,
    regions,
    scores,
    signals,
    stations,
    statistics,
    submissions,
    webhooks,
)
from recall.config import Settings
from recall.domain.experts import Impartiality
from recall.service.ports import OutputTopics
from recall.service.regions.names import PlaceNames
from schemas.api import Health

OPENAPI_URL = "/openapi.json"
DESCRIPTION = """Regulators, experts, stations and firms read and act on what the streams know,
each within its scope (国家/省/市/县 three-tier jurisdiction). Send `Authorization: Bearer
<token>`. Lists: cursor pages (`limit`, `cursor`, `next`), `sort`, filters, and exports of
every item (`format=csv` or `format=ndjson`). Errors: RFC 9457 `application/problem+json`.
See docs/api.md."""


def create_api(
    settings: Settings,
    *,
    sessions: sessionmaker[Session] | None = None,
    metrics: CollectorRegistry | None = None,
) -> FastAPI:
    """The application over `settings`' database (or `sessions`, e.g. in tests).

    `metrics` receives the authentication counters (a registry of its own by default, so
    two apps in one process never register a counter twice).

    Migrations are not applied here: `recall api` applies them before serving.
    """
    if sessions is None:
        sessions = make_session_factory(make_engine(settings.sqlalchemy_url))
    app = FastAPI(
        title="recall-tracker regulator API",
        description=DESCRIPTION,
        version="1",
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    app.state.sessions = sessions
    app.state.storage = SqlStorage(sessions)
    app.state.listings = SqlListings(sessions)
    app.state.place_names = PlaceNames(SqlRegions(sessions))
    app.state.topics = output_topics(settings)
    app.state.cursor_key = cursor_key(settings)
    app.state.impartiality = Impartiality(
        settings.experts_out_of_area, settings.experts_min_distance
    )
    app.state.submissions = submissions.desk(settings, sessions)
    app.state.intake_publisher = submissions.intake_publisher(settings)
    install_problem_handlers(app)
    install_docs(app, OPENAPI_URL)
    install_dashboard(app, settings)
    app.add_api_route("/healthz", healthz, methods=["GET"], response_model=Health, tags=["health"])
    for module in (
        investigations,
        cases,
        leads,
        recalls,
        dead_letters,
        scores,
        signals,
        alerts,
        products,
        stations,
        statistics,
        region_risk,
        regions,
        public,
        submissions,
        webhooks,
    ):
        app.include_router(module.router)
    webhooks.configure(app, settings)
    install_auth(
        app,
        sessions,
        metrics if metrics is not None else CollectorRegistry(),
        limits=AuthLimits.from_settings(settings),
        sso=OidcConfig.from_settings(settings),
    )
    app.add_middleware(ControlCharacterGuard)
    return app


async def healthz() -> Health:
    """The process answers (liveness); it does not query the database."""
    return Health()


def output_topics(settings: Settings) -> OutputTopics:
    """Runtime names of the topics the commands write to through the outbox."""
    return OutputTopics.resolved(settings.topic_name)


def cursor_key(settings: Settings) -> bytes:
    """The key that signs list cursors, derived from the server secret for this one use, so
    every API process of a deployment accepts the others' cursors."""
    secret = settings.signing_secret.get_secret_value().encode()
    return hmac.new(secret, b"recall-tracker api cursor v1", hashlib.sha256).digest()
