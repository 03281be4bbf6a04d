"""`recall api`: serve the regulator API with uvicorn."""

from __future__ import annotations

import typer

from recall.cli.common import console, settings


def register(app: typer.Typer) -> None:
    app.command("api")(api)


def api(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the regulator API: OpenAPI at /openapi.json, documentation at /docs.

    Applies the database migrations first; accounts come from `recall accounts add`.
    """
    import uvicorn

    from recall.api.app import create_api
    from recall.cli.common import sessions
    from recall.logs import configure_logging

    cfg = settings()
    configure_logging(cfg.log_level, cfg.log_format)
    application = create_api(cfg, sessions=sessions(cfg))
    console.print(f"regulator API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_config=None, access_log=False)
