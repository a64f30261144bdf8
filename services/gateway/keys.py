"""Typed application and request keys."""

from aiohttp import web

from services.gateway.settings import GatewaySettings
from services.gateway.tenants import TenantDirectory
from shared.messaging.requester import Requester
from shared.messaging.transport import Bus

SETTINGS = web.AppKey("settings", GatewaySettings)
BUS = web.AppKey("bus", Bus)
REQUESTER = web.AppKey("requester", Requester)
TENANTS = web.AppKey("tenants", TenantDirectory)
OPERATOR_KEY = web.AppKey("operator_key", str)
READY = web.AppKey("ready", dict)

TENANT_ID = web.RequestKey("tenant_id", str)  # set by the auth middleware
