import sys

from aiohttp import web

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.messaging.kafka import BrokerUnreachable
from shared.service import new_event_loop, prepare_process
from shared.settings import from_environment

if __name__ == "__main__":
    settings = from_environment(GatewaySettings)
    prepare_process("gateway", settings)
    try:
        web.run_app(create_app(settings), host=settings.http_host, port=settings.http_port,
                    reuse_port=settings.http_reuse_port or None, loop=new_event_loop(settings),
                    print=None, access_log=None)
    except BrokerUnreachable as error:  # a refused login is a setup mistake to read, not a crash to trace
        sys.exit(f"scimflow: cannot start: {error}")
