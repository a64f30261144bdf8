"""Failed authentications, counted per credential: past a few in a minute, that credential's calls get
429 + Retry-After without being checked, until the minute ends.

Counted per credential, never per client address: the Admin Portal calls the admin API from one
address on behalf of everyone, so a per-address count here would let one person lock every portal
user out (the portal throttles its sign-in form per browser address itself). A credential is its
public id (``scf_<id>``, ``sca_<id>``, ``scl_<id>``, ``scs_<id>``); every bearer tried on an operator
route is a try at the one operator key; any other bearer is counted by its SHA-256. A credential's
owner shares its count with whoever tries secrets under its id, so a lockout lasts one window at most
after the tries stop. A token that was the tenant's (expired, revoked) is not a guess and is not
counted: its calls keep their 401 with the reason, in the tenant's SCIM log.

Counts live in this process (each replica has its own) and at most MAX_CREDENTIALS of them, the
least recently failed forgotten first, so a flood of made-up bearers costs bounded memory.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
MAX_CREDENTIALS = 10_000
OPERATOR = "operator"
#: A credential's public part as credentials.new_credential makes it (a 16-hex-digit id); a longer id is
#: no credential of ours and is counted by its hash, so no caller picks the size of what is kept.
_PUBLIC_ID = re.compile(r"(scf|sca|scl|scs)_([0-9A-Za-z-]{1,32})_")


def credential_of(authorization: str, operator_route: bool) -> str | None:
    """Whose failures a call's ``Authorization`` header counts towards (None: it tried no credential)."""
    scheme, _, presented = authorization.partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        return None
    if operator_route:
        return OPERATOR
    if match := _PUBLIC_ID.match(presented):
        return f"{match[1]}_{match[2]}"
    return "sha256:" + hashlib.sha256(presented.encode("utf-8", "surrogatepass")).hexdigest()


class FailedAuthThrottle:
    def __init__(self, per_minute: int, clock: Callable[[], datetime]) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # credential -> (count, window start)

    def retry_after(self, credential: str) -> int:
        """0 when the credential may be checked, else the whole seconds until its window ends (>= 1)."""
        count, started = self._current(credential)
        if count < self.per_minute:
            return 0
        return max(1, min(math.ceil(WINDOW_SECONDS), math.ceil(started + WINDOW_SECONDS - self._now())))

    def failed(self, credential: str) -> None:
        count, started = self._current(credential)
        if count == 0:
            started = self._now()
        self._failures[credential] = (count + 1, started)
        self._failures.move_to_end(credential)
        if len(self._failures) > MAX_CREDENTIALS:
            self._failures.popitem(last=False)
        if count + 1 == self.per_minute:
            log.warning("authentication failures: credential held back", extra={
                "credential": credential, "failures": count + 1, "window_s": WINDOW_SECONDS})

    def _current(self, credential: str) -> tuple[int, float]:
        count, started = self._failures.get(credential, (0, 0.0))
        # abs: a wall clock stepping back ends the window rather than stretching it.
        if count and abs(self._now() - started) >= WINDOW_SECONDS:
            del self._failures[credential]
            return 0, 0.0
        return count, started

    def _now(self) -> float:
        return self._clock().timestamp()
