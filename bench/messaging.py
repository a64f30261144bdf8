"""The floor under every phase: a do-nothing request and reply through our messaging layer and the broker.

``python -m bench.messaging`` starts a broker (the one the tests would use: $KAFKA_BOOTSTRAP_SERVERS, a
testcontainers Kafka, or the local one from jars) and a worker process that answers ``Ping`` on a topic
of its own, exactly as a service answers a command (shared/messaging/worker.py), then asks it from this
process (shared/messaging/requester.py) at each concurrency: asks per second, latency, and the CPU per
ask of the asker, the worker and the broker. No HTTP, no database, no work: every SCIM call pays this
at least once per hop (a create twice: gateway -> user store -> seat allocator and back), on top of its
HTTP edge and its own work. bench/RESULTS.md uses it to say what the architecture can reach here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from bench.procstat import sample
from bench.report import format_table, number
from bench.stats import Timings
from contracts.system.v1 import Ping, Pong
from contracts.topics import TopicSpec
from shared.devtools.broker_choice import kafka_bootstrap
from shared.devtools.local_kafka import LocalKafka
from shared.messaging.dispatch import Dispatcher
from shared.messaging.kafka import KafkaBus
from shared.messaging.ping import ServiceIdentity, ping
from shared.messaging.requester import Requester, open_requester, unwrap
from shared.messaging.worker import run_worker
from shared.service import new_event_loop
from shared.settings import CommonSettings

PARTITIONS = 6  # as the command topics (contracts/topics.py)
KEYS = 64  # asks spread over this many keys, as commands over resources
WARM_UP_ASKS = 200


@dataclass(frozen=True)
class Floor:
    """One concurrency's result: what the asker saw, and the CPU seconds each process used meanwhile."""

    concurrency: int
    timings: Timings
    cpu_seconds: dict[str, float]

    def cpu_ms_per_ask(self, process: str) -> float:
        return self.cpu_seconds[process] / self.timings.ops * 1000 if self.timings.ops else float("nan")


def table(floors: Sequence[Floor], processes: Sequence[str]) -> str:
    header = ["C", "asks", "asks/s", "p50 ms", "p99 ms", "errors", *(f"{p} cpu ms/ask" for p in processes),
              "total cpu ms/ask"]
    rows = [[str(f.concurrency), str(f.timings.ops), number(f.timings.rate), number(f.timings.ms(50), 2),
             number(f.timings.ms(99), 2), str(f.timings.error_count),
             *(number(f.cpu_ms_per_ask(p), 3) for p in processes),
             number(sum(f.cpu_ms_per_ask(p) for p in processes), 3)] for f in floors]
    return format_table(header, rows)


async def ask_all(requester: Requester, topic: str, asks: int, concurrency: int) -> Timings:
    """``asks`` Pings, ``concurrency`` at a time, each waiting for its Pong; a failed ask counts as an error."""
    timings, next_ask = Timings(), iter(range(asks))

    async def asker() -> None:
        for index in next_ask:
            started = time.perf_counter()
            try:
                unwrap(await requester.ask(Ping(), topic=topic, key=f"k{index % KEYS}"), Pong)
            except Exception as error:  # noqa: BLE001 - counted and shown; the run goes on
                timings.fail(type(error).__name__, str(error))
                continue
            timings.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(asker() for _ in range(concurrency)))
    timings.wall = time.perf_counter() - started
    return timings


def cpu_of(pids: dict[str, int]) -> dict[str, float]:
    return {name: (s.cpu_seconds if (s := sample(pid)) is not None else float("nan")) for name, pid in pids.items()}


async def measure(servers: str, topic: str, asks: int, concurrencies: Sequence[int],
                  pids: dict[str, int]) -> list[Floor]:
    bus = KafkaBus(servers, client_id="bench-messaging")
    floors = []
    async with open_requester(bus, instance=f"bench-messaging-{uuid.uuid4().hex[:8]}", source="bench",
                              timeout=10.0) as requester:
        await ask_all(requester, topic, WARM_UP_ASKS, 4)  # the worker's group has its partitions by now
        for concurrency in concurrencies:
            before = cpu_of(pids)
            timings = await ask_all(requester, topic, asks, concurrency)
            after = cpu_of(pids)
            floors.append(Floor(concurrency, timings, {name: after[name] - before[name] for name in pids}))
    return floors


async def serve(servers: str, topic: str) -> None:
    """The worker process: answer Ping on ``topic`` until terminated."""
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # "coordinator not available" while the group forms
    bus = KafkaBus(servers, client_id="bench-messaging-worker")
    await bus.ensure_topics([TopicSpec(topic, PARTITIONS)])
    identity = ServiceIdentity("bench-messaging", "worker")
    deps = SimpleNamespace(identity=identity)  # all Ping's handler asks of a service's dependencies
    await run_worker(bus, topics=[topic], group_id=f"{topic}.worker", dispatch=Dispatcher({Ping: ping}, deps),
                     source=identity.source, stop=asyncio.Event())


@contextlib.contextmanager
def worker_process(servers: str, topic: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-m", "bench.messaging", "--serve", servers, topic])
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def run(asks: int, concurrencies: Sequence[int]) -> str:
    topic = f"bench.messaging.{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="scimflow-messaging-") as workdir, \
            kafka_bootstrap(Path(workdir) / "kafka") as servers:
        asyncio.run(KafkaBus(servers).ensure_topics([TopicSpec(topic, PARTITIONS)]))
        with worker_process(servers, topic) as worker:
            pids = {"asker": os.getpid(), "worker": worker.pid}
            broker = LocalKafka.from_pidfile(Path(workdir) / "kafka")
            if broker is not None and broker.pid is not None:  # a broker elsewhere: its CPU is not ours to see
                pids["broker"] = broker.pid
            with asyncio.Runner(loop_factory=lambda: new_event_loop(CommonSettings())) as runner:
                floors = runner.run(measure(servers, topic, asks, concurrencies, pids))
    return table(floors, list(pids))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.messaging", description=__doc__.split("\n\n")[0])
    parser.add_argument("--asks", type=int, default=5000, help="asks per concurrency (default %(default)s)")
    parser.add_argument("--concurrency", default="1,4,32", help="comma-separated (default %(default)s)")
    parser.add_argument("--serve", nargs=2, metavar=("SERVERS", "TOPIC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        with asyncio.Runner(loop_factory=lambda: new_event_loop(CommonSettings())) as runner:
            runner.run(serve(*args.serve))
        return
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    print(run(args.asks, concurrencies))


if __name__ == "__main__":
    main()
