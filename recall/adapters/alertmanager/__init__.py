"""Alertmanager: our alerts as its v2 API takes them (`payload`) and the HTTP client (`client`)."""
