"""Issue 25, done-when 2, on the real system: two copies of every service (two gateways, two of each worker),
each process in a data directory of its own (as on separate hosts: no shared file), all on one PostgreSQL
and the real broker. 2 000 SCIM creates sent at once, duplicates and IdP-like retries included, 120 of them
asking for a Sales seat of 100; one copy of every service killed (SIGKILL) in the middle and never restarted.
The other copies finish the work: every user stored exactly once, exactly 100 seated, the 20 others refused
with the reason, no seat step left unfinished, nothing on the hosts' disks but logs.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import aiohttp
import pytest

from shared.devtools.launcher import GATEWAY, WORKERS, System
from shared.devtools.local_postgres import fetch_rows
from tests.integration.test_seats_real import EXTENSION
from tests.support.seats import product_body

pytestmark = pytest.mark.integration

CREATES, WITH_SEAT, SEATS = 2_000, 120, 100
DUPLICATED_EVERY = 10  # every 10th user is also sent a second time, at once (an IdP's duplicate)
AT_ONCE = 40  # requests in flight, as an IdP's import with some parallelism
KILL_AFTER = 600  # answered creates before one copy of every service is killed


def body(index: int) -> dict:
    """The first WITH_SEAT users ask for one of the SEATS Sales seats, the others for a Chat seat (plenty)."""
    return {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION], "userName": f"u{index:04d}@acme.example",
            EXTENSION: {"products": ["Sales"] if index < WITH_SEAT else ["Chat"]}}


class Idp:
    """Creates users as Okta and Entra do: a 503 or a dropped connection is retried after a pause; a 409 on a
    create means an earlier try (or a duplicate) got through."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self._session, self._base, self._headers = session, base, {"Authorization": f"Bearer {token}"}
        self.answered = 0

    async def create(self, index: int) -> tuple[str, str]:
        """("created", "") | ("refused", the detail)."""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                async with self._session.post(f"{self._base}/Users", json=body(index), headers=self._headers) as response:
                    answer = await response.json(content_type=None)
                    if response.status in (201, 409):
                        self.answered += 1
                        return "created", ""
                    if response.status == 400:
                        self.answered += 1
                        return "refused", answer["detail"]
                    assert response.status == 503, (response.status, answer)
            except (TimeoutError, aiohttp.ClientConnectionError):
                pass  # the gateway that held the connection was killed: the IdP tries again
            await asyncio.sleep(0.5)
        raise TimeoutError(f"user {index} never provisioned")


async def create_all(idp: Idp, kill_one_copy_each) -> list[tuple[str, str]]:
    """Every create (and the duplicates), AT_ONCE at a time; one copy of each service killed midway."""
    limit, killed = asyncio.Semaphore(AT_ONCE), asyncio.Event()

    async def one(index: int) -> tuple[str, str]:
        async with limit:
            outcome = await idp.create(index)
        if idp.answered >= KILL_AFTER and not killed.is_set():
            killed.set()
            kill_one_copy_each()
        return outcome

    indexes = [*range(CREATES), *range(0, CREATES, DUPLICATED_EVERY)]
    outcomes = await asyncio.gather(*(one(index) for index in indexes))
    assert killed.is_set()
    return list(outcomes[:CREATES])  # each user's first sending (a duplicate ends the same way)


async def new_tenant(session: aiohttp.ClientSession, system: System, operator: dict) -> dict:
    async with session.post(f"{system.base_url}/admin/v1/tenants", json={"name": "acme"}, headers=operator) as response:
        assert response.status == 201, await response.text()
        tenant = await response.json()
    for product, seats in (("Sales", SEATS), ("Chat", CREATES)):
        async with session.post(f"{system.base_url}/admin/v1/tenants/{tenant['tenant_id']}/products",
                                json=product_body(product, seats), headers=operator) as response:
            assert response.status == 201, await response.text()
    return tenant


async def test_two_copies_of_every_service_on_postgres_survive_losing_one_of_each(postgres_url, make_system):
    """``postgres_url`` comes first: fixtures end in reverse, so its database is dropped after the system stopped."""
    operator_key = secrets.token_urlsafe(32)
    system = make_system(SCIMFLOW_DATABASE_URL=postgres_url, SCIMFLOW_OPERATOR_KEY=operator_key,
                         SCIMFLOW_KAFKA_SESSION_TIMEOUT_MS="6000", SCIMFLOW_REQUEST_TIMEOUT="10")
    system.separate_data_dirs = True
    system.start(timeout=120, replicas={service: 2 for service in (*WORKERS, GATEWAY)})

    def kill_one_copy_each() -> None:
        for service in (*WORKERS, GATEWAY):
            next(p for p in system.processes if p.service == service and p.alive()).kill()

    operator = {"Authorization": f"Bearer {operator_key}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        tenant = await new_tenant(session, system, operator)
        outcomes = await create_all(Idp(session, tenant["scim_base_url"], tenant["token"]), kill_one_copy_each)

    refused = [detail for outcome, detail in outcomes if outcome == "refused"]
    assert len(refused) == WITH_SEAT - SEATS and all("has no free seat" in detail for detail in refused), refused
    assert [outcome for outcome, _ in outcomes[WITH_SEAT:]] == ["created"] * (CREATES - WITH_SEAT)
    [(stored, names)] = await fetch_rows(postgres_url, "SELECT count(*), count(DISTINCT user_name_key) FROM "
                                                       "user_store.users")
    assert stored == names == CREATES - len(refused)  # every user once, none of the refused
    assert sorted(await fetch_rows(postgres_url, "SELECT name, used FROM seat_allocator.products")) == [
        ("Chat", CREATES - WITH_SEAT), ("Sales", SEATS)]
    assert await fetch_rows(postgres_url, "SELECT count(*) FROM seat_allocator.seats") == [(stored,)]
    seated = "SELECT count(*) FROM user_store.users WHERE user_name_key < 'u0120' AND platform_active"
    assert await fetch_rows(postgres_url, seated) == [(SEATS,)]  # the Sales users stored are the seated ones

    async def no_step_left() -> bool:  # the killed store's unfinished seat steps, finished by the other's sweeper
        return await fetch_rows(postgres_url, "SELECT count(*) FROM user_store.seat_intents") == [(0,)]
    await async_wait_until(no_step_left, timeout=90)
    assert not [path for path in system.data_dir.rglob("*") if path.is_file()]  # logs are kept elsewhere
    assert len(system.dead()) == len(WORKERS) + 1 and all(p.alive() for p in system.processes if p not in system.dead())


async def async_wait_until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "not within the deadline"
        await asyncio.sleep(1)
