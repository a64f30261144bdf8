"""The do-nothing reference: an aiohttp server that reads the request and answers a fixed small JSON.

``python -m bench.baseline_server --port N``. The bench replays each phase's requests against it with
the same client and concurrency; our rate divided by its rate is the "ratio" column, the share of a
bare aiohttp round trip on this machine that the whole system (gateway, Kafka, services) achieves.
It runs on the event loop the gateway runs on (uvloop unless SCIMFLOW_EVENT_LOOP=asyncio), so the
ratio compares like with like.
"""

from __future__ import annotations

import argparse

from aiohttp import web

from shared.service import new_event_loop
from shared.settings import CommonSettings

ANSWER = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0}'


async def answer(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=ANSWER, content_type="application/scim+json")


def app() -> web.Application:
    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", answer)
    return application


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(app(), host=args.host, port=args.port, loop=new_event_loop(CommonSettings()), print=None,
                access_log=None)


if __name__ == "__main__":
    main()
