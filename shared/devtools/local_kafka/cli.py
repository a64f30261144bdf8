"""The command line: start, stop or ask after the broker of a folder (its pidfile says which)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from shared.devtools.local_kafka import scram
from shared.devtools.local_kafka.broker import LocalKafka
from shared.devtools.local_kafka.jars import CACHE_DIR

DEFAULT_RUN_DIR = CACHE_DIR / "run"


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    workdir = Path(args.dir)
    if args.command == "start":
        return _cli_start(workdir, args.port, args.controller_port, args.sasl_port, args.timeout)
    if args.command == "stop":
        stopped = LocalKafka.stop_from_pidfile(workdir, args.timeout)
        print("stopped" if stopped else "not running")
        return 0
    return _cli_status(workdir)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m shared.devtools.local_kafka", description="Run a local Kafka broker from jars."
    )
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument("--dir", default=str(DEFAULT_RUN_DIR), help="broker folder (default: %(default)s)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("KAFKA_PORT", "9092")),
                        help="client port (default: $KAFKA_PORT or 9092)")
    parser.add_argument("--controller-port", type=int, default=None, help="controller port (default: port+1)")
    parser.add_argument("--sasl-port", type=int, default=None, help="SASL/SCRAM client port (default: port+2)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for start/stop")
    return parser.parse_args(argv)


def _cli_start(workdir: Path, port: int, controller_port: int | None, sasl_port: int | None, timeout: float) -> int:
    broker = LocalKafka(workdir, port, controller_port if controller_port is not None else port + 1,
                        sasl_port if sasl_port is not None else port + 2)
    try:
        broker.start(timeout)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(broker.bootstrap_servers)
    return 0


def _cli_status(workdir: Path) -> int:
    broker = LocalKafka.from_pidfile(workdir)
    if broker is None or not broker.is_running():
        print("stopped")
        return 1
    if not broker.answers():
        print(f"running (pid {broker.pid}) but not answering on {broker.bootstrap_servers}")
        return 1
    print(f"running (pid {broker.pid}) on {broker.bootstrap_servers}")
    if broker.sasl_bootstrap_servers:
        print(f"SASL/SCRAM on {broker.sasl_bootstrap_servers} (login in {workdir / scram.CREDENTIALS_FILE})")
    return 0
