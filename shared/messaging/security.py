"""How the Kafka clients encrypt and log in (TLS, SASL PLAIN / SCRAM; issue 26).

One frozen ``KafkaClientSecurity``, built from the settings (``CommonSettings.kafka_security``) and handed
to ``KafkaBus``, gives every producer, consumer and admin client the same keyword arguments, so no client
of a process can end up on another footing than the rest. Its rules refuse what cannot work or would leak
(a SASL protocol without a login, a login the protocol never sends, a PLAIN password in clear) when the
settings are read, before a process starts, rather than as a connection error later.

When the broker turns a client away, aiokafka says only that it could not bootstrap; ``refusal_reason``
connects once more to say why (a refused login, a certificate not trusted, nothing listening).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiokafka.conn import collect_hosts, create_conn
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context
from pydantic import SecretStr

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

TLS_PROTOCOLS = ("SSL", "SASL_SSL")
SASL_PROTOCOLS = ("SASL_PLAINTEXT", "SASL_SSL")
#: How long the diagnosing connection may take per broker (the client it explains has already given up).
REFUSAL_PROBE_SECONDS = 10.0


@dataclass(frozen=True)
class KafkaClientSecurity:
    """PLAINTEXT unless told otherwise. Files are paths (read when a client is made, so a renewed
    certificate is picked up by the next process); secrets stay ``SecretStr`` so no repr or log shows them."""

    protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    username: str | None = None
    password: SecretStr | None = None
    #: The CA that signed the brokers' certificates; None: the system's trusted CAs.
    ca_file: Path | None = None
    #: A client certificate (mutual TLS), with its key in ``key_file`` or in the same file.
    cert_file: Path | None = None
    key_file: Path | None = None
    key_password: SecretStr | None = None

    def __post_init__(self) -> None:
        if problem := _contradiction(self):
            raise ValueError(problem)

    @property
    def uses_tls(self) -> bool:
        return self.protocol in TLS_PROTOCOLS

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in SASL_PROTOCOLS

    def client_kwargs(self) -> dict[str, Any]:
        """The keyword arguments every aiokafka client (producer, consumer, admin) takes for this."""
        kwargs: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_tls:
            kwargs["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            assert self.password is not None  # __post_init__ refused a SASL protocol without one
            kwargs |= {"sasl_mechanism": self.sasl_mechanism, "sasl_plain_username": self.username,
                       "sasl_plain_password": self.password.get_secret_value()}
        return kwargs

    def ssl_context(self) -> ssl.SSLContext:
        """Verifies the broker's certificate and host name (aiokafka's helper does not let either go)."""
        key_password = self.key_password.get_secret_value() if self.key_password else None
        return create_ssl_context(cafile=self.ca_file, certfile=self.cert_file, keyfile=self.key_file,
                                  password=key_password)

    def describe(self) -> str:
        """For error messages: the protocol and who logs in, never a secret."""
        login = f" as {self.username!r} ({self.sasl_mechanism})" if self.uses_sasl else ""
        return f"{self.protocol}{login}"


def _contradiction(security: KafkaClientSecurity) -> str | None:
    """What is wrong with these settings together, in the environment's words; None: nothing."""
    if security.uses_sasl:
        return _sasl_contradiction(security)
    if security.sasl_mechanism or security.username or security.password:
        return (f"SCIMFLOW_KAFKA_SASL_* settings are given but SCIMFLOW_KAFKA_SECURITY_PROTOCOL is "
                f"{security.protocol}, which sends no login: use SASL_SSL (or SASL_PLAINTEXT), or remove them")
    return _tls_contradiction(security)


def _sasl_contradiction(security: KafkaClientSecurity) -> str | None:
    missing = [name for name, value in (("SCIMFLOW_KAFKA_SASL_MECHANISM", security.sasl_mechanism),
                                        ("SCIMFLOW_KAFKA_SASL_USERNAME", security.username),
                                        ("SCIMFLOW_KAFKA_SASL_PASSWORD", security.password)) if not value]
    if missing:
        return f"SCIMFLOW_KAFKA_SECURITY_PROTOCOL={security.protocol} needs {', '.join(missing)}"
    if security.sasl_mechanism == "PLAIN" and not security.uses_tls:
        return ("SCIMFLOW_KAFKA_SASL_MECHANISM=PLAIN over SASL_PLAINTEXT would send the Kafka password across "
                "the network in clear: use SASL_SSL, or a SCRAM mechanism")
    return _tls_contradiction(security)


def _tls_contradiction(security: KafkaClientSecurity) -> str | None:
    files = security.ca_file or security.cert_file or security.key_file or security.key_password
    if files and not security.uses_tls:
        return (f"SCIMFLOW_KAFKA_SSL_* settings are given but SCIMFLOW_KAFKA_SECURITY_PROTOCOL is "
                f"{security.protocol}, which does not use TLS: use SSL or SASL_SSL, or remove them")
    if (security.key_file or security.key_password) and not security.cert_file:
        return "SCIMFLOW_KAFKA_SSL_KEY_FILE (or its password) is given without SCIMFLOW_KAFKA_SSL_CERT_FILE"
    return None


PLAINTEXT = KafkaClientSecurity()


async def refusal_reason(bootstrap_servers: str, security: KafkaClientSecurity) -> str:
    """Why no broker of ``bootstrap_servers`` took a client with ``security``: each one's answer to a
    connection made as the client makes it (aiokafka logs this, but does not raise it)."""
    reasons = []
    for host, port, _ in collect_hosts(bootstrap_servers, randomize=False):
        try:
            async with asyncio.timeout(REFUSAL_PROBE_SECONDS):
                connection = await create_conn(host, port, client_id="scimflow-diagnosis",
                                               **security.client_kwargs())
        except (OSError, KafkaError, TimeoutError) as error:
            reasons.append(f"{host}:{port}: {error or type(error).__name__}")
        else:  # it answers now: the broker came back, or it was another broker's turn
            connection.close()
            reasons.append(f"{host}:{port}: answers now")
    return "; ".join(reasons)
