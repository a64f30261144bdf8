"""Tenants as the gateway keeps them: the records on the compacted ``tenants.state`` topic and their rules.

The rules are pure functions from one record to the next: ``tokens.py`` (issue, rotate, revoke the SCIM
token), ``setup_links.py``, ``rules.py`` (the tenant, its admins, connection, policies, rate).
``credentials.py`` makes and checks the secrets. ``directory.py`` holds every tenant in memory and checks
credentials against them; ``store.py`` writes a change back to the topic. ``access.py`` says who may call
what, with ``ratelimit.py``, ``auth_failures.py`` and ``activity.py`` (a token's last use) beside it.
"""
