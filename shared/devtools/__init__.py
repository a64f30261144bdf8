"""Developer tooling: helpers for running the system and its tests locally (e.g. a real Kafka broker)."""

from pathlib import Path

#: The checkout the services run from and the local broker's cache lives in.
REPO_ROOT = Path(__file__).resolve().parents[2]
