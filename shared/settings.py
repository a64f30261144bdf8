"""Settings read from the environment (``SCIMFLOW_*``), never at import time.

Each service builds its settings in ``__main__`` and passes them down; tests build them explicitly.
"""

from __future__ import annotations

import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Self, TypeVar

from pydantic import AfterValidator, AliasChoices, Field, FilePath, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.security import KafkaClientSecurity, SaslMechanism, SecurityProtocol

POSTGRES_SCHEME = "postgresql+asyncpg://"


def postgres_url(url: str | None) -> str | None:
    """A database URL as the settings take it: PostgreSQL through asyncpg, the one driver the services use
    (SQLite needs no URL: it is what an unset one means)."""
    if url is not None and not url.startswith(POSTGRES_SCHEME):
        raise ValueError(f"a database URL starts with {POSTGRES_SCHEME} (unset: SQLite files under the data "
                         f"directory), not {url.split(':', 1)[0]!r}")
    return url


#: A database URL setting (SCIMFLOW_DATABASE_URL, a service's own SCIMFLOW_<SERVICE>_DATABASE_URL): None or
#: PostgreSQL through asyncpg, refused otherwise.
DatabaseUrl = Annotated[str | None, AfterValidator(postgres_url)]


class CommonSettings(BaseSettings):
    # A refused value is not repeated in the error: a database URL may carry its password.
    model_config = SettingsConfigDict(env_prefix="SCIMFLOW_", extra="ignore", hide_input_in_errors=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "SCIMFLOW_KAFKA_BOOTSTRAP_SERVERS"),
    )
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    #: OTLP/HTTP traces URL (``http://collector:4318/v1/traces``); unset: no tracing (shared/tracing.py).
    tracing_endpoint: str | None = None
    #: uvloop (less CPU per socket event than asyncio's own loop) where installed, or asyncio.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    #: Distinguishes processes of one service (reply topics, logs, the ``source`` header).
    instance_id: str = Field(default_factory=lambda: _safe(socket.gethostname()))
    #: Unset: each stateful service keeps its SQLite file under ``data_dir`` (one host). A
    #: ``postgresql+asyncpg://`` URL: every service in a schema of its own in that one database, so their
    #: copies may run on several hosts. A service's own ``SCIMFLOW_<SERVICE>_DATABASE_URL`` wins over it.
    database_url: DatabaseUrl = None

    #: How long a consumer group waits for a copy that stopped heartbeating (shared/messaging/kafka.py).
    kafka_session_timeout_ms: int = Field(default=10_000, ge=6_000, le=300_000)
    # How the Kafka clients connect (README, "Secured Kafka"); checked together by kafka_security().
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_file: FilePath | None = None
    kafka_ssl_cert_file: FilePath | None = None
    kafka_ssl_key_file: FilePath | None = None
    kafka_ssl_key_password: SecretStr | None = None

    @model_validator(mode="after")
    def kafka_security_agrees(self) -> Self:
        self.kafka_security()  # contradictions refuse the settings, so a process never starts on them
        return self

    def kafka_security(self) -> KafkaClientSecurity:
        return KafkaClientSecurity(
            protocol=self.kafka_security_protocol, sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_sasl_username, password=self.kafka_sasl_password,
            ca_file=self.kafka_ssl_ca_file, cert_file=self.kafka_ssl_cert_file,
            key_file=self.kafka_ssl_key_file, key_password=self.kafka_ssl_key_password,
        )

    #: The process's ops port (/metrics, /livez, /readyz: shared/ops/); 0: none. Never the public port.
    ops_port: int = Field(default=0, ge=0, le=65535)
    #: 127.0.0.1 keeps it to this host (a healthcheck); 0.0.0.0 lets a Prometheus elsewhere scrape it.
    ops_host: str = "127.0.0.1"

    def service_data_dir(self, service: str) -> Path:
        path = self.data_dir / service
        path.mkdir(parents=True, exist_ok=True)
        return path

    def store_of(self, service: str, own_url: str | None, file_name: str) -> StoreLocation:
        """Where ``service`` keeps its state: its own URL, else the common one, else its SQLite file."""
        if url := own_url or self.database_url:
            return PostgresSchema(url, schema=service)
        return SqliteFile(self.service_data_dir(service) / file_name)


@dataclass(frozen=True)
class SqliteFile:
    path: Path


@dataclass(frozen=True)
class PostgresSchema:
    """A service's schema (its tables' namespace) in the PostgreSQL database ``url`` names."""

    url: str
    schema: str


StoreLocation = SqliteFile | PostgresSchema

S = TypeVar("S", bound=CommonSettings)


def from_environment(settings_class: type[S]) -> S:
    """The process's settings, or its exit with what is wrong: a refused value (an operator key too short,
    SMTP login without TLS) is a setup mistake to read, not a crash to trace."""
    try:
        return settings_class()
    except ValidationError as error:
        sys.exit(f"scimflow: refusing to start: {explained(error)}")


def explained(error: ValidationError) -> str:
    """What is wrong, without the values given: pydantic's own message repeats every setting, passwords too."""
    problems = [f"{'.'.join(map(str, problem['loc'])) or 'settings'}: {problem['msg']}"
                for problem in error.errors(include_input=False, include_url=False)]
    return "; ".join(problems)


def _safe(name: str) -> str:
    """Kafka topic names allow [a-zA-Z0-9._-] only."""
    return re.sub(r"[^a-zA-Z0-9._-]", "-", name)
