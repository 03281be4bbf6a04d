"""`recall broker …`: the embedded local Apache Kafka broker."""

from __future__ import annotations

import typer

from recall.adapters.broker import local
from recall.cli.common import console, fail, settings

app = typer.Typer(help="Start, stop and inspect the local single-node Apache Kafka broker (KRaft).")


@app.command()
def start(
    timeout: float = typer.Option(120.0, help="Seconds to wait for the broker to answer."),
) -> None:
    """Fetch the broker jars if needed, then start the broker (no-op when it already runs)."""
    cfg = settings()
    if not cfg.uses_local_broker:
        console.print(f"KAFKA_BOOTSTRAP_SERVERS={cfg.bootstrap_servers}: using that cluster.")
        return
    try:
        with console.status("starting Apache Kafka (first run downloads its jars with Maven)…"):
            state = local.start(cfg, timeout_s=timeout)
    except local.BrokerError as error:
        fail(str(error), "see the broker log under .local/kafka/, or `recall broker status`")
    console.print(
        f"[green]broker running[/] at {state.address} (pid {state.pid}); log: {state.log}"
    )


@app.command()
def stop() -> None:
    """Stop the local broker gracefully (no-op when it is not running)."""
    stopped = local.stop(settings())
    console.print("broker stopped" if stopped else "broker was not running")


@app.command()
def status() -> None:
    """Say whether the local broker runs, where, and where it logs."""
    cfg = settings()
    if not cfg.uses_local_broker:
        console.print(f"using external cluster {cfg.bootstrap_servers}")
        return
    state = local.status(cfg)
    if state.running:
        console.print(f"[green]running[/] at {state.address} (pid {state.pid}); log: {state.log}")
    else:
        console.print(
            f"[yellow]not running[/] (would listen on {state.address}); `recall broker start`"
        )
        raise typer.Exit(code=3)
