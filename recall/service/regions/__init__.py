"""Regions: the registry's names of GB/T 2260 divisions, and risk by region for a regulator."""
