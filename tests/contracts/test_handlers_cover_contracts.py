"""Every request type has exactly one owning service; Ping is answered by all of them."""

from contracts import MESSAGE_CLASSES, Command, Query
from contracts.system.v1 import Ping
from services.notifier.handlers import HANDLERS as NOTIFIER
from services.seat_allocator.handlers import HANDLERS as SEAT_ALLOCATOR
from services.sync_status.handlers import HANDLERS as SYNC_STATUS
from services.user_store.handlers import HANDLERS as USER_STORE
from services.webhooks.handlers import HANDLERS as WEBHOOKS

ALL_HANDLERS = {
    "user_store": USER_STORE, "seat_allocator": SEAT_ALLOCATOR, "notifier": NOTIFIER, "sync_status": SYNC_STATUS,
    "webhooks": WEBHOOKS,
}


def test_every_request_type_has_exactly_one_handler():
    requests = [cls for cls in MESSAGE_CLASSES if issubclass(cls, Command | Query) and cls is not Ping]
    owners = {cls.TYPE: [name for name, handlers in ALL_HANDLERS.items() if cls in handlers] for cls in requests}
    assert {kind: len(names) for kind, names in owners.items()} == {cls.TYPE: 1 for cls in requests}


def test_every_service_answers_ping():
    assert all(Ping in handlers for handlers in ALL_HANDLERS.values())


def test_handlers_only_handle_requests():
    for handlers in ALL_HANDLERS.values():
        assert all(issubclass(cls, Command | Query) for cls in handlers)
