"""Signed-in sessions, kept in this process: the browser's cookie holds a random id, never a key.

Sessions end after an idle time and at a maximum age, and on sign-out. One portal process holds its
own sessions: run one copy (or route each browser to the same copy); a restart signs everyone out.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["admin", "operator", "setup"]
COOKIE = "scimflow_portal"


@dataclass
class Session:
    session_id: str
    role: Role
    key: str  # the admin key, operator key or setup session key: sent to the API, never to the browser
    label: str  # whom the header names: the tenant's name, or "Operator"
    csrf_token: str
    created: float
    last_seen: float
    #: A secret the API just issued, shown on the next page only (then gone: "you will not see it again").
    once: dict[str, object] = field(default_factory=dict)
    #: A line for the next page ("Token deleted").
    flash: str | None = None


class SessionStore:
    def __init__(self, idle_seconds: float, max_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._idle, self._max, self._clock = idle_seconds, max_seconds, clock
        self._sessions: dict[str, Session] = {}

    def start(self, role: Role, key: str, label: str) -> Session:
        self._forget_expired()
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), role, key, label, secrets.token_urlsafe(32), now, now)
        self._sessions[session.session_id] = session
        return session

    def find(self, session_id: str | None) -> Session | None:
        session = self._sessions.get(session_id or "")
        if session is None:
            return None
        now = self._clock()
        if now - session.last_seen > self._idle or now - session.created > self._max:
            self.end(session.session_id)
            return None
        session.last_seen = now
        return session

    def end(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def _forget_expired(self) -> None:
        now = self._clock()
        for session in [s for s in self._sessions.values()
                        if now - s.last_seen > self._idle or now - s.created > self._max]:
            self.end(session.session_id)


class SignInThrottle:
    """A few wrong keys from one address make the next try wait: 1 s after the third, doubling to a minute."""

    FREE_TRIES = 3
    MAX_WAIT = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # address -> (wrong keys in a row, last one)

    def wait_for(self, address: str) -> float:
        """Seconds this address must still wait before its next try (0: go ahead)."""
        failures, last = self._failures.get(address, (0, 0.0))
        if failures < self.FREE_TRIES:
            return 0.0
        wait = min(self.MAX_WAIT, 2.0 ** (failures - self.FREE_TRIES))
        return max(0.0, last + wait - self._clock())

    def failed(self, address: str) -> None:
        failures, _ = self._failures.get(address, (0, 0.0))
        self._failures[address] = (failures + 1, self._clock())

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)
