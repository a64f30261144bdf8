"""The user store's link to the seat allocator without a bus: the real allocator's dispatcher, called in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from contracts import MessageMeta, Reply
from services.user_store.seat_state import SeatAsk, SeatCommand
from shared.messaging.dispatch import Dispatcher


def direct_seats(allocator: Dispatcher) -> SeatAsk:
    async def ask(command: SeatCommand, tenant_id: str, message_id: str, timeout: float) -> Reply:
        meta = MessageMeta(message_type=command.TYPE, message_id=message_id, tenant_id=tenant_id)
        return await allocator(command, meta)
    return ask


def product_body(product: str, seats: int, days: int = 365) -> dict[str, Any]:
    """The operator's POST /admin/v1/tenants/{id}/products body."""
    expires = datetime.now(UTC) + timedelta(days=days)
    return {"product": product, "seats": seats, "expires_at": expires.isoformat()}
