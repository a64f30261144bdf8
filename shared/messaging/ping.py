"""The ``Ping`` handler every service registers: proof it consumes its topic and can reply."""

from dataclasses import dataclass
from typing import Protocol

from contracts import MessageMeta
from contracts.system.v1 import Ping, Pong


@dataclass(frozen=True)
class ServiceIdentity:
    service: str
    instance: str

    @property
    def source(self) -> str:
        return f"{self.service}/{self.instance}"


class HasIdentity(Protocol):
    @property  # read-only: the services' frozen Deps dataclasses satisfy it
    def identity(self) -> ServiceIdentity: ...


async def ping(_: Ping, meta: MessageMeta, deps: HasIdentity) -> Pong:
    return Pong(service=deps.identity.service, instance=deps.identity.instance)
