"""``scimflow``: run the whole system locally, and administer it over its own HTTP API.

No secret is ever a flag (it would stay in the shell's history and show in every process list): the
operator key is $SCIMFLOW_OPERATOR_KEY or its generated file, an admin key $SCIMFLOW_ADMIN_KEY or typed
at a prompt that does not echo it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from contracts.tenants.v2 import DEFAULT_TOKEN_DAYS, TOKEN_LIFETIMES_DAYS
from shared.operator_key import operator_key

IDP_TYPES = ("okta", "entra_id", "other")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scimflow", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start Kafka (unless KAFKA_BOOTSTRAP_SERVERS) and every service")
    run.set_defaults(func=run_system)
    status = commands.add_parser("status", help="each service's consumer group on Kafka ($KAFKA_BOOTSTRAP_SERVERS): "
                                 "its copies, their partitions, the commands waiting")
    status.set_defaults(func=show_status)

    db = _group(commands, "db", "the services' databases")
    upgrade = db.add_parser("upgrade", help="apply every service's schema migrations to its database, where "
                            "$SCIMFLOW_DATABASE_URL, the services' own URLs or $SCIMFLOW_DATA_DIR put it")
    upgrade.set_defaults(func=upgrade_databases)

    tenant = _group(commands, "tenant", "manage tenants (operator key)")
    create = _action(tenant, "create", "create a tenant; prints its SCIM base URL and first token (JSON)",
                     create_tenant)
    create.add_argument("name")
    create.add_argument("--idp", choices=IDP_TYPES, help="the tenant's IdP")
    create.add_argument("--days", type=int, choices=TOKEN_LIFETIMES_DAYS, default=DEFAULT_TOKEN_DAYS,
                        help="first token's lifetime")

    admin = _group(commands, "admin", "manage tenant admins (operator key)")
    add = _action(admin, "add", "add an admin to a tenant; prints the admin's key, shown once", add_admin)
    add.add_argument("tenant_id")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)

    setup_link = _group(commands, "setup-link", "one-time links to a tenant's IdP setup screen (operator key)")
    link = _action(setup_link, "create", "create a tenant's setup link, shown once (revokes the last one)",
                   create_setup_link)
    link.add_argument("tenant_id")
    link.add_argument("--days", type=int, default=3, help="days until the link expires, 1-30 (default 3)")

    token = _group(commands, "token", "the tenant's SCIM API token (admin key: $SCIMFLOW_ADMIN_KEY, else asked for)")
    new = _action(token, "create", "generate a token, shown once (invalidates the current one)", create_token,
                  as_admin=True)
    new.add_argument("--days", type=int, choices=TOKEN_LIFETIMES_DAYS, required=True, help="lifetime in days")
    new.add_argument("--replace", action="store_true", help="confirm invalidating the current token")
    _action(token, "show", "the token's prefix, created, expires and last used", show_token, as_admin=True)
    _action(token, "revoke", "delete the token: provisioning stops until a new one is added", revoke_token,
            as_admin=True)
    return parser


def _group(commands, name: str, help_text: str):
    return commands.add_parser(name, help=help_text).add_subparsers(required=True, metavar="ACTION")


def _action(group, name: str, help_text: str, func, *, as_admin: bool = False) -> argparse.ArgumentParser:
    epilog = ("The admin key (from `scimflow admin add`) is read from $SCIMFLOW_ADMIN_KEY, else asked for "
              "in the terminal." if as_admin else None)
    action = group.add_parser(name, help=help_text, epilog=epilog)
    action.add_argument("--url", default=os.environ.get("SCIMFLOW_URL", _local_url()),
                        help="gateway URL (default: $SCIMFLOW_URL or the local gateway)")
    action.set_defaults(func=func)
    return action


def _data_dir() -> Path:
    return Path(os.environ.get("SCIMFLOW_DATA_DIR", "var"))


def _local_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('SCIMFLOW_HTTP_PORT', '8080')}"


def _operator_key() -> str:
    return operator_key(os.environ.get("SCIMFLOW_OPERATOR_KEY"), _data_dir())


def create_tenant(args: argparse.Namespace) -> int:
    body = {"name": args.name, "token_expires_in_days": args.days} | ({"idp_type": args.idp} if args.idp else {})
    return _call(args.url, "POST", "/admin/v1/tenants", _operator_key(), body)


def add_admin(args: argparse.Namespace) -> int:
    body = {"name": args.name, "email": args.email}
    return _call(args.url, "POST", f"/admin/v1/tenants/{args.tenant_id}/admins", _operator_key(), body)


def create_setup_link(args: argparse.Namespace) -> int:
    body = {"expires_in_days": args.days}
    return _call(args.url, "POST", f"/admin/v1/tenants/{args.tenant_id}/setup-link", _operator_key(), body)


def create_token(args: argparse.Namespace) -> int:
    body = {"expires_in_days": args.days, "replace": args.replace}
    return _call(args.url, "POST", "/admin/v1/tenant/token", _admin_key(), body)


def show_token(args: argparse.Namespace) -> int:
    return _call(args.url, "GET", "/admin/v1/tenant/token", _admin_key())


def revoke_token(args: argparse.Namespace) -> int:
    return _call(args.url, "DELETE", "/admin/v1/tenant/token", _admin_key())


def _admin_key() -> str:
    """$SCIMFLOW_ADMIN_KEY, else typed at a prompt (not echoed) when a person is at a terminal."""
    key = os.environ.get("SCIMFLOW_ADMIN_KEY", "").strip()
    if not key and sys.stdin.isatty():
        key = getpass.getpass("Admin key: ").strip()
    if not key:
        sys.exit("scimflow: no admin key: set SCIMFLOW_ADMIN_KEY to the key `scimflow admin add` printed, "
                 "or run the command in a terminal to be asked for it")
    return key


def _call(url: str, method: str, path: str, key: str, body: dict | None = None) -> int:
    """One admin API call: the JSON answer on stdout, or the API's own error detail on stderr."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}{path}", data=None if body is None else json.dumps(body).encode(), method=method,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # an operator-given URL
            raw = response.read()
            print(json.dumps(json.loads(raw), indent=2) if raw else f"{method} {path}: done ({response.status})")
            return 0
    except urllib.error.HTTPError as error:
        print(f"scimflow: {error.code} {_detail(error.read())}", file=sys.stderr)
    except urllib.error.URLError as error:
        print(f"scimflow: cannot reach {url}: {error.reason} (is `make run` running?)", file=sys.stderr)
    return 1


