"""Liveness over the bus: every service answers ``Ping`` on its own command topic."""

from contracts.base import Query, Result


class Ping(Query):
    TYPE = "system.ping.v1"


class Pong(Result):
    TYPE = "system.pong.v1"

    service: str
    instance: str
