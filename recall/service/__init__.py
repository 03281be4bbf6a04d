"""Service layer: use cases that combine the wire contract, the domain and the ports."""
