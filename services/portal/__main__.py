from aiohttp import web

from services.portal.app import create_app
from services.portal.settings import PortalSettings
from shared.service import new_event_loop, prepare_process
from shared.settings import from_environment

if __name__ == "__main__":
    settings = from_environment(PortalSettings)
    prepare_process("portal", settings)
    web.run_app(create_app(settings), host=settings.portal_host, port=settings.portal_port,
                loop=new_event_loop(settings), print=None, access_log=None)
