"""Reproducible benchmarks of the domain's algorithms (simulation, not production code)."""
