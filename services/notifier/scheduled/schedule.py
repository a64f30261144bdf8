"""The scheduled notices on their intervals, in each notifier process.

They read the tenants from the compacted ``tenants.state`` topic (read to its end before the first
round, then followed), ask the sync-status reporter and the seat allocator over Kafka (through this
process's own reply topic), and hand each notice to the notifier's own handler, as a notice that came
over Kafka goes: its dedupe key turns every process's, and a restarted one's, into one notice per admin.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from functools import partial

from contracts import MessageMeta
from contracts.notifications.v1 import NotificationAccepted, Notify
from contracts.seats.v1 import GetSeatSummary, SeatSummary, seats_key
from contracts.sync_status.v1 import ListUserStatuses, UserStatusPage
from contracts.topics import SEATS_COMMANDS, SYNC_STATUS_COMMANDS, TENANTS_STATE
from services.notifier.scheduled.failure_digests import AskStatus, FailureDigests
from services.notifier.scheduled.notices import Accept
from services.notifier.scheduled.seat_notices import AskSeats, SeatNotices
from services.notifier.scheduled.token_reminders import TokenReminders
from services.notifier.settings import NotifierSettings
from shared.messaging.dispatch import Dispatcher
from shared.messaging.ping import ServiceIdentity
from shared.messaging.requester import Requester, open_requester, unwrap
from shared.messaging.transport import Bus
from shared.periodic import periodically
from shared.tenants_topic import LatestTenants, catch_up, follow


@asynccontextmanager
async def scheduled_notices(settings: NotifierSettings, identity: ServiceIdentity, bus: Bus, dispatch: Dispatcher,
                            clock: Callable[[], datetime]) -> AsyncIterator[None]:
    """While the block runs, the three kinds of notice are looked for, each at its interval."""
    tenants, stop, accept = LatestTenants(), asyncio.Event(), accepted_by(dispatch, identity.source)
    async with AsyncExitStack() as stack:
        reader = await stack.enter_async_context(bus.reader(TENANTS_STATE.name, from_beginning=True))
        await catch_up(reader, tenants.apply)  # every tenant before the first round
        reading = asyncio.create_task(follow(reader, tenants.apply, stop))
        stack.push_async_callback(_stop, reading, stop)
        requester = await stack.enter_async_context(open_requester(
            bus, instance=f"notifier.{identity.instance}", source=identity.source, timeout=settings.request_timeout))
        reminders = TokenReminders(tenants, clock)
        digests = FailureDigests(tenants, clock, timedelta(minutes=settings.failure_digest_minutes))
        seats = SeatNotices(tenants, clock)
        for what, seconds, work in (
            ("token reminders", settings.reminder_interval_seconds, partial(reminders.accept_due, accept)),
            ("failure digests", settings.failure_digest_check_seconds,
             partial(digests.accept_due, _status_asker(requester), accept)),
            ("seat notices", settings.seat_notice_interval_seconds,
             partial(seats.accept_due, _seat_asker(requester), accept)),
        ):
            await stack.enter_async_context(periodically(what, timedelta(seconds=seconds), work))
        yield


async def _stop(reading: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.gather(reading, return_exceptions=True)


def accepted_by(dispatch: Dispatcher, source: str) -> Accept:
    """Hand a notice to this notifier's own handler; one it refused raises, so the next round tries again."""
    async def accept(notice: Notify, tenant_id: str) -> None:
        reply = await dispatch(notice, MessageMeta(message_type=notice.TYPE, tenant_id=tenant_id, source=source))
        unwrap(reply, NotificationAccepted)
    return accept


def _seat_asker(requester: Requester) -> AskSeats:
    async def ask(tenant_id: str) -> SeatSummary:
        reply = await requester.ask(GetSeatSummary(), topic=SEATS_COMMANDS.name, key=seats_key(tenant_id),
                                    tenant_id=tenant_id)
        return unwrap(reply, SeatSummary)
    return ask


def _status_asker(requester: Requester) -> AskStatus:
    async def ask(query: ListUserStatuses, tenant_id: str) -> UserStatusPage:
        reply = await requester.ask(query, topic=SYNC_STATUS_COMMANDS.name, key=tenant_id, tenant_id=tenant_id)
        return unwrap(reply, UserStatusPage)
    return ask
