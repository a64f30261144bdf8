"""Provisioning events through a transactional outbox, for every service that emits them (the user store,
the seat allocator): the outbox table (tables.py), the rows a unit of work writes (outbox.py) and the
relay that publishes them on ``scimflow.events`` (relay.py). What a change emits is each service's own
(services/<name>/events.py); the wire contract is contracts/events/v1.py."""
