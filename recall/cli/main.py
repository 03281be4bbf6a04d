"""Entry point of the `recall` command."""

from __future__ import annotations

import typer

from recall.cli import (
    accounts,
    api_cmd,
    bench,
    broker,
    cases,
    intake,
    investigations,
    leads,
    readmodel,
    recalls,
    registry,
    replay,
    risk,
    schemas_cmd,
    signals,
    station,
    stats,
    system,
    tiers,
)

app = typer.Typer(
    name="recall",
    help=(
        "recall-tracker: track defective consumer products from the first injury report to the "
        "last unit recalled (缺陷消费品召回追踪).\n\n"
        "Start here: `recall demo` runs everything locally; `recall --help` on any command."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(broker.app, name="broker")
app.add_typer(registry.app, name="registry")
app.add_typer(station.app, name="station")
app.add_typer(intake.app, name="intake")
app.add_typer(schemas_cmd.app, name="schemas")
app.add_typer(bench.app, name="bench")
app.add_typer(risk.app, name="risk")
app.add_typer(signals.app, name="signals")
app.add_typer(investigations.app, name="investigations")
app.add_typer(tiers.app, name="tiers")
app.add_typer(leads.app, name="leads")
app.add_typer(recalls.app, name="recalls")
app.add_typer(cases.app, name="cases")
app.add_typer(readmodel.app, name="readmodel")
app.add_typer(accounts.app, name="accounts")
app.add_typer(stats.app, name="stats")
system.register(app)
api_cmd.register(app)
replay.register(app)


if __name__ == "__main__":
    app()
