"""Helpers for tests that need real services started by the test session itself."""
