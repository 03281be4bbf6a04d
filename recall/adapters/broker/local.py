"""Fetch, configure, start and stop the local single-node Apache Kafka broker.

There is no Docker here, so the broker is the real Apache Kafka run from its Maven Central jars
with Java 17. Start is idempotent (a running broker is reused), waits until the broker answers
a metadata request, and logs to a file; stop is graceful, then forceful.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from recall.config import Settings

POM = Path(__file__).resolve().parents[3] / "deploy" / "kafka" / "pom.xml"


class BrokerError(RuntimeError):
    """The local broker could not be prepared or started; the message says what to do."""


@dataclass(frozen=True, slots=True)
class BrokerPaths:
    root: Path
    libs: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config(self) -> Path:
        return self.root / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.root / "log4j2.properties"

    @property
    def pid(self) -> Path:
        return self.root / "broker.pid"

    @property
    def log(self) -> Path:
        return self.root / "broker.log"

    @property
    def stdout(self) -> Path:
        return self.root / "broker.stdout"


@dataclass(frozen=True, slots=True)
class BrokerStatus:
    running: bool
    pid: int | None
    address: str
    log: Path


def paths_for(settings: Settings) -> BrokerPaths:
    return BrokerPaths((settings.state_dir / "kafka").resolve(), settings.jars_dir)


def ensure_jars(paths: BrokerPaths) -> None:
    """Download the broker jars once with Maven (they are never committed)."""
    marker = paths.libs / ".complete"
    if marker.exists():
        return
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise BrokerError(
            "the local broker needs Java 17 and Maven: "
            "apt-get install maven openjdk-17-jre-headless"
        )
    paths.libs.mkdir(parents=True, exist_ok=True)
    command = [
        "mvn",
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={paths.libs}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(
            f"Maven could not fetch the Kafka jars:\n{result.stdout}\n{result.stderr}"
        )
    marker.touch()


def write_config(paths: BrokerPaths, settings: Settings) -> None:
    port, controller = settings.broker_port, settings.broker_controller_port
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.config.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers=127.0.0.1:{controller}",
                f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={paths.data}",
                f"num.partitions={settings.topic_partitions}",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=12",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "log.retention.check.interval.ms=60000",
                "",
            ]
        )
    )
    paths.log4j.write_text(
        "\n".join(
            [
                "status = warn",
                "appender.file.type = RollingFile",
                "appender.file.name = file",
                f"appender.file.fileName = {paths.log}",
                f"appender.file.filePattern = {paths.log}.%i",
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = [%d] %p %m (%c)%n",
                "appender.file.policies.type = Policies",
                "appender.file.policies.size.type = SizeBasedTriggeringPolicy",
                "appender.file.policies.size.size = 20MB",
                "appender.file.strategy.type = DefaultRolloverStrategy",
                "appender.file.strategy.max = 3",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = file",
                "",
            ]
        )
    )


def _java(paths: BrokerPaths, main: str, *args: str, heap: str = "256m") -> list[str]:
    return [
        "java",
        f"-Xmx{heap}",
        f"-Xms{heap}" if heap != "256m" else "-Xms64m",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={paths.log4j}",
        "-cp",
        f"{paths.libs}/*",
        main,
        *args,
    ]


def format_storage(paths: BrokerPaths) -> None:
    """Format the KRaft log directory once (a second start reuses the data)."""
    if (paths.data / "meta.properties").exists():
        return
    cluster_id = _cluster_id()
    command = _java(
        paths,
        "kafka.tools.StorageTool",
        "format",
        f"--cluster-id={cluster_id}",
        "-c",
        str(paths.config),
        "--standalone",
    )
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(f"formatting the KRaft storage failed:\n{result.stdout}\n{result.stderr}")


def _cluster_id() -> str:
    """A random cluster id as Kafka writes them (URL-safe base64 of 16 bytes).

    Never one that starts with '-': passed as a separate argument, the tool's parser took such
    an id for an option and the format failed (one start in 64).
    """
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def read_pid(paths: BrokerPaths) -> int | None:
    try:
        pid = int(paths.pid.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def status(settings: Settings) -> BrokerStatus:
    paths = paths_for(settings)
    pid = read_pid(paths)
    running = pid is not None and port_open(settings.broker_port)
    return BrokerStatus(running, pid, f"127.0.0.1:{settings.broker_port}", paths.log)


def start(settings: Settings, *, timeout_s: float = 90.0) -> BrokerStatus:
    """Start the broker unless it already runs; return once it answers metadata requests."""
    if not settings.uses_local_broker:
        raise BrokerError("KAFKA_BOOTSTRAP_SERVERS is set: that cluster is used, nothing to start")
    current = status(settings)
    if current.running:
        wait_until_ready(settings, timeout_s)
        return current
    if port_open(settings.broker_port) and not _wait_port_closed(settings.broker_port, 10.0):
        raise BrokerError(
            f"port {settings.broker_port} is taken by another program; "
            "set RECALL_BROKER_PORT to a free port"
        )
    paths = paths_for(settings)
    ensure_jars(paths)
    write_config(paths, settings)
    format_storage(paths)
    with paths.stdout.open("ab") as out:
        process = subprocess.Popen(
            _java(paths, "kafka.Kafka", str(paths.config), heap=settings.broker_heap),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    paths.pid.write_text(str(process.pid))
    wait_until_ready(settings, timeout_s, process=process)
    return status(settings)


def wait_until_ready(
    settings: Settings, timeout_s: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait (with a deadline) until a kafka-python client can read cluster metadata."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout_s
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BrokerError(
                f"the broker exited with {process.returncode}; see {paths_for(settings).log}"
            )
        if port_open(settings.broker_port):
            try:
                client = KafkaAdminClient(
                    bootstrap_servers=settings.bootstrap_servers, request_timeout_ms=5000
                )
                client.describe_cluster()
                client.close()
                return
            except KafkaError as error:
                last_error = str(error)
        time.sleep(0.25)
    raise BrokerError(f"the broker did not answer within {timeout_s:.0f}s ({last_error})")


def stop(settings: Settings, *, timeout_s: float = 30.0) -> bool:
    """Stop the broker gracefully (SIGTERM), then forcefully; True if one was running."""
    paths = paths_for(settings)
    pid = read_pid(paths)
    if pid is None:
        paths.pid.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    paths.pid.unlink(missing_ok=True)
    return True


def kill(settings: Settings) -> bool:
    """Kill the broker without a clean shutdown (failure tests)."""
    paths = paths_for(settings)
    pid = read_pid(paths)
    if pid is None:
        return False
    os.kill(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.05)
    _wait_port_closed(settings.broker_port, 10.0)
    return True


def _wait_port_closed(port: int, timeout_s: float) -> bool:
    """A killed broker's listener can linger a moment; wait (with a deadline) until it is gone."""
    deadline = time.monotonic() + timeout_s
    while port_open(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
