"""The calling admin's in-app notifications: list with the unread count, mark read; asked of
the notifier over Kafka. An admin sees only their own notices."""

from __future__ import annotations

from aiohttp import web

from contracts.notifications.v1 import (
    ListNotifications,
    MarkNotificationsRead,
    NotificationPage,
    NotificationsMarked,
)
from contracts.topics import NOTIFIER_COMMANDS
from services.gateway import keys
from services.gateway.admin.asks import answer, ask_for_tenant, query_fields
from services.gateway.admin.bodies import NotificationsRead, parse
from services.gateway.middlewares import read_json

#: Query parameters as the admin writes them -> the query's fields.
LIST_PARAMETERS = {"unread": "unread_only", "startIndex": "start_index", "count": "count"}


async def list_notifications(request: web.Request) -> web.Response:
    """?unread=true &startIndex= &count=; the page carries the unread count."""
    query = parse(ListNotifications, {"admin_id": request[keys.ADMIN_ID], **query_fields(request, LIST_PARAMETERS)})
    return answer(await ask_for_tenant(request, NOTIFIER_COMMANDS.name, query, NotificationPage))


async def mark_read(request: web.Request) -> web.Response:
    body = parse(NotificationsRead, await read_json(request))
    command = MarkNotificationsRead(admin_id=request[keys.ADMIN_ID], ids=body.ids)
    return answer(await ask_for_tenant(request, NOTIFIER_COMMANDS.name, command, NotificationsMarked))
