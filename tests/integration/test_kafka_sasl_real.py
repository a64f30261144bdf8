"""Issue 26, Kafka security on the real broker: the project's local broker has a SASL_PLAINTEXT/SCRAM
listener (shared/devtools/local_kafka/scram.py) and the systems the integration tests start talk to it
over that listener only, so every integration test runs the services logged in (done-when 4). Here: that
they do, that both SCRAM mechanisms carry the bus, and that a wrong password ends a client at once with the
broker's reason, a service process in one clear line (no hang, no traceback, no stream of retries).

On a broker given by $KAFKA_BOOTSTRAP_SERVERS (or a container) there is no listener of ours: these skip,
saying so."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr

from contracts.topics import TopicSpec
from shared.devtools.broker_choice import BrokerAccess
from shared.devtools.launcher import System
from shared.messaging.kafka import BrokerUnreachable, KafkaBus
from shared.messaging.security import KafkaClientSecurity
from tests.integration.conftest import exit_of, new_system

pytestmark = pytest.mark.integration

WRONG_PASSWORD = "not-the-password-" + uuid.uuid4().hex[:8]
#: What a refused service may write: its one line, and aiokafka's own about the connection it lost.
MAX_LINES_OF_A_REFUSED_START = 5


def scram_listener(broker: BrokerAccess) -> tuple[str, KafkaClientSecurity]:
    """The SCRAM listener's address and the security the systems' services use on it."""
    env = broker.services_env
    if "SCIMFLOW_KAFKA_SASL_PASSWORD" not in env:
        pytest.skip("the broker is not the project's local one: no SCRAM listener to test")
    return env["KAFKA_BOOTSTRAP_SERVERS"], KafkaClientSecurity(
        "SASL_PLAINTEXT", env["SCIMFLOW_KAFKA_SASL_MECHANISM"], env["SCIMFLOW_KAFKA_SASL_USERNAME"],
        SecretStr(env["SCIMFLOW_KAFKA_SASL_PASSWORD"]))


def port_of(servers: str) -> int:
    return int(servers.rsplit(":", 1)[1])


def connected_ports(pid: int, ports: set[int]) -> set[int]:
    """Which of ``ports`` the process holds established TCP connections to (read from /proc: its socket
    inodes, matched in its network namespace's TCP tables)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    inodes = set()
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            remote_port, established, inode = int(fields[2].rsplit(":", 1)[1], 16), fields[3] == "01", fields[9]
            if established and inode in inodes and remote_port in ports:
                found.add(remote_port)
    return found


def test_every_service_of_a_test_system_talks_to_the_broker_over_scram_only(running_system: System,
                                                                          kafka_broker: BrokerAccess):
    sasl_servers, _ = scram_listener(kafka_broker)
    sasl, plain = port_of(sasl_servers), port_of(kafka_broker.bootstrap_servers)
    assert running_system.kafka_env["SCIMFLOW_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    ports = {process.instance_id: connected_ports(process.popen.pid, {sasl, plain})
             for process in running_system.processes}
    assert ports and all(used == {sasl} for used in ports.values()), ports


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_the_bus_carries_records_over_either_scram_mechanism(kafka_broker: BrokerAccess, mechanism: str):
    servers, security = scram_listener(kafka_broker)
    bus = KafkaBus(servers, client_id="scram-test", security=replace(security, sasl_mechanism=mechanism))
    topic = f"scram-test-{uuid.uuid4().hex[:8]}"
    await bus.ensure_topics([TopicSpec(topic, 1)])
    async with bus.reader(topic, from_beginning=True) as reader, bus.publisher() as publisher:
        await publisher.send(topic, mechanism.encode(), key="k", headers=[])
        received = []
        while not received:
            received = await reader.fetch(timeout_ms=1000)
    assert [record.value for record in received] == [mechanism.encode()]


async def test_a_client_with_a_wrong_password_is_refused_at_once_with_the_brokers_reason(kafka_broker: BrokerAccess):
    servers, security = scram_listener(kafka_broker)
    bus = KafkaBus(servers, client_id="wrong-password", security=replace(security, password=SecretStr(WRONG_PASSWORD)))
    with pytest.raises(BrokerUnreachable) as refused:
        await bus.ensure_topics([TopicSpec("never-made", 1)])
    message = str(refused.value)
    assert f"cannot connect to Kafka at {servers} over SASL_PLAINTEXT as 'scimflow'" in message
    assert "SaslAuthenticationFailed" in message and "invalid credentials" in message
    assert WRONG_PASSWORD not in message
    with pytest.raises(BrokerUnreachable, match="invalid credentials"):  # every kind of client, not only the admin
        async with bus.publisher():
            pass
    with pytest.raises(BrokerUnreachable, match="invalid credentials"):
        async with bus.group_consumer(["never-made"], "wrong-password"):
            pass


@pytest.mark.parametrize("service", ["user_store", "gateway"])
def test_a_service_with_a_wrong_password_exits_saying_why_in_a_few_lines(kafka_broker: BrokerAccess, tmp_path,
                                                                       service: str):
    scram_listener(kafka_broker)
    wrong = BrokerAccess(kafka_broker.bootstrap_servers,
                         {**kafka_broker.services_env, "SCIMFLOW_KAFKA_SASL_PASSWORD": WRONG_PASSWORD})
    system = new_system(wrong, tmp_path)
    status, log = exit_of(system, service)
    assert status == 1, log
    assert "scimflow: cannot start: cannot connect to Kafka" in log and "invalid credentials" in log, log
    assert "Traceback" not in log and WRONG_PASSWORD not in log, log
    assert len(log.splitlines()) <= MAX_LINES_OF_A_REFUSED_START, log
