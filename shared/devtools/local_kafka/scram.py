"""The local broker's second listener: SASL_PLAINTEXT with SCRAM-SHA-256 and -512 (issue 26).

The processes a test system starts reach the broker here, as they would a managed, secured Kafka, so the
suite's integration tests prove the SASL path without a second run; in-process test clients and the
readiness probe stay on the PLAINTEXT listener. Inter-broker and controller traffic are left as they were.

In KRaft a SCRAM user lives in the cluster's metadata log, so it is written by ``kafka-storage format
--add-scram`` when the storage is made; its password, made then, is kept in the broker's folder
(``scram.json``) for the launcher to hand to the services. A folder formatted before this listener existed
holds no user and runs without it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

#: The listener's name (and security protocol) in server.properties.
LISTENER = "SASL_PLAINTEXT"
MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
CREDENTIALS_FILE = "scram.json"
USERNAME = "scimflow"
#: A broker's side of SCRAM needs only the login module: the users come from the metadata log.
_SERVER_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


@dataclass(frozen=True)
class ScramUser:
    username: str
    password: str = field(repr=False)


def new_user() -> ScramUser:
    # Hex only: the --add-scram syntax (``[name=...,password=...]``) has no quoting for ',' or ']'.
    return ScramUser(USERNAME, secrets.token_hex(16))


def save_user(workdir: Path, user: ScramUser) -> None:
    path = workdir / CREDENTIALS_FILE
    path.touch(mode=0o600)
    path.write_text(json.dumps({"username": user.username, "password": user.password}))


def load_user(workdir: Path) -> ScramUser | None:
    """The folder's SCRAM user, or None: made before the listener existed (or never formatted)."""
    try:
        data = json.loads((workdir / CREDENTIALS_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return ScramUser(data["username"], data["password"])


def format_arguments(user: ScramUser) -> list[str]:
    """``kafka-storage format`` arguments that create ``user`` for every mechanism."""
    credential = f"name={user.username},password={user.password}"
    return [argument for mechanism in MECHANISMS for argument in ("--add-scram", f"{mechanism}=[{credential}]")]


def listener_properties() -> dict[str, str]:
    """server.properties entries the SASL listener needs beyond its place in ``listeners``."""
    logins = {f"listener.name.{LISTENER.lower()}.{mechanism.lower()}.sasl.jaas.config": _SERVER_LOGIN
              for mechanism in MECHANISMS}
    return {"sasl.enabled.mechanisms": ",".join(MECHANISMS), **logins}