def _detail(raw: bytes) -> str:
    try:
        return json.loads(raw)["detail"]
    except (ValueError, KeyError, TypeError):
        return raw.decode(errors="replace")


def show_status(_: argparse.Namespace) -> int:
    import asyncio

    from shared.messaging.group_status import every_group_status, render
    from shared.messaging.kafka import KafkaBus
    from shared.settings import CommonSettings, from_environment

    settings = from_environment(CommonSettings)
    bus = KafkaBus.configured(settings, client_id="scimflow-status")
    try:
        statuses = asyncio.run(every_group_status(bus, settings.instance_id))
    except Exception as error:  # the broker unreachable, a refused login ...: what went wrong, not a traceback
        print(f"scimflow: cannot read the groups on {bus.bootstrap_servers}: {str(error) or type(error).__name__}",
              file=sys.stderr)
        return 1
    print(render(statuses))
    return 0


def upgrade_databases(_: argparse.Namespace) -> int:
    """What each service's migrations did, a line each; 1 when any could not be upgraded (said on stderr)."""
    import asyncio

    from shared.store.upgrade import upgrade_every_database

    outcomes = asyncio.run(upgrade_every_database())
    for line, done in outcomes:
        print(f"scimflow: {line}", file=sys.stdout if done else sys.stderr)
    return 0 if all(done for _, done in outcomes) else 1


def run_system(_: argparse.Namespace) -> int:
    from shared.devtools import REPO_ROOT
    from shared.devtools.broker_choice import kafka_bootstrap
    from shared.devtools.launcher import System

    stop_requested = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop_requested.append(True))
    port = int(os.environ.get("SCIMFLOW_HTTP_PORT", "8080"))
    portal_port = int(os.environ.get("SCIMFLOW_PORTAL_PORT", "8090"))
    kafka_port = int(os.environ.get("KAFKA_PORT", "9092"))
    with kafka_bootstrap(REPO_ROOT / ".cache" / "kafka" / "run", port=kafka_port) as servers:
        system = System(servers, _data_dir().resolve(), http_port=port, portal_port=portal_port)
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
        f"  Admin Portal  : {system.portal_url}  (sign in with an admin key, or the operator key:\n"
        f"                  {system.data_dir / 'operator.key'})\n"
        f"  Kafka         : {servers}\n"
        f"  Data          : {system.data_dir}\n"
        f"  Databases     : {databases_said(os.environ, system.data_dir)}\n"
        f"  Ops ports     : {_ops_ports(system)}\n"
        f"                  (on 127.0.0.1: /metrics, /livez, /readyz)\n\n"
        f"Create a tenant and its SCIM bearer token (in another terminal):\n"
        f"  .venv/bin/scimflow tenant create acme\n"
        f"Add its admin (prints an admin key: sign in to the Admin Portal with it):\n"
        f"  .venv/bin/scimflow admin add <tenant_id> --name Ada --email ada@acme.example\n\n"
        f"Press Ctrl-C to stop.\n",
        flush=True,
    )


def databases_said(environ: Mapping[str, str], data_dir: Path) -> str:
    """Where the stateful services keep their state, as the banner says it (a URL's password hidden)."""
    from sqlalchemy import make_url

    if url := environ.get("SCIMFLOW_DATABASE_URL", "").strip():
        return f"PostgreSQL {make_url(url).render_as_string(hide_password=True)}, a schema per service"
    return f"SQLite files under {data_dir}"


def _ops_ports(system) -> str:
    return ", ".join(f"{p.service} {p.ops_port}" for p in system.processes if p.ops_port)


if __name__ == "__main__":
    sys.exit(main())
