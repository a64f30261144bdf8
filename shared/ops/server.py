"""The ops HTTP server: ``/metrics`` (the process's Prometheus registry), ``/livez``, ``/readyz``.

``/livez`` answers as long as the event loop does (a stuck process is restarted, a busy one not).
``/readyz`` asks the process's readiness, which names what is missing: the 503 says it, so an operator
reads why without the logs. Both are small JSON bodies; nothing here ever shows a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

log = logging.getLogger(__name__)

#: What is missing for the process to be ready (names an operator recognises); empty: ready.
Readiness = Callable[[], Awaitable[list[str]]]
READINESS: web.AppKey[Readiness] = web.AppKey("readiness")


async def metrics(_: web.Request) -> web.Response:
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def livez(_: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    return readiness_answer(await request.app[READINESS]())


def readiness_answer(missing: list[str]) -> web.Response:
    if missing:
        return web.json_response({"status": "not ready", "missing": missing}, status=503)
    return web.json_response({"status": "ready"})


def ops_app(readiness: Readiness) -> web.Application:
    app = web.Application()
    app[READINESS] = readiness
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    return app


@asynccontextmanager
async def ops_server(host: str, port: int, readiness: Readiness) -> AsyncIterator[None]:
    """The ops port served while the block runs; ``port`` 0: none (the default, off)."""
    runner = await start_ops_server(host, port, readiness)
    try:
        yield
    finally:
        await stop_ops_server(runner)


async def start_ops_server(host: str, port: int, readiness: Readiness) -> web.AppRunner | None:
    """The ops port open (None: ``port`` 0, off), for a lifecycle that is not one ``async with`` block."""
    if not port:
        return None
    runner = web.AppRunner(ops_app(readiness), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    log.info("ops port open", extra={"host": host, "port": port})
    return runner


async def stop_ops_server(runner: web.AppRunner | None) -> None:
    if runner is not None:
        await runner.cleanup()
