"""The user store: owns tenants' users in SQL and answers user commands from Kafka."""
