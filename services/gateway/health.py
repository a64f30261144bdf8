"""``GET /healthz``: ready once the Kafka lifecycle (messaging.py) is, so a load balancer waits for it."""

from aiohttp import web

from services.gateway import keys


async def health(request: web.Request) -> web.Response:
    """Ready when the reply reader and tenant directory are live (load balancers poll this)."""
    ready = bool(request.app[keys.READY].get("messaging"))
    return web.json_response({"status": "ok" if ready else "starting"}, status=200 if ready else 503)
