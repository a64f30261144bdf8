"""Process lifecycle shared by every worker service (``python -m services.<name>``).

Ensures topics, serves the service's command topic in its consumer group, and on SIGTERM/SIGINT
finishes and commits the commands it is handling before exiting, so a stop loses no work. Its ops
port (shared/ops/, if configured) opens first, so ``/livez`` answers while it joins its group.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from functools import partial

from contracts.topics import ALL_TOPICS, TopicSpec
from shared.logging import configure_logging
from shared.messaging.dispatch import Dispatcher
from shared.messaging.kafka import BrokerUnreachable, KafkaBus
from shared.messaging.ping import ServiceIdentity
from shared.messaging.transport import ConsumerWatch
from shared.messaging.worker import run_worker
from shared.ops.server import ops_server
from shared.ops.worker_checks import worker_readiness
from shared.settings import CommonSettings, StoreLocation
from shared.store.migrations import UnknownRevision
from shared.tracing import configure_tracing

log = logging.getLogger(__name__)

#: Net container allocations between two collections of the young generation (CPython's default: 700).
#: With requests in flight, a busy service's live objects alone crossed 700 ~25 times a second, every
#: 10th collection went on to the middle generation and every 100th was a full one (~50 ms in the user
#: store, stalling all it had in flight): ~5 % of the store's CPU. Commands leave no reference cycles
#: (tests/support/refcounting.py), so collecting less often leaves no more garbage; measured at 10 000,
#: ~14 collections in a run instead of ~1 000, none of them full, PATCH 7-24 % faster.
YOUNG_COLLECTION_THRESHOLD = 10_000

DispatcherFactory = Callable[[ServiceIdentity], AbstractAsyncContextManager[Dispatcher]]


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def serve(
    settings: CommonSettings, *, service: str, topics: Sequence[TopicSpec], dispatcher: DispatcherFactory,
    database: StoreLocation | None = None,
) -> None:
    """``database``: where the service keeps its state (the settings' ``store``), which its readiness asks."""
    watch = ConsumerWatch()
    async with ops_server(settings.ops_host, settings.ops_port, worker_readiness(watch, database)):
        await _serve(settings, service, topics, dispatcher, watch)


async def _serve(settings: CommonSettings, service: str, topics: Sequence[TopicSpec],
                 dispatcher: DispatcherFactory, watch: ConsumerWatch) -> None:
    identity = ServiceIdentity(service, settings.instance_id)
    bus = KafkaBus.configured(settings, client_id=identity.source,
                              group_instance_id=settings.instance_id)  # a restarted copy takes its place back at once
    await bus.ensure_topics(ALL_TOPICS)
    stop = asyncio.Event()
    stop_on_signals(stop)
    async with dispatcher(identity) as dispatch:
        names = [topic.name for topic in topics]
        log.info("serving", extra={"topics": names, "group": service})
        await run_worker(
            bus, topics=names, group_id=service, dispatch=dispatch, source=identity.source, stop=stop,
            watch=watch,
        )
    log.info("stopped")


def prepare_process(service: str, settings: CommonSettings) -> None:
    """What every process (the gateway and each service) sets up before its event loop runs."""
    configure_logging(service, settings.log_level)
    configure_tracing(service, settings.instance_id, settings.tracing_endpoint)
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])


def main(settings: CommonSettings, *, service: str, topics: Sequence[TopicSpec],
         dispatcher: DispatcherFactory, database: StoreLocation | None = None) -> None:
    prepare_process(service, settings)
    with asyncio.Runner(loop_factory=partial(new_event_loop, settings)) as runner:
        try:
            runner.run(serve(settings, service=service, topics=topics, dispatcher=dispatcher, database=database))
        # A refused login, a database a newer release migrated: a setup mistake to read, not a crash to trace.
        except (BrokerUnreachable, UnknownRevision) as error:
            sys.exit(f"scimflow: cannot start: {error}")


def new_event_loop(settings: CommonSettings) -> asyncio.AbstractEventLoop:
    """The process's event loop: uvloop unless asked for asyncio's (or uvloop is not installed)."""
    if settings.event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("uvloop is not installed; running on asyncio's event loop")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()
