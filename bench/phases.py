"""The measured phases, each a list of real IdP requests (bodies from tests/idp_flows/bodies.py).

A phase function gets the shared ``World`` (who exists so far) and a ``Runner`` for unmeasured
set-up calls, and returns the ``Plan`` to measure. Phases run in the order of ``PHASES``; each one
after ``create`` works on the users ``create`` made.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote, urlencode

import orjson

from bench.client import Call, OnBody, Task
from bench.stats import Timings
from tests.idp_flows.bodies import (
    entra_group,
    eq,
    members,
    okta_user,
    op,
    patch,
    replacement,
)

USERS = "/scim/v2/Users"
GROUPS = "/scim/v2/Groups"
PAGE = 100  # Okta's import page and look-up count
GROUP_SIZE = 100  # members added (then removed) by one group PATCH
FAMILIES = 50  # distinct familyName values: "list with filter" matches about N/50 users
LIST_PAGE = 20


@dataclass
class World:
    run_id: str
    user_names: list[str] = field(default_factory=list)
    user_ids: dict[int, str] = field(default_factory=dict)  # index in user_names -> id, once created

    def user_name(self, index: int) -> str:
        return f"bench.{self.run_id}.{index}@example.com"

    def created(self) -> list[tuple[int, str]]:
        return sorted(self.user_ids.items())


@dataclass(frozen=True)
class Plan:
    tasks: Sequence[Task]
    concurrency: int
    on_body: OnBody | None = None
    note: Callable[[Timings], str] | None = None  # from what the phase measured, an extra line of results


class Runner(Protocol):
    @property
    def users(self) -> int: ...

    @property
    def concurrency(self) -> int: ...

    @property
    def group_rounds(self) -> int: ...

    async def unmeasured(self, tasks: Sequence[Task], on_body: OnBody | None = None) -> None: ...


PhaseFunction = Callable[[World, Runner], Awaitable[Plan]]


def query(path: str, **params: object) -> str:
    return f"{path}?{urlencode(params, quote_via=quote)}"


def family(index: int) -> str:
    return f"Fam{index % FAMILIES}"


def user_body(world: World, index: int, given: str = "Jane") -> dict:
    return okta_user(world.user_name(index), given=given, family=family(index))


def create_users(world: World, count: int) -> tuple[list[Task], OnBody]:
    """POST /Users of ``count`` new users (Okta's body); the returned callback records their ids."""
    first = len(world.user_names)
    world.user_names.extend(world.user_name(i) for i in range(first, first + count))
    tasks: list[Task] = [(Call.json("POST", USERS, user_body(world, i), expect=201, tag=i),)
                         for i in range(first, first + count)]

    def record_id(call: Call, body: bytes) -> None:
        world.user_ids[call.tagged] = orjson.loads(body)["id"]

    return tasks, record_id


async def create(world: World, runner: Runner) -> Plan:
    tasks, record_id = create_users(world, runner.users)
    return Plan(tasks, runner.concurrency, record_id)


async def lookup(world: World, runner: Runner) -> Plan:
    """Okta's look-up before every create: ``filter=userName eq "…"&startIndex=1&count=100``."""
    tasks = [(Call("GET", query(USERS, filter=eq("userName", world.user_names[i]), startIndex=1, count=PAGE)),)
             for i, _ in world.created()]
    return Plan(tasks, runner.concurrency)


async def get(world: World, runner: Runner) -> Plan:
    return Plan([(Call("GET", f"{USERS}/{user_id}"),) for _, user_id in world.created()], runner.concurrency)


async def deactivate(world: World, runner: Runner) -> Plan:
    """Okta (OIN apps) deactivates with a path-less replace: ``{"op":"replace","value":{"active":false}}``."""
    body = patch(op("replace", value={"active": False}))
    return Plan([(Call.json("PATCH", f"{USERS}/{user_id}", body),) for _, user_id in world.created()],
                runner.concurrency)


async def put(world: World, runner: Runner) -> Plan:
    """Okta's profile push: the whole user back, with a changed name, re-activated."""
    tasks = [(Call.json("PUT", f"{USERS}/{user_id}",
                        replacement(user_body(world, i, given="Janet"), id=user_id, active=True)),)
             for i, user_id in world.created()]
    return Plan(tasks, runner.concurrency)


async def import_pages(world: World, runner: Runner) -> Plan:
    """Okta's import: one client walks ``GET /Users?startIndex=…&count=100`` page after page, so this
    phase runs at concurrency 1, whole walks repeated until at least 20 pages were read."""
    pages = max(1, math.ceil(len(world.user_ids) / PAGE))
    walk = tuple(Call("GET", query(USERS, startIndex=1 + p * PAGE, count=PAGE)) for p in range(pages))
    walks = max(1, math.ceil(20 / pages))

    def note(timings: Timings) -> str:
        walk = timings.wall / timings.ops * pages if timings.ops else math.nan
        return f"one import walk of {len(world.user_ids)} users ({pages} pages of {PAGE}): {walk:.2f} s"

    return Plan([walk] * walks, 1, note=note)


async def group_patch(world: World, runner: Runner) -> Plan:
    """Entra's membership PATCH: ``{"op":"Add","path":"members","value":[100 members]}`` then the same
    ``Remove``, on ``concurrency`` groups (set up unmeasured), ``group_rounds`` times each."""
    group_count = runner.concurrency
    group_ids: dict[int, str] = {}
    setup = [(Call.json("POST", GROUPS, entra_group(f"bench-{world.run_id}-{g}"), expect=201, tag=g),)
             for g in range(group_count)]
    await runner.unmeasured(setup, lambda call, body: group_ids.__setitem__(call.tagged, orjson.loads(body)["id"]))
    ids = [user_id for _, user_id in world.created()]
    tasks = []
    for g, group_id in sorted(group_ids.items()):
        chosen = list(itertools.islice(itertools.cycle(ids), g * GROUP_SIZE, (g + 1) * GROUP_SIZE)) if ids else []
        value = members(*dict.fromkeys(chosen))
        add = Call.json("PATCH", f"{GROUPS}/{group_id}", patch(op("Add", "members", value)), expect=204)
        remove = Call.json("PATCH", f"{GROUPS}/{group_id}", patch(op("Remove", "members", value)), expect=204)
        tasks.append((add, remove) * runner.group_rounds)
    return Plan(tasks, runner.concurrency)


async def list_filtered(world: World, runner: Runner) -> Plan:
    """``GET /Users?filter=name.familyName eq "…"&count=20``: a filter on a JSON attribute (no column),
    matching about N/50 users, one request per 10 users."""
    count = max(1, len(world.user_ids) // 10)
    tasks = [(Call("GET", query(USERS, filter=eq("name.familyName", family(i)), startIndex=1, count=LIST_PAGE)),)
             for i in range(count)]
    return Plan(tasks, runner.concurrency)


#: name -> (what it measures, how).
PHASES: dict[str, tuple[str, PhaseFunction]] = {
    "create": ("POST /Users (Okta body)", create),
    "lookup": ('GET /Users?filter=userName eq "…"', lookup),
    "get": ("GET /Users/{id}", get),
    "patch": ("PATCH /Users/{id} active=false", deactivate),
    "put": ("PUT /Users/{id} (whole user)", put),
    "import": ("GET /Users?startIndex&count=100 walk", import_pages),
    "group_patch": ("PATCH /Groups/{id} ±100 members", group_patch),
    "list": ('GET /Users?filter=name.familyName eq "…"', list_filtered),
}
