"""Commands (and queries, and casts) a worker served: by message type and outcome, with handling time.

The outcome is ``ok``, the error code of a failed reply (the closed ErrorCode enum), ``expired`` (dropped
past its deadline, never handled) or ``unreadable`` (headers that decode to no message). A message type
not in the contracts' catalog counts as ``unknown``: anyone can write any header on a topic, and a label
per made-up type would grow without bound.
"""

from prometheus_client import Counter, Histogram

from contracts import MESSAGE_TYPES, Reply

COMMANDS_SERVED = Counter(
    "scimflow_commands_served", "Messages served from the command topics, by message type and outcome.",
    ["message_type", "outcome"])
COMMAND_SECONDS = Histogram(
    "scimflow_command_handling_seconds", "Time a handler took to answer, by message type.", ["message_type"])

OK = "ok"
EXPIRED = "expired"
UNREADABLE = "unreadable"
UNKNOWN_TYPE = "unknown"


def type_label(message_type: str) -> str:
    return message_type if message_type in MESSAGE_TYPES else UNKNOWN_TYPE


def outcome_of(reply: Reply) -> str:
    return OK if reply.ok or reply.error is None else str(reply.error.code)


def served(message_type: str, reply: Reply, seconds: float) -> None:
    label = type_label(message_type)
    COMMANDS_SERVED.labels(label, outcome_of(reply)).inc()
    COMMAND_SECONDS.labels(label).observe(seconds)


def dropped(message_type: str, outcome: str) -> None:
    """A message left unhandled (``expired``, ``unreadable``): counted, with no handling time."""
    COMMANDS_SERVED.labels(type_label(message_type), outcome).inc()
