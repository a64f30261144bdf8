"""Composition root of the seat allocator service."""

from services.seat_allocator.handlers import HANDLERS
from shared.service import identity_only

dispatcher = identity_only(HANDLERS)
