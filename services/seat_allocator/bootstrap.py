"""Composition root of the seat allocator service."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from shared.messaging.dispatch import Dispatcher
from shared.messaging.ping import ServiceIdentity
from services.seat_allocator.handlers import HANDLERS


@dataclass(frozen=True)
class Deps:
    identity: ServiceIdentity


@asynccontextmanager
async def dispatcher(identity: ServiceIdentity) -> AsyncIterator[Dispatcher[Deps]]:
    yield Dispatcher(HANDLERS, Deps(identity))
