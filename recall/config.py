"""The one place configuration is read: environment variables, validated once.

Every component receives a `Settings` object instead of reading `os.environ` itself, so a
test or a worker can run several configurations side by side and a misconfiguration fails at
start-up with a message that names the variable to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.signing import StationCredential

DEV_SIGNING_SECRET = "recall-dev-signing-secret-change-me"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """recall-tracker settings: each field is `RECALL_<NAME>` unless an alias says otherwise."""

    # hide_input_in_errors: a refused setting's message must never print the secret it refused
    model_config = SettingsConfigDict(
        env_prefix="RECALL_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    environment: Environment = Environment.DEVELOPMENT
    state_dir: Path = Path(".local")

    kafka_bootstrap_servers: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "RECALL_KAFKA_BOOTSTRAP_SERVERS"),
        description="External cluster; when unset the embedded local broker is used.",
    )
    kafka_security_protocol: str = "PLAINTEXT"
    allow_plaintext_kafka: bool = Field(
        default=False,
        description="Production only: accept a Kafka connection without TLS (PLAINTEXT or"
        " SASL_PLAINTEXT), e.g. inside a mesh that already encrypts; an explicit, visible choice",
    )
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None

    broker_port: int = 19092
    broker_controller_port: int = 19093
    broker_heap: str = "1g"
    broker_jars_dir: Path | None = Field(
        default=None, description="Where the broker jars are cached; default <state_dir>/kafka-jars"
    )

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "RECALL_DATABASE_URL")
    )

    app_id: str = "recall-tracker"
    topic_prefix: str = Field(
        default="", pattern=r"^[a-z0-9._-]*$", description="Isolates benchmarks and tests"
    )
    topic_partitions: int = Field(default=6, ge=1, le=1024)
    topic_replication: int = Field(default=1, ge=1, le=5)
    table_standby_replicas: int = Field(
        default=0,
        ge=0,
        le=5,
        description="Standby copies of each table partition kept warm on other workers (Faust's"
        " table_standby_replicas). 0 by default: with 1, a survivor promoted from its standby copy"
        " lost table updates of a killed worker (tests/integration/test_three_workers.py,"
        " docs/streams.md 'Several workers'); with 0 it replays the changelog and loses nothing",
    )
    table_store: Literal["memory", "rocksdb"] = Field(
        default="rocksdb",
        description=(
            "Where Faust keeps table state: memory (rebuilt from the changelog at every start) or"
            " rocksdb under <state_dir>/faust (a restart on the same disk replays only the tail)"
        ),
    )
    metrics_port: int = 9464
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address the metrics/health server binds to: loopback unless a scraper"
        " on another host needs it (then the pod or host address, never by accident)",
    )
    event_max_future_s: float = Field(
        default=600.0,
        ge=0,
        le=86_400,
        description="How far ahead of receipt an event time may be (station clock skew)",
    )
    event_max_age_days: float = Field(
        default=730.0,
        gt=0,
        le=3650,
        description="How far before receipt an occurrence, sampling or sending time may be",
    )
    persist_batch_size: int = Field(default=2000, ge=1, le=100_000)
    persist_batch_seconds: float = Field(default=0.2, gt=0, le=10)
    registry_refresh_seconds: float = Field(default=15.0, gt=0)
    agents: str = Field(
        default="intake,risk,investigations,recalls,project,stations,webhooks,alertmanager",
        pattern=r"^(intake|risk|investigations|recalls|project|stations|webhooks|alertmanager)"
        r"(,(intake|risk|investigations|recalls|project|stations|webhooks|alertmanager))*$",
        description="Which stages this worker runs: scale or isolate stages (benchmarks)",
    )
    stuck_exit_seconds: float = Field(
        default=180.0,
        ge=30,
        le=3600,
        description="A worker with records waiting that reads none for this long (and whose"
        " database is fine) exits 70 for its supervisor to restart it",
    )
    deadline_check_seconds: float = Field(default=30.0, gt=0, le=3600)
    consumer_session_timeout_s: float = Field(default=10.0, ge=6, le=300)
    background_gather_s: float = Field(
        default=1.0,
        ge=0,
        le=5,
        description="How long the stages off the path from a report to an investigation gather a"
        " batch: the read model's projectors (the broker holds their fetch, fetch.max.wait with a"
        " 256 KiB fetch.min.bytes; 0: answer at once), regional detection, recall progress,"
        " webhooks and Alertmanager (Faust's take_events window, never below each stage's own"
        " floor). They lag by at most this much more; at live pace each of them otherwise handled"
        " and committed a few records at a time (docs/streams.md 'Gathering')",
    )
    intake_gather_s: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="How long the broker may hold the intake's fetch for a fuller batch (as"
        " RECALL_BACKGROUND_GATHER_S, 0: answer at once). An event waits up to this much longer;"
        " at a live pace fewer, fuller intake batches cut the p99 send -> investigation"
        " (docs/benchmarks.md 'Whole path')",
    )
    gc_young_threshold: int = Field(
        default=50_000,
        ge=0,
        description="Allocations between the worker's young garbage collections (0: Python's"
        " default); the start-up heap is frozen out of every collection (docs/benchmarks.md)",
    )

    # Station health (docs/station-health.md): silence against each station's learned cadence,
    # feed quality over a recent window; the `stations` stage judges every station this often.
    station_health_seconds: float = Field(default=60.0, gt=0, le=3600)
    station_silence_alpha: float = Field(
        default=1e-4,
        gt=0,
        lt=0.5,
        description="Station health: a silence is news when a well station would show one so"
        " unlikely less often than this, per station and day",
    )
    station_silence_min_seconds: float = Field(
        default=900.0, ge=0, le=86_400, description="Station health: never silent sooner"
    )
    station_silence_cold_seconds: float = Field(
        default=14 * 86_400.0,
        gt=0,
        le=365 * 86_400,
        description="Station health: the fixed timeout of a station with too little history"
        " to learn from (cold start)",
    )
    station_history_weeks: int = Field(
        default=4, ge=1, le=26, description="Station health: weeks of history to learn from"
    )
    station_min_history_days: float = Field(
        default=14.0,
        ge=0,
        le=182,
        description="Station health: less history than this (or fewer than"
        " station_min_history_events records in it) is a cold start",
    )
    station_min_history_events: int = Field(default=10, ge=1, le=100_000)
    station_feed_window_seconds: float = Field(
        default=6 * 3600.0, gt=0, le=30 * 86_400, description="Station health: feed window"
    )
    station_feed_poor_share: float = Field(
        default=0.2, gt=0, le=1, description="Station health: refused share that makes it poor"
    )
    station_feed_ok_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Station health: refused share a poor feed must go below to be ok again"
        " (hysteresis)",
    )
    station_feed_min_records: int = Field(
        default=20, ge=1, le=1_000_000, description="Station health: fewer records is no verdict"
    )

    # Live disproportionality (docs/risk-model.md "Disproportionality, live"): the leader of
    # the `risk` stage recomputes every product x hazard pair against its category this often.
    # Lead triage (docs/investigations.md): the leader of the `investigations` stage queues the
    # newsrooms' injury reports as media leads this often.
    lead_import_interval_s: float = Field(
        default=60.0, gt=0, le=86_400, description="Media leads: seconds between queue runs"
    )
    disproportionality_interval_s: float = Field(
        default=300.0, gt=0, le=86_400, description="Live disproportionality: seconds between runs"
    )
    disproportionality_window_days: int = Field(
        default=90,
        ge=7,
        le=3650,
        description="Live disproportionality: injury reports that occurred in the last N days",
    )

    # Webhooks (docs/webhooks.md): the dispatcher's pace, its limits, the retry policy.
    webhook_dispatch_seconds: float = Field(
        default=0.2, gt=0, le=60, description="Webhooks: how often due deliveries are claimed"
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Webhooks: the whole of one POST, connect to body"
    )
    webhook_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Webhooks: how long a claimed delivery is held; longer than the timeout."
        " A worker killed mid-attempt leaves the delivery due again once it runs out",
    )
    webhook_max_attempts: int = Field(
        default=15, ge=1, le=100, description="Webhooks: attempts before a delivery is dead"
    )
    webhook_backoff_base_seconds: float = Field(
        default=2.0, gt=0, le=3600, description="Webhooks: the first retry's largest delay"
    )
    webhook_backoff_cap_seconds: float = Field(
        default=3600.0, gt=0, le=86_400, description="Webhooks: no retry waits longer"
    )
    webhook_concurrency: int = Field(
        default=64, ge=1, le=10_000, description="Webhooks: POSTs in flight per worker"
    )
    webhook_per_subscription_concurrency: int = Field(
        default=4, ge=1, le=1000, description="Webhooks: POSTs in flight to one subscription"
    )
    webhook_pause_after_failures: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Webhooks: failed attempts in a row (across deliveries) that pause an"
        " endpoint, once it has also been failing for webhook_pause_after_seconds",
    )
    webhook_pause_after_seconds: float = Field(
        default=3600.0, ge=0, le=30 * 86_400, description="Webhooks: see the line above"
    )
    webhook_secret_grace_hours: float = Field(
        default=24.0,
        ge=0,
        le=720,
        description="Webhooks: after a rotation the old secret signs too for this long",
    )

    # Alertmanager (docs/alerting.md): where domain alerts go for people on call, how often
    # firing conditions are sent again, how long a moment is shown.
    alertmanager_url: str | None = Field(
        default=None,
        description="Alertmanager: its base URL (http://alertmanager:9093); unset, the"
        " alertmanager stage only exports the domain gauges and forwards nothing",
    )
    alertmanager_resend_seconds: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="Alertmanager: every active condition is sent again this often (its"
        " endsAt is a few of these ahead), as Prometheus re-sends its alerts",
    )
    alertmanager_moment_ttl_seconds: float = Field(
        default=6 * 3600.0,
        gt=0,
        le=30 * 86_400,
        description="Alertmanager: a moment (investigation opened, regional signal, …) is"
        " sent with endsAt this long after it happened",
    )
    alertmanager_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Alertmanager: the whole of one POST"
    )
    alertmanager_link_base: str = Field(
        default="http://127.0.0.1:8000",
        description="Alertmanager: the dashboard's address as people on call reach it; each"
        " alert links to its recall, investigation or station page under <base>/dashboard",
    )
    domain_gauges_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How often a worker reads the domain gauges (signals in the last hour,"
        " investigations waiting, recalls lagging, alerts firing) from SQL",
    )

    signing_secret: SecretStr = SecretStr(DEV_SIGNING_SECRET)
    station_key: SecretStr | None = Field(
        default=None,
        description="Station side: this station's credential, rk1:<station_id>:<version>:<hex>,"
        " printed by `recall station key issue STATION_ID` on the server; `recall station send`"
        " signs with it, only as that station, and needs no server secret",
    )

    api_auth_failures_per_address: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="API: failed authentications one client address may make per window"
        " before it is answered 429",
    )
    api_auth_failures_per_token: int = Field(
        default=5,
        ge=1,
        le=10_000,
        description="API: failed authentications per account per window: an rt1_ token id, or"
        " a single sign-on subject whose token the issuer did sign",
    )
    api_auth_failure_window_s: float = Field(
        default=300.0, gt=0, le=86_400, description="API: the sliding window of both limits"
    )

    oidc_issuer: str | None = Field(
        default=None,
        description="Single sign-on: the OIDC issuer, exactly as its tokens spell `iss`;"
        " unset, only rt1_ tokens are accepted",
    )
    oidc_audience: str | None = Field(
        default=None,
        description="Single sign-on: the `aud` a token must name (this API's client id at the"
        " identity provider); required with the issuer",
    )
    oidc_jwks_url: str | None = Field(
        default=None,
        description="Single sign-on: the issuer's key set; default the `jwks_uri` of"
        " <issuer>/.well-known/openid-configuration",
    )
    oidc_account_claim: str = Field(
        default="sub",
        pattern=r"^[A-Za-z0-9_.:/-]{1,100}$",
        description="Single sign-on: the claim whose value is the account's name. `sub` is"
        " the one claim an issuer promises stable and unique; others may be user-editable",
    )
    oidc_algorithms: str = Field(
        default="RS256,ES256",
        description="Single sign-on: the signature algorithms accepted, comma-separated;"
        " asymmetric only (RS*, PS*, ES*, EdDSA)",
    )
    oidc_leeway_s: float = Field(
        default=30.0, ge=0, le=300, description="Single sign-on: clock skew allowed on exp/nbf/iat"
    )
    oidc_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="Single sign-on: timeout of each request to the issuer",
    )

    experts_out_of_area: bool = Field(
        default=True,
        description="异地专家: for a case involving a local firm, prefer experts from outside"
        " the area (docs/investigations.md, 'Impartial expert panels')",
    )
    experts_min_distance: int = Field(
        default=2,
        ge=1,
        le=3,
        description="How far an expert must be to count as out of area: 1 another county,"
        " 2 another city (the province's practice), 3 another province",
    )

    tier_rules_path: Path | None = Field(
        default=None,
        description="Supervision tier rules (分级监管, a JSON file shaped like"
        " recall/service/tiers/default_rules.json); unset: the shipped rules (docs/tiers.md)",
    )
    tier_escalation_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How often the leader checks investigations against their tier deadlines",
    )

    log_level: str = "INFO"
    log_format: str = Field(default="console", pattern="^(console|json)$")

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        secret = self.signing_secret.get_secret_value()
        if self.environment is Environment.PRODUCTION:
            _check_production_secret(secret)
            if not self.kafka_bootstrap_servers:
                raise ValueError("production needs KAFKA_BOOTSTRAP_SERVERS (a real cluster)")
            protocol = self.kafka_security_protocol.strip().upper()
            if protocol not in _TLS_PROTOCOLS and not self.allow_plaintext_kafka:
                raise ValueError(
                    f"production refuses RECALL_KAFKA_SECURITY_PROTOCOL={protocol} (no TLS):"
                    " use SASL_SSL or SSL, or set RECALL_ALLOW_PLAINTEXT_KAFKA=true if the"
                    " network already encrypts"
                )
            if not self.database_url:
                raise ValueError("production needs DATABASE_URL (PostgreSQL)")
            if _normalise_database_url(self.database_url).lower().startswith("sqlite"):
                raise ValueError(
                    "production refuses a SQLite DATABASE_URL: one file cannot serve several"
                    " workers and the API; use PostgreSQL (postgresql://…)"
                )
        if len(secret) < 16:
            raise ValueError("RECALL_SIGNING_SECRET must be at least 16 characters")
        if self.station_key is not None:
            StationCredential.parse(self.station_key.get_secret_value())  # names what is wrong
        return self

    @model_validator(mode="after")
    def _check_single_sign_on(self) -> Settings:
        if not self.oidc_issuer:
            return self
        if not self.oidc_audience:
            raise ValueError(
                "RECALL_OIDC_ISSUER needs RECALL_OIDC_AUDIENCE (this API's client id at the"
                " identity provider): without it a token issued to any application would do"
            )
        check_idp_url("RECALL_OIDC_ISSUER", self.oidc_issuer)
        if self.oidc_jwks_url:
            check_idp_url("RECALL_OIDC_JWKS_URL", self.oidc_jwks_url)
        refused = [name for name in self.oidc_algorithm_list if name not in OIDC_ALGORITHMS]
        if refused or not self.oidc_algorithm_list:
            raise ValueError(
                f"RECALL_OIDC_ALGORITHMS refuses {','.join(refused) or 'an empty list'}: only"
                f" asymmetric algorithms ({', '.join(sorted(OIDC_ALGORITHMS))}); `none` or an"
                " HS* key shared with the issuer would let anyone with public data sign tokens"
            )
        return self

    @property
    def oidc_algorithm_list(self) -> tuple[str, ...]:
        """The accepted single sign-on algorithms, in the order configured."""
        return tuple(part.strip() for part in self.oidc_algorithms.split(",") if part.strip())

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """repr/str of the settings: the database URL with its password and secrets masked."""
        for name, value in super().__repr_args__():
            if name == "database_url" and isinstance(value, str):
                yield name, mask_database_url(value)
            else:
                yield name, value

    @cached_property
    def bootstrap_servers(self) -> str:
        """The cluster to talk to: the configured one, else the embedded local broker."""
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.broker_port}"

    @property
    def jars_dir(self) -> Path:
        return (self.broker_jars_dir or self.state_dir / "kafka-jars").resolve()

    @property
    def uses_local_broker(self) -> bool:
        return self.kafka_bootstrap_servers is None

    @cached_property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return _normalise_database_url(self.database_url)
        return f"sqlite:///{(self.state_dir / 'recall.db').resolve()}"

    def topic_name(self, base: str) -> str:
        """The real topic name of a declared topic (`schemas.topics`), after the prefix."""
        return f"{self.topic_prefix}{base}"

    def kafka_client_options(self) -> dict[str, Any]:
        """Security options shared by kafka-python and aiokafka (same option names)."""
        options: dict[str, Any] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_sasl_mechanism:
            options["sasl_mechanism"] = self.kafka_sasl_mechanism
            options["sasl_plain_username"] = self.kafka_sasl_username
            if self.kafka_sasl_password is not None:
                options["sasl_plain_password"] = self.kafka_sasl_password.get_secret_value()
        if self.kafka_ssl_cafile:
            options["ssl_cafile"] = str(self.kafka_ssl_cafile)
        return options

    def masked(self) -> dict[str, Any]:
        """A dump safe for logs: secrets and database passwords replaced by '***'."""
        data = self.model_dump(mode="json")
        for key in ("signing_secret", "kafka_sasl_password", "station_key"):
            if data.get(key):
                data[key] = "***"
        if data.get("database_url"):
            data["database_url"] = mask_database_url(data["database_url"])
        return data


def _normalise_database_url(url: str) -> str:
    """Accept the common `postgresql://` and `postgres://` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


