"""The Kafka clients' security (shared/messaging/security.py): which settings go together, and the aiokafka
keyword arguments they become, TLS proven by real handshakes against a throwaway CA (tests/support/tls.py)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from contracts.topics import TopicSpec
from shared.devtools.local_kafka import free_port
from shared.messaging.kafka import BrokerUnreachable, KafkaBus
from shared.messaging.security import PLAINTEXT, KafkaClientSecurity
from tests.support.tls import Issued, issue, new_ca

HOST = "127.0.0.1"
SECRET = "s3cret-never-shown"


def scram(protocol: str = "SASL_PLAINTEXT", **more) -> KafkaClientSecurity:
    return KafkaClientSecurity(protocol, "SCRAM-SHA-512", "user_store", SecretStr(SECRET), **more)


def test_plaintext_adds_nothing_but_the_protocol():
    assert PLAINTEXT.client_kwargs() == {"security_protocol": "PLAINTEXT"}


def test_scram_over_sasl_plaintext_gives_the_login_and_no_tls():
    assert scram().client_kwargs() == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "user_store", "sasl_plain_password": SECRET,
    }


def test_sasl_ssl_gives_the_login_and_a_context_that_verifies_the_broker(tmp_path):
    ca = new_ca(tmp_path)
    kwargs = scram("SASL_SSL", ca_file=ca.cert).client_kwargs()
    context = kwargs.pop("ssl_context")
    assert kwargs["security_protocol"] == "SASL_SSL" and kwargs["sasl_plain_password"] == SECRET
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    subjects = [dict(part[0] for part in cert["subject"]) for cert in context.get_ca_certs()]
    assert {"commonName": "scimflow test CA"} in subjects


def test_secrets_stay_out_of_reprs_and_messages():
    security = scram("SASL_SSL", key_password=SecretStr("key-" + SECRET), cert_file=Path("c.pem"))
    assert SECRET not in repr(security) and SECRET not in security.describe()
    assert security.describe() == "SASL_SSL as 'user_store' (SCRAM-SHA-512)"


@pytest.mark.parametrize(("settings", "refusal"), [
    ({"protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-256", "username": "u"}, "needs SCIMFLOW_KAFKA_SASL_PASSWORD"),
    ({"protocol": "SASL_PLAINTEXT", "username": "u", "password": SecretStr("p")}, "needs SCIMFLOW_KAFKA_SASL_MECHANISM"),
    ({"protocol": "SASL_SSL"}, "needs SCIMFLOW_KAFKA_SASL_MECHANISM, SCIMFLOW_KAFKA_SASL_USERNAME, "
                               "SCIMFLOW_KAFKA_SASL_PASSWORD"),
    ({"sasl_mechanism": "SCRAM-SHA-512"}, "PLAINTEXT, which sends no login"),
    ({"protocol": "SSL", "username": "u", "password": SecretStr("p")}, "SSL, which sends no login"),
    ({"protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN", "username": "u", "password": SecretStr("p")},
     "in clear"),
    ({"ca_file": Path("ca.pem")}, "PLAINTEXT, which does not use TLS"),
    ({"protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256", "username": "u", "password": SecretStr("p"),
      "cert_file": Path("c.pem")}, "SASL_PLAINTEXT, which does not use TLS"),
    ({"protocol": "SSL", "key_file": Path("k.pem")}, "without SCIMFLOW_KAFKA_SSL_CERT_FILE"),
])
def test_settings_that_cannot_work_together_are_refused(settings, refusal):
    with pytest.raises(ValueError, match=refusal):
        KafkaClientSecurity(**settings)


@pytest.mark.parametrize("settings", [
    {"protocol": "SSL"},  # the system's CAs
    {"protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "username": "u", "password": SecretStr("p")},
    {"protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256", "username": "u", "password": SecretStr("p")},
    {"protocol": "SSL", "ca_file": Path("ca.pem"), "cert_file": Path("c.pem"), "key_file": Path("k.pem")},
])
def test_settings_that_work_together_are_taken(settings):
    assert KafkaClientSecurity(**settings).protocol == settings["protocol"]


@asynccontextmanager
async def tls_server(server: Issued, client_ca: Path | None = None) -> AsyncIterator[int]:
    """A TLS server on 127.0.0.1 that answers each connection with its client certificate's CN (or "-");
    with ``client_ca`` it requires a client certificate signed by that CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server.cert, server.key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peercert") or {}
        writer.write(dict(part[0] for part in peer.get("subject", ())).get("commonName", "-").encode() + b"\n")
        await writer.drain()
        writer.close()

    listening = await asyncio.start_server(answer, HOST, 0, ssl=context)
    async with listening:
        yield listening.sockets[0].getsockname()[1]


async def who_am_i(port: int, security: KafkaClientSecurity) -> str:
    reader, writer = await asyncio.open_connection(HOST, port, ssl=security.ssl_context(), server_hostname=HOST)
    try:
        return (await reader.readline()).decode().strip()
    finally:
        writer.close()


async def test_the_context_trusts_a_broker_signed_by_the_configured_ca_and_no_other(tmp_path):
    ca, stranger = new_ca(tmp_path / "ca"), new_ca(tmp_path / "stranger", "some other CA")
    broker = issue(ca, tmp_path / "ca", "broker", ip=HOST)
    async with tls_server(broker) as port:
        assert await who_am_i(port, KafkaClientSecurity("SSL", ca_file=ca.cert)) == "-"
        with pytest.raises(ssl.SSLCertVerificationError):
            await who_am_i(port, KafkaClientSecurity("SSL", ca_file=stranger.cert))


async def test_a_client_certificate_is_presented_for_mutual_tls(tmp_path):
    ca = new_ca(tmp_path)
    broker, client = issue(ca, tmp_path, "broker", ip=HOST), issue(ca, tmp_path, "user_store")
    async with tls_server(broker, client_ca=ca.cert) as port:
        security = KafkaClientSecurity("SSL", ca_file=ca.cert, cert_file=client.cert, key_file=client.key)
        assert await who_am_i(port, security) == "user_store"


async def test_a_broker_that_is_not_there_is_named_with_the_reason():
    """aiokafka says only that it could not bootstrap; the bus says where, how, and what each broker answered."""
    port = free_port()
    bus = KafkaBus(f"{HOST}:{port}", security=scram())
    with pytest.raises(BrokerUnreachable) as refused:
        await bus.ensure_topics([TopicSpec("never-made", 1)])
    message = str(refused.value)
    assert message.startswith(f"cannot connect to Kafka at {HOST}:{port} over SASL_PLAINTEXT as 'user_store'")
    assert f"{HOST}:{port}: " in message and "onnect" in message and SECRET not in message
