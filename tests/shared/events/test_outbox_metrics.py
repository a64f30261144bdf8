"""A relay reports its outbox's backlog (shared/metrics/events.py): the rows the broker does not have yet
and the oldest one's age, while the broker refuses them, and none once it took them."""

from outbox_support import emitter, published
from prometheus_client import REGISTRY

from shared.metrics.events import EVENT_OUTBOX_ROWS
from tests.support.clock import FakeClock
from tests.support.events import RecordingPublisher, until


def value(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def test_the_backlog_shows_while_the_broker_refuses_and_empties_once_it_takes_them(database):
    events, clock = RecordingPublisher(), FakeClock()
    EVENT_OUTBOX_ROWS.set(-1)  # what an earlier test left is no answer: only this relay's count is
    async with emitter(database, events, clock=clock) as process:
        events.failing = True
        await process.retitle("ann")
        await process.retitle("bob")
        clock.advance(seconds=90)
        await until(lambda: value("scimflow_event_outbox_rows") == 2, timeout=15)
        await until(lambda: value("scimflow_event_outbox_oldest_age_seconds") >= 90, timeout=15)
        events.failing = False
        await published(events, database)
        await until(lambda: value("scimflow_event_outbox_rows") == 0, timeout=15)
    assert value("scimflow_event_outbox_oldest_age_seconds") == 0
