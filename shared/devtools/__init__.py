"""Developer tooling: helpers for running the system and its tests locally (e.g. a real Kafka broker)."""
