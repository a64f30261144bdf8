"""Settings read from the environment (``SCIMFLOW_*``), never at import time.

Each service builds its settings in ``__main__`` and passes them down; tests build them explicitly.
"""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCIMFLOW_", extra="ignore")

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "SCIMFLOW_KAFKA_BOOTSTRAP_SERVERS"),
    )
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    #: uvloop (less CPU per socket event than asyncio's own loop) where installed, or asyncio.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    #: Distinguishes processes of one service (reply topics, logs, the ``source`` header).
    instance_id: str = Field(default_factory=lambda: _safe(socket.gethostname()))

    def service_data_dir(self, service: str) -> Path:
        path = self.data_dir / service
        path.mkdir(parents=True, exist_ok=True)
        return path


S = TypeVar("S", bound=CommonSettings)


def from_environment(settings_class: type[S]) -> S:
    """The process's settings, or its exit with what is wrong: a refused value (an operator key too short,
    SMTP login without TLS) is a setup mistake to read, not a crash to trace."""
    try:
        return settings_class()
    except ValidationError as error:
        sys.exit(f"scimflow: refusing to start: {error}")


def _safe(name: str) -> str:
    """Kafka topic names allow [a-zA-Z0-9._-] only."""
    return re.sub(r"[^a-zA-Z0-9._-]", "-", name)
