"""Intake traffic over time: a station's accepted and refused records per hour or day, and the
intake rate of a regulator's area per minute (the dashboard's charts)."""
