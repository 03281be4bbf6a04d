"""Realistic synthetic traffic: stations, labs (and later firms) as they would report."""
