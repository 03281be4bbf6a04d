"""Start and stop `recall worker` as a child process (demo, benchmarks, tests).

The worker runs in its own process group so a forced stop also ends anything it started, and
its output goes to a log file the caller names. Like Kubernetes or systemd, this supervisor
starts the worker again when it exits with a failure code — `EXIT_CRASHED` (70) from a worker
that hit an unexpected error or got stuck rather than half-dying (streams/supervision.py), or a
start-up that could not reach its broker or database — and relies on the restart to re-read the
uncommitted batch.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

EXIT_CRASHED = 70  # streams.supervision.EXIT_CRASHED (not imported: no Faust in this module)


class WorkerProcess:
    def __init__(
        self, env: dict[str, str], log_path: Path, *, restart_on_crash: bool = True
    ) -> None:
        self._env = {**os.environ, **env}
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._restart_on_crash = restart_on_crash
        self._stopping = False
        self._lock = threading.Lock()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        with self._lock:
            self._stopping = False
            self._spawn()
        if self._restart_on_crash:
            threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True).start()

    def _supervise(self) -> None:
        """Restart after a failed exit, as Kubernetes' restartPolicy would: `EXIT_CRASHED`, or
        any other non-zero code (a start-up that could not reach the broker or the database).
        A stop, a kill (a signal) or a clean exit is final."""
        while True:
            process = self._process
            if process is None:
                return
            code = process.wait()
            if code > 0 and code != EXIT_CRASHED:
                time.sleep(1.0)  # a start-up failure: do not spin while the cause persists
            with self._lock:
                if self._stopping or process is not self._process or code <= 0:
                    return
                self.restarts += 1
                self._spawn()

    def _spawn(self) -> None:
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "recall.cli.main", "worker"],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def running(self) -> bool:
        """True while a worker process runs, or is being restarted after a crash."""
        with self._lock:
            process = self._process
        if process is None:
            return False
        code = process.poll()
        return code is None or (code > 0 and self._restart_on_crash and not self._stopping)

    def stop(self, timeout_s: float = 20.0) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if the worker has not exited in time."""
        with self._lock:
            self._stopping = True
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """Crash the worker: no shutdown, no final commit (failure tests)."""
        with self._lock:
            self._stopping = True
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the running worker has used (see `cpu_seconds`)."""
        return cpu_seconds(self.pid)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (Linux /proc), NaN when unreadable.

    Benchmarks report a worker's cores from this: on a shared 2-core machine the wall-clock
    rate alone cannot say whether the worker was starved or saturated."""
    if pid is None:
        return float("nan")
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(predicate: object, timeout_s: float, interval_s: float = 0.25) -> bool:
    """Poll `predicate()` until it is true or the deadline passes; returns the last result."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)
