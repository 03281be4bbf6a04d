"""Registries: stations, manufacturers, products and their taxonomy, standards, labs, experts."""
