"""The worker's own HTTP port: `/metrics`, `/healthz` (alive) and `/ready` (consuming).

Prometheus' `start_http_server` answers on every path as long as the process lives, so a
worker whose agents had crashed still looked healthy (issue 8, point 2). Here liveness and
readiness are separate questions: `/healthz` is 200 while the process serves HTTP (a crashed
worker exits, see `streams.supervision`), `/ready` is 200 only when `readiness` says the agents
are consuming, else 503 with a JSON body that says why. The server binds `metrics_host`,
loopback unless configured, and runs in a daemon thread so a busy event loop cannot starve it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from streams.readiness import Readiness

ReadinessCheck = Callable[[], Readiness]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    registry: CollectorRegistry
    check: ReadinessCheck


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._reply(200, CONTENT_TYPE_LATEST, generate_latest(self.server.registry))
        elif path == "/healthz":
            self._reply(200, "text/plain; charset=utf-8", b"ok\n")
        elif path == "/ready":
            try:
                result = self.server.check()
            except Exception as error:  # a broken check must read as "not ready", not hang
                result = Readiness(False, (f"readiness check failed: {type(error).__name__}",))
            self._reply(200 if result.ready else 503, "application/json", result.body())
        else:
            self._reply(404, "text/plain; charset=utf-8", b"not found\n")

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Probes every few seconds are not worth a log line each."""


def serve(
    host: str, port: int, registry: CollectorRegistry, check: ReadinessCheck
) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; returns the server (call `shutdown()` to stop it)."""
    server = _Server((host, port), _Handler)
    server.registry = registry
    server.check = check
    thread = threading.Thread(target=server.serve_forever, name="recall-http", daemon=True)
    thread.start()
    return server