OIDC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def check_idp_url(name: str, url: str) -> None:
    """Refuse an identity provider URL that is not HTTPS (plain HTTP only on loopback).

    The keys fetched from it decide who is authenticated: over plain HTTP anyone on the path
    could hand us their own key. Loopback stays allowed for a local IdP and the tests.
    """
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return
    raise ValueError(f"{name} must be an https:// URL (http:// only on loopback), not {url!r}")


_TLS_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})
_SECRET_QUERY_WORDS = ("password", "passwd", "pwd", "secret", "token", "key")
MIN_PRODUCTION_SECRET_LENGTH = 32
MIN_PRODUCTION_SECRET_DISTINCT = 10


def _check_production_secret(secret: str) -> None:
    """Refuse signing secrets that are padded, short, repetitive or the development value.

    Padding is refused outright rather than stripped: a secret copied with a stray space or
    newline would otherwise derive different station keys on different machines, and the dev
    value with a trailing space is still the dev value. The messages never include the secret.
    """
    if secret != secret.strip():
        raise ValueError(
            "RECALL_SIGNING_SECRET has leading or trailing whitespace; remove it"
            " (a copied newline or space changes every station key)"
        )
    if DEV_SIGNING_SECRET in secret.lower():
        raise ValueError(
            "RECALL_SIGNING_SECRET still contains the development value; set a random secret"
            " for production, e.g. `openssl rand -hex 32`"
        )
    if len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
        raise ValueError(
            f"RECALL_SIGNING_SECRET must be at least {MIN_PRODUCTION_SECRET_LENGTH} characters"
            " in production; e.g. `openssl rand -hex 32`"
        )
    if len(set(secret)) < MIN_PRODUCTION_SECRET_DISTINCT:
        raise ValueError(
            f"RECALL_SIGNING_SECRET uses fewer than {MIN_PRODUCTION_SECRET_DISTINCT} distinct"
            " characters, too guessable; use a random one, e.g. `openssl rand -hex 32`"
        )


def mask_database_url(url: str) -> str:
    """The URL with the password and any secret-looking query parameter replaced by '***'.

    Covers `user:password@host` and libpq/psycopg query forms such as `?password=…`,
    `?sslpassword=…`, `?token=…`. A URL that cannot be taken apart is masked whole, since
    logging it verbatim is the failure this exists to prevent.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        userinfo, at, hosts = netloc.rpartition("@")
        if at and ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{hosts}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = "&".join(
                f"{quote(name, safe='')}="
                + ("***" if _is_secret_param(name) else quote(value, safe="/:,"))
                for name, value in pairs
            )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        scheme = url.partition("://")[0] if "://" in url else "url"
        return f"{scheme}://***"


def _is_secret_param(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_QUERY_WORDS)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, with explicit overrides winning (tests, CLI flags)."""
    return Settings(**overrides)
