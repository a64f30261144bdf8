"""The events outbox of a process that emits events (shared/events/relay.py): its rows not yet on the
broker, and how old the oldest is. Both grow while the broker is away or slow; a stuck copy's rows are
adopted by the others after a while (relay.ADOPT_AFTER), so a backlog older than that is everyone's.

Copies of a service share one outbox file and each reports all of it: take the max over copies, not the sum.
"""

from prometheus_client import Gauge

EVENT_OUTBOX_ROWS = Gauge("scimflow_event_outbox_rows", "Events in the outbox, not yet acknowledged by the broker.")
EVENT_OUTBOX_OLDEST_SECONDS = Gauge(
    "scimflow_event_outbox_oldest_age_seconds", "Age of the oldest event in the outbox (0 when it is empty).")
