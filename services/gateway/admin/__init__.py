"""The admin API (``/admin/v1``), which the Admin Portal and scripts call.

``routes.py`` lists every route once (registered and documented from it); ``bodies.py`` holds the
request bodies and renders the answers, ``answer_schemas.py`` says what an answer holds, ``openapi.py``
publishes both. The other modules are the views, one per part of the API: the operator's tenants
(``operator.py``), a tenant admin's own tenant and token (``tenant.py``), setup links, seats, sync
status, users, webhooks, notifications and the SCIM request log.
"""
