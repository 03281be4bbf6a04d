"""A throw-away PostgreSQL cluster from Debian's packages, on a free port.

The test session starts one for its integration tests, and `recall bench api` one for its
million events: neither may touch the database `DATABASE_URL` names, which may be production.
initdb refuses to run as root, so as root the cluster is owned by the `postgres` system user
(created by the Debian package) and its commands run through `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from recall.tools.api_process import free_port


@dataclass
class PostgresCluster:
    """One cluster under `root` (data, socket, log), trusted local access for user `recall`."""

    root: Path
    port: int
    bin_dir: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://recall@127.0.0.1:{self.port}/recall"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._prefix(), *command], check=True, capture_output=True, text=True)

    def start(self) -> None:
        data = self.root / "data"
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "recall",
            "-A",
            "trust",
            "-E",
            "UTF8",
        )
        self._pg_ctl_start()
        self._run(
            str(self.bin_dir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "recall",
            "recall",
        )

    def restart(self) -> None:
        """Start again on the same port and data directory (after `stop`)."""
        self._pg_ctl_start()

    def _pg_ctl_start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.root / "data"),
            "-o",
            options,
            "-l",
            str(self.root / "pg.log"),
            "-w",
            "start",
        )

    def stop_if_running(self) -> None:
        status = subprocess.run(
            [
                *self._prefix(),
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "status",
            ],
            capture_output=True,
            check=False,
        )
        if status.returncode == 0:
            self.stop()

    def _prefix(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def stop(self) -> None:
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"
        )

    def create_database(self, name: str) -> str:
        self._run(
            str(self.bin_dir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "recall",
            name,
        )
        return f"postgresql+psycopg://recall@127.0.0.1:{self.port}/{name}"


def find_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def new_cluster(root: Path) -> PostgresCluster:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL is not installed: run `make system-deps` (apt-get install postgresql)"
        )
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return PostgresCluster(root, free_port(), bin_dir)
