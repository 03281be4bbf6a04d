"""A local webhook receiver, as an integrator would write one (tests and `recall bench webhooks`).

It verifies every POST with the Standard Webhooks reference library (`Webhook(secret).verify`,
any of its secrets), deduplicates by `webhook-id` as the spec asks receivers to, and records
what it saw: the ids accepted once, how many repeats it dropped, how many signatures failed.
Its mode can be switched while it runs: `up` (204 after `delay_s`), `down` (503 after
`delay_s`: an endpoint that is failing, and that holds each attempt for a while so a test
can catch a worker mid-attempt), or `slow` (like `up`, for a receiver that takes seconds).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from schemas.common import ProductCategory
from schemas.risk import Alert, AlertKind, AlertSeverity

Mode = Literal["up", "down"]


@dataclass
class Seen:
    """What the receiver has recorded (read under `Receiver.lock`)."""

    accepted: list[str] = field(default_factory=list)  # first time each id was accepted
    repeats: Counter[str] = field(default_factory=Counter)  # ids seen again (deduplicated)
    posts: int = 0  # POSTs received (counted on arrival, before any delay)
    refused: int = 0  # POSTs answered 503 while down
    bad_signatures: int = 0
    bodies: dict[str, bytes] = field(default_factory=dict)


class Receiver:
    def __init__(self, secrets: list[str] | None = None, *, mode: Mode = "up", delay_s: float = 0):
        self.secrets = list(secrets or [])
        self.mode: Mode = mode
        self.delay_s = delay_s
        self.lock = threading.Lock()
        self.seen = Seen()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def switch(self, *, mode: Mode | None = None, delay_s: float | None = None) -> None:
        with self.lock:
            if mode is not None:
                self.mode = mode
            if delay_s is not None:
                self.delay_s = delay_s

    def accepted(self) -> set[str]:
        with self.lock:
            return set(self.seen.accepted)

    def snapshot(self) -> Seen:
        with self.lock:
            s = self.seen
            return Seen(list(s.accepted), Counter(s.repeats), s.posts, s.refused, s.bad_signatures)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        """The status to answer one POST with (and record it)."""
        with self.lock:
            mode, delay = self.mode, self.delay_s
            self.seen.posts += 1
        if delay:
            self._stop.wait(delay)
        if mode == "down":
            with self.lock:
                self.seen.refused += 1
            return 503
        if not self._verified(headers, body):
            with self.lock:
                self.seen.bad_signatures += 1
            return 400
        msg_id = headers.get("webhook-id", "")
        with self.lock:
            if msg_id in self.seen.bodies:
                self.seen.repeats[msg_id] += 1
            else:
                self.seen.accepted.append(msg_id)
                self.seen.bodies[msg_id] = body
        return 204

    def _verified(self, headers: dict[str, str], body: bytes) -> bool:
        for secret in list(self.secrets):
            try:
                Webhook(secret).verify(body, headers, json_parse=False)
                return True
            except WebhookVerificationError:
                continue
        return False


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # http.server calls it by this name
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.handle(headers, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # the base class names it so
            return None

    return Handler


@contextmanager
def running(secrets: list[str] | None = None, **options: Any) -> Iterator[Receiver]:
    receiver = Receiver(secrets, **options).start()
    try:
        yield receiver
    finally:
        receiver.stop()


def sample_alert(
    n: int,
    jurisdiction: str | None = "140105",
    *,
    severity: AlertSeverity = AlertSeverity.WARNING,
    category: ProductCategory | None = ProductCategory.CHILDREN,
    run: str = "",
) -> Alert:
    """A valid `referral` alert numbered `n` (ids unique per `run`): what tests and the
    bench publish on the `alerts` topic."""
    return Alert(
        alert_id=f"alert-{run}{n:06d}",
        severity=severity,
        kind=AlertKind.REFERRAL,
        title="移送执法 / referred to enforcement",
        subject=f"recall-{n:06d}",
        jurisdiction=jurisdiction,
        at=datetime.now(UTC),
        details={"reasons": "missed reports", "missed": "1,2", "refused": "false"},
        category=category,
    )
