"""Receive scimflow's webhooks (README "Webhooks"): SCIMFLOW_WEBHOOK_SECRET=whsec_... python docs/examples/webhook_receiver.py"""

import os

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError


def receiver(secret, handle):
    webhook, handled = Webhook(secret), set()  # keep the ids in your database, written with what handle() writes

    async def receive(request):
        try:
            event = webhook.verify(await request.read(), request.headers)  # the signature, and a fresh timestamp
        except WebhookVerificationError:
            return web.Response(status=400)
        if event["id"] not in handled:  # at least once: a retried or replayed event has the same id
            await handle(event)  # e.g. "scimflow.user.deactivated": revoke event["subject"]'s access
            handled.add(event["id"])
        return web.Response(status=204)  # any 2xx; anything else is retried, for up to 3 days

    app = web.Application()
    app.router.add_post("/scimflow", receive)
    return app


async def show(event):
    print(event["time"], event["tenantid"], event["type"], event["subject"])


if __name__ == "__main__":
    web.run_app(receiver(os.environ["SCIMFLOW_WEBHOOK_SECRET"], show), port=int(os.environ.get("PORT", "8000")))
