"""The embedded local Apache Kafka broker (KRaft, single node)."""
