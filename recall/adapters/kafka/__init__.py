"""Kafka adapters built on kafka-python: admin (topics) and the station-side producer."""
