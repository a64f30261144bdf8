"""The SCIM gateway: the HTTP edge. It validates credentials, speaks SCIM and the admin API, asks the
services over Kafka and answers; it runs no periodic job (the notifier schedules the notices).

Where things are:
- the HTTP plumbing here: ``app.py`` (the factory), ``routes.py``, ``middlewares.py``, ``keys.py``,
  ``settings.py``, ``messaging.py`` (the Kafka lifecycle), ``health.py``, ``__main__.py``;
- ``scim/``: the pure SCIM core (no aiohttp, no Kafka; a test keeps it so);
- ``scim_api/``: the SCIM views an IdP calls (/Users, /Groups, /.search, /Bulk, discovery);
- ``admin/``: the admin API: its route table, bodies, answer schemas, OpenAPI, and views;
- ``tenancy/``: tenant records and their rules (``tokens.py``: issue, rotate, revoke the SCIM token),
  credentials, who may call what, rate limits, and the directory every credential is checked against.
"""
