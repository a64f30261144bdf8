"""The asking side (shared/messaging/requester.py): requests waiting on their reply, and those that timed out.

A growing number waiting, or timeouts, means a service behind the asker is slow or gone; the gateway
answers those calls 503.
"""

from prometheus_client import Counter, Gauge

AWAITING_REPLY = Gauge(
    "scimflow_requests_awaiting_reply", "Requests sent and waiting on their reply now, by message type.",
    ["message_type"])
REPLY_TIMEOUTS = Counter(
    "scimflow_request_timeouts", "Requests that got no reply within their deadline, by message type.",
    ["message_type"])
