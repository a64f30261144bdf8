"""The Admin Portal: the screens the vendor guides walk a tenant admin (and the operator) through.

Its own process (``python -m services.portal``). It is a client of the public admin API over HTTP
and nothing else: every rule (token lifetimes, the disabling order, seat counts, set names) is the
API's, and a screen shows the API's own words when it refuses. The admin key a person signs in with
stays on this side of the session: the browser holds only an opaque session id.
"""
