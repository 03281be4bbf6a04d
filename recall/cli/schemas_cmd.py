"""`recall schemas …`: the wire contract for integrators."""

from __future__ import annotations

from pathlib import Path

import typer

from recall.cli.common import console

app = typer.Typer(help="Export the wire contract (JSON Schema, AsyncAPI) for integrators.")


@app.command()
def export(directory: Path = typer.Argument(..., help="Folder to write the files into.")) -> None:
    """Write one JSON Schema per event model and an AsyncAPI document of all topics."""
    from recall.tools.contract import export as write

    for path in write(directory):
        console.print(f"wrote {path}")
