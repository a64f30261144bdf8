"""The gateway's ``/livez`` and ``/readyz`` (on its public port, like ``/healthz``, and on its ops port), and
its ops port (``/metrics``: shared/ops/server.py).

Ready: the broker answers and every service group answers a Ping within ``readiness_timeout``; a 503
names what is missing (``broker``, ``user_store``, ...). A probe's answer is shared by the calls that come
while it runs and reused for a second: /readyz is unauthenticated on the public port, and each probe
publishes a Ping per service, which a flood of calls must not turn into a flood of commands.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from functools import partial

from aiohttp import web

from contracts.system.v1 import Ping, Pong
from contracts.topics import SERVICE_COMMANDS, TopicSpec
from services.gateway import keys
from shared.log_limits import MAY_FLOOD
from shared.messaging.requester import Requester, unwrap
from shared.messaging.transport import Bus
from shared.ops.server import READINESS, Readiness, start_ops_server, stop_ops_server

log = logging.getLogger(__name__)

#: Each service group and a topic it serves: a Ping there reaches one of its copies.
SERVICE_GROUPS: dict[str, TopicSpec] = {group: topics[0] for group, topics in SERVICE_COMMANDS.items()}
BROKER = "broker"
#: The gateway's own Kafka lifecycle (messaging.py) has not started, or has stopped.
MESSAGING = "messaging"
#: How long a probe's answer is reused.
FRESH_SECONDS = 1.0
#: The Pings' key: one partition of each topic, so a probe is one record a topic, not one a partition.
PING_KEY = "readyz"


class SharedProbe:
    """A readiness probe run at most once at a time, its answer reused for ``fresh_for`` seconds."""

    def __init__(self, probe: Readiness, fresh_for: float = FRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._probe, self._fresh_for, self._clock = probe, fresh_for, clock
        self._answer: tuple[float, list[str]] | None = None
        self._running: asyncio.Future[list[str]] | None = None

    async def __call__(self) -> list[str]:
        if self._answer is not None and self._clock() - self._answer[0] < self._fresh_for:
            return self._answer[1]
        if self._running is None:
            self._running = asyncio.ensure_future(self._run())
        return list(await asyncio.shield(self._running))  # a caller that goes away leaves it to the others

    async def _run(self) -> list[str]:
        try:
            missing = await self._probe()
            self._answer = (self._clock(), missing)
            return missing
        finally:
            self._running = None


async def missing_for_ready(app: web.Application) -> list[str]:
    if not app[keys.READY].get("messaging"):
        return [MESSAGING]
    deadline, requester = app[keys.SETTINGS].readiness_timeout, app[keys.REQUESTER]
    names = [BROKER, *SERVICE_GROUPS]
    answered = await asyncio.gather(
        broker_answers(app[keys.BUS], deadline),
        *(service_answers(requester, topic, deadline) for topic in SERVICE_GROUPS.values()))
    return [name for name, ok in zip(names, answered, strict=True) if not ok]


async def broker_answers(bus: Bus, deadline: float) -> bool:
    """A metadata round trip: ensuring no topic asks the broker for its topics and creates none."""
    try:
        async with asyncio.timeout(deadline):
            await bus.ensure_topics([])
    except Exception as error:  # noqa: BLE001 - whatever the client raises, the broker did not answer
        log.info("readiness: broker did not answer", extra={"error": repr(error), MAY_FLOOD: True})
        return False
    return True


async def service_answers(requester: Requester, topic: TopicSpec, deadline: float) -> bool:
    try:
        unwrap(await requester.ask(Ping(), topic=topic.name, key=PING_KEY, timeout=deadline), Pong)
    except Exception as error:  # noqa: BLE001 - a timeout, an error reply, a failed send: no answer
        log.info("readiness: no Pong", extra={"topic": topic.name, "error": repr(error), MAY_FLOOD: True})
        return False
    return True


def install(app: web.Application) -> None:
    """The app's readiness probe, and its ops port's lifecycle (before messaging, so /livez answers at once)."""
    probe: Readiness = SharedProbe(partial(missing_for_ready, app))
    app[READINESS] = probe
    app.cleanup_ctx.append(ops_ctx)


async def ops_ctx(app: web.Application) -> AsyncIterator[None]:
    """One generator, no ``async with`` of another inside: when a later context fails the start (a refused
    Kafka login), aiohttp leaves this one to the loop's shutdown, which closed the nested one twice at once
    (a RuntimeError and its traceback in the log)."""
    settings = app[keys.SETTINGS]
    runner = await start_ops_server(settings.ops_host, settings.ops_port, app[READINESS])
    try:
        yield
    finally:
        await stop_ops_server(runner)
