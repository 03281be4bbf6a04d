"""Supervision tiers: owners for signals and investigations, escalation, the audit of moves."""
