"""Issue 26, metrics and health, on the real processes and broker: each process's ops port (the launcher
gives every one its own) serves /metrics that count what was done; the gateway's /readyz names the service
group that stopped answering, and ``scimflow status`` (shared/messaging/group_status.py) what waits for it,
until it is back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from contracts.users.v1 import CreateUser, GetUser
from shared.devtools.launcher import System
from tests.integration.conftest import create_tenant, wait_until

pytestmark = pytest.mark.integration
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
CREATES = 6
#: A sample: its name and its labels.
Sample = tuple[str, frozenset[tuple[str, str]]]


def http(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/scim+json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def families(ops_url: str) -> list[Metric]:
    """The process's /metrics, parsed as Prometheus parses the text format."""
    status, text = http("GET", f"{ops_url}/metrics")
    assert status == 200
    return list(text_string_to_metric_families(text.decode()))


def scrape(ops_url: str) -> dict[Sample, float]:
    """Every sample of the process's /metrics."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in families(ops_url) for sample in family.samples}


def grown(before: dict[Sample, float], after: dict[Sample, float], name: str, **labels: str) -> float:
    """How much the samples named ``name`` with ``labels`` (and any others) grew between two scrapes."""
    wanted = set(labels.items())
    return sum(value - before.get(key, 0.0) for key, value in after.items() if key[0] == name and wanted <= key[1])


def the(system: System, service: str):
    [process] = [p for p in system.processes if p.service == service and p.alive()]
    return process


def user(user_name: str) -> dict:
    return {"schemas": [USER_SCHEMA], "userName": user_name, "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": user_name, "type": "work", "primary": True}], "active": True}


def test_metrics_of_the_gateway_and_the_user_store_count_what_was_done(running_system):
    """Done-when 1 (part): N creates, their reads and one 404, counted by route and by command, 0 errors."""
    tenant = create_tenant(running_system, f"metrics-{uuid.uuid4().hex[:6]}")
    base, token = tenant["scim_base_url"], tenant["token"]
    gateway, store = the(running_system, "gateway"), the(running_system, "user_store")
    gateway_before, store_before = scrape(gateway.ops_url), scrape(store.ops_url)
    ids = []
    for i in range(CREATES):
        status, body = http("POST", f"{base}/Users", user(f"m{i}@metrics.test"), token)
        assert status == 201, body
        ids.append(json.loads(body)["id"])
    for user_id in ids:
        assert http("GET", f"{base}/Users/{user_id}", token=token)[0] == 200
    assert http("GET", f"{base}/Users/{uuid.uuid4()}", token=token)[0] == 404
    gateway_after, store_after = scrape(gateway.ops_url), scrape(store.ops_url)

    requests = "scimflow_http_requests_total"
    assert grown(gateway_before, gateway_after, requests, route="/scim/v2/users", method="POST") == CREATES
    assert grown(gateway_before, gateway_after, requests, route="/scim/v2/users", method="POST", status="201") == CREATES
    assert grown(gateway_before, gateway_after, requests, route="/scim/v2/users/{id}", status="200") == CREATES
    assert grown(gateway_before, gateway_after, requests, route="/scim/v2/users/{id}", status="404") == 1
    assert not [key for key, value in gateway_after.items()
                if key[0] == requests and dict(key[1])["status"].startswith("5") and value > gateway_before.get(key, 0)]
    assert grown(gateway_before, gateway_after, "scimflow_http_request_duration_seconds_count",
                 route="/scim/v2/users", method="POST") == CREATES
    assert grown(gateway_before, gateway_after, "scimflow_request_timeouts_total") == 0
    assert gateway_after[("scimflow_requests_awaiting_reply", frozenset({("message_type", CreateUser.TYPE)}))] == 0

    served = "scimflow_commands_served_total"
    assert grown(store_before, store_after, served, message_type=CreateUser.TYPE) == CREATES
    assert grown(store_before, store_after, served, message_type=CreateUser.TYPE, outcome="ok") == CREATES
    assert grown(store_before, store_after, served, message_type=GetUser.TYPE, outcome="ok") == CREATES
    assert grown(store_before, store_after, served, message_type=GetUser.TYPE, outcome="notFound") == 1
    assert grown(store_before, store_after, "scimflow_command_handling_seconds_count",
                 message_type=CreateUser.TYPE) == CREATES
    transactions = "scimflow_db_transaction_seconds_count"
    assert grown(store_before, store_after, transactions, database="users", outcome="commit") >= 1  # grouped: <= N
    assert grown(store_before, store_after, transactions, database="users", outcome="rollback") == 0
    for process in running_system.processes:  # every other one's parses too, and counts what it serves
        if process.ops_port and process not in (gateway, store):
            assert "scimflow_commands_served" in {family.name for family in families(process.ops_url)}, process.service


def ready_answer(url: str) -> tuple[int, dict]:
    """The /readyz answer; (0, {}) while nothing listens (a process just started)."""
    try:
        status, body = http("GET", f"{url}/readyz")
    except (urllib.error.URLError, ConnectionError):
        return 0, {}
    return status, json.loads(body)


def test_a_stopped_user_store_shows_in_readyz_and_in_scimflow_status_until_it_is_back(make_system):
    """Done-when 3: every process ready; the store stopped, the gateway's /readyz is 503 naming it (its Ping
    unanswered within the deadline) and ``scimflow status`` shows its group empty, the creates sent meanwhile
    waiting for it and no answer to a Ping; started again, /readyz 200 and its copy back with nothing
    waiting. A system of its own: it stops a service."""
    system = make_system()
    system.start()
    tenant = create_tenant(system)
    for process in system.processes:
        wait_until(lambda process=process: ready_answer(process.ops_url)[0] == 200, timeout=60)
    wait_until(lambda: ready_answer(system.base_url) == (200, {"status": "ready"}), timeout=60)
    store = the(system, "user_store")
    copy = f"user_store/{system.instance_prefix}{store.instance_id}"
    assert f"user_store: Stable, 1 copy, lag 0, a Ping answered by {copy} in " in scimflow_status(system)

    assert store.terminate() == 0
    wait_until(lambda: (answer := ready_answer(system.base_url))[0] == 503 and "user_store" in answer[1]["missing"],
               timeout=60)
    assert ready_answer(the(system, "gateway").ops_url)[0] == 503  # the ops port says the same
    assert http("GET", f"{system.base_url}/livez")[0] == 200  # the gateway itself lives on
    for _ in range(3):  # each waits for the store until its deadline: 503, the command left on the topic
        assert http("POST", f"{tenant['scim_base_url']}/Users", user(f"away-{uuid.uuid4().hex[:8]}@acme.test"),
                    tenant["token"])[0] == 503
    away = wait_until(lambda: status_showing(system, "user_store: Empty, 0 copies, lag "), timeout=60)
    # the 3 creates, and the Pings of /readyz and of status itself, wait on the store's topic
    assert int(re.search(r"user_store: Empty, 0 copies, lag (\d+), no answer to a Ping\n", away)[1]) >= 3, away

    back = system.start_service("user_store", store.instance_id)
    wait_until(lambda: ready_answer(back.ops_url)[0] == 200, timeout=60)
    wait_until(lambda: ready_answer(system.base_url) == (200, {"status": "ready"}), timeout=60)
    shown = wait_until(lambda: status_showing(system, "user_store: Stable, 1 copy, lag 0,"), timeout=60)
    assert f"  {copy} (127.0.0.1): 12 partitions\n" in shown  # users.commands and groups.commands, 6 each


def scimflow_status(system: System) -> str:
    """What the operator's ``scimflow status`` prints for this system's broker."""
    done = subprocess.run([Path(sys.executable).with_name("scimflow"), "status"], capture_output=True, text=True,
                          env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": system.bootstrap_servers}, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def status_showing(system: System, text: str) -> str | None:
    """``scimflow status``'s output once it shows ``text``."""
    return shown if text in (shown := scimflow_status(system)) else None


def test_status_without_a_broker_says_so_and_fails():
    done = subprocess.run([Path(sys.executable).with_name("scimflow"), "status"], capture_output=True, text=True,
                          env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}, timeout=60, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "scimflow: cannot read the groups on 127.0.0.1:1: KafkaConnectionError" in done.stderr
