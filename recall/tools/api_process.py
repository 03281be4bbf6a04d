"""Start and stop `recall api` as a child process (the demo), ready once /healthz answers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (another process could take it before we do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class ApiProcess:
    """`recall api --host H --port P` in its own process group, output to `log_path`.

    `env` replaces the environment (None: this process's), e.g. to point it at another
    database with DATABASE_URL.
    """

    def __init__(
        self, host: str, port: int, log_path: Path, *, env: dict[str, str] | None = None
    ) -> None:
        self.host, self.port, self._log_path = host, port, log_path
        self._env = env
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, *, ready_within_s: float = 90.0) -> None:
        """Spawn and wait for /healthz; a process that exits or stays silent is an error."""
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "recall.cli.main", "api"]
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [*command, "--host", self.host, "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=self._env,
            )
        deadline = time.monotonic() + ready_within_s
        while not self._healthy():
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"`recall api` exited ({self._process.returncode}); see {self._log_path}"
                )
            if time.monotonic() >= deadline:
                self.stop()
                raise RuntimeError(
                    f"`recall api` not ready within {ready_within_s:.0f} s; see {self._log_path}"
                )
            time.sleep(0.25)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM to its process group, SIGKILL if it has not exited in time."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
