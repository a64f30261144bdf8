"""The load client: a fixed number of concurrent workers over one keep-alive aiohttp session.

A phase is a list of tasks; a task is a tuple of calls one worker makes in order (most tasks are
one call; a group's add-then-remove is two, so they never race each other). ``concurrency``
workers take the next task as soon as they finish one, so exactly that many requests are in flight
until the list runs out (a closed-loop load, like an IdP's worker pool).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiohttp
import orjson
from yarl import URL

from bench.stats import Timings

Task = tuple["Call", ...]
OnBody = Callable[["Call", bytes], None]


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # already URL-encoded, with its query string
    body: bytes | None = None
    expect: int = 200
    tag: int | None = None  # lets a phase tie a response to what it asked (e.g. the nth user)

    @property
    def tagged(self) -> int:
        """The tag of a call a phase tagged (its callbacks see only those)."""
        if self.tag is None:
            raise ValueError(f"{self.method} {self.path} has no tag")
        return self.tag

    @classmethod
    def json(cls, method: str, path: str, body: object, expect: int = 200, tag: int | None = None) -> Call:
        return cls(method, path, orjson.dumps(body), expect, tag)


def session(concurrency: int, headers: dict[str, str]) -> aiohttp.ClientSession:
    """One session for the whole run: at most ``concurrency`` keep-alive connections per run."""
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, ttl_dns_cache=None)
    return aiohttp.ClientSession(connector=connector, headers=headers,
                                 timeout=aiohttp.ClientTimeout(total=60), skip_auto_headers=("User-Agent",))


async def drive(client: aiohttp.ClientSession, base_url: str, tasks: Sequence[Task], concurrency: int, *,
                on_body: OnBody | None = None, any_success: bool = False, max_seconds: float = 0) -> Timings:
    """Run every task, ``concurrency`` at a time; with ``max_seconds``, no task starts after that long.
    ``any_success``: any 2xx counts as expected (the do-nothing server answers 200 to everything).
    ``on_body`` gets the body of each expected answer."""
    timings = Timings()
    pending = iter(tasks)  # one shared iterator: a free worker takes the next task
    base = base_url.rstrip("/")
    started = time.perf_counter()
    deadline = started + max_seconds if max_seconds > 0 else math.inf

    async def worker() -> None:
        while time.perf_counter() < deadline and (task := next(pending, None)) is not None:
            for call in task:
                await _one(client, base, call, timings, on_body, any_success)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(tasks))))))
    timings.wall = time.perf_counter() - started
    return timings


async def _one(client: aiohttp.ClientSession, base: str, call: Call, timings: Timings,
               on_body: OnBody | None, any_success: bool) -> None:
    url = URL(base + call.path, encoded=True)
    started = time.perf_counter()
    try:
        async with client.request(call.method, url, data=call.body) as response:
            body = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as error:
        timings.latencies.append(time.perf_counter() - started)
        timings.fail(type(error).__name__, str(error))
        return
    timings.latencies.append(time.perf_counter() - started)
    if status == call.expect or (any_success and 200 <= status < 300):
        if on_body is not None:
            on_body(call, body)
    else:
        timings.fail(f"HTTP {status}", body.decode(errors="replace"))


def take_calls(tasks: Sequence[Task], limit: int) -> list[Task]:
    """The first tasks holding at most ``limit`` calls (at least one task)."""
    taken: list[Task] = []
    count = 0
    for task in tasks:
        if taken and count + len(task) > limit:
            break
        taken.append(task)
        count += len(task)
    return taken
