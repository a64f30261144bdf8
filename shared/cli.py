"""``scimflow``: run the whole system locally, and administer it over its own HTTP API."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from shared.operator_key import operator_key

DEFAULT_URL = "http://127.0.0.1:8080"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scimflow", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start Kafka (unless KAFKA_BOOTSTRAP_SERVERS) and every service")
    run.set_defaults(func=run_system)

    tenant = commands.add_parser("tenant", help="manage tenants").add_subparsers(required=True, metavar="ACTION")
    create = tenant.add_parser("create", help="create a tenant and print its SCIM base URL and token (JSON)")
    create.add_argument("name")
    create.add_argument("--url", default=os.environ.get("SCIMFLOW_URL", _local_url()),
                        help="gateway URL (default: $SCIMFLOW_URL or the local gateway)")
    create.set_defaults(func=create_tenant)
    return parser


def _data_dir() -> Path:
    return Path(os.environ.get("SCIMFLOW_DATA_DIR", "var"))


def _local_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('SCIMFLOW_HTTP_PORT', '8080')}"


def create_tenant(args: argparse.Namespace) -> int:
    key = operator_key(os.environ.get("SCIMFLOW_OPERATOR_KEY"), _data_dir())
    request = urllib.request.Request(
        f"{args.url.rstrip('/')}/admin/v1/tenants", data=json.dumps({"name": args.name}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - operator-given URL
            print(json.dumps(json.loads(response.read()), indent=2))
            return 0
    except urllib.error.HTTPError as error:
        print(f"scimflow: {error.code} {error.read().decode(errors='replace')}", file=sys.stderr)
    except urllib.error.URLError as error:
        print(f"scimflow: cannot reach {args.url}: {error.reason} (is `make run` running?)", file=sys.stderr)
    return 1


def run_system(_: argparse.Namespace) -> int:
    from shared.devtools.broker_choice import kafka_bootstrap
    from shared.devtools.launcher import System
    from shared.devtools.local_kafka import REPO_ROOT

    stop_requested = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop_requested.append(True))
    port = int(os.environ.get("SCIMFLOW_HTTP_PORT", "8080"))
    kafka_port = int(os.environ.get("KAFKA_PORT", "9092"))
    with kafka_bootstrap(REPO_ROOT / ".cache" / "kafka" / "run", port=kafka_port) as servers:
        system = System(servers, _data_dir().resolve(), http_port=port)
        try:
            system.start()
            _banner(system, servers)
            while not stop_requested and not system.dead():
                time.sleep(0.5)
            if dead := system.dead():
                print(f"scimflow: {dead[0].instance_id} exited; stopping", file=sys.stderr)
        finally:
            print("scimflow: stopping services…", file=sys.stderr)
            system.stop()
    print("scimflow: stopped", file=sys.stderr)
    return 0


def _banner(system, servers: str) -> None:
    print(
        f"\nscimflow is running\n"
        f"  SCIM base URL : {system.base_url}/scim/v2\n"
        f"  Kafka         : {servers}\n"
        f"  Data          : {system.data_dir}\n\n"
        f"Create a tenant and its SCIM bearer token (in another terminal):\n"
        f"  .venv/bin/scimflow tenant create acme\n\n"
        f"Press Ctrl-C to stop.\n",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
