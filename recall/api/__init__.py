"""The regulator API (FastAPI): what regulators, experts, stations, firms and the public read
and do, each within its scope (`recall.domain.access`). An entry point like the CLI: it calls
the services' queries and commands and the adapters that implement their ports."""
