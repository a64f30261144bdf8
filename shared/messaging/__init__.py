"""Request/reply and commands over a message bus (Kafka in production, in-memory in unit tests)."""
