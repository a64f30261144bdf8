"""Okta's and Entra's whole provisioning sessions (tests/idp_flows) on the in-memory stack; the same
suite runs against the real processes on a real broker in tests/integration/test_idp_flows.py."""

from tests.idp_flows.sessions import IdpSessions


class TestOnTheInMemoryStack(IdpSessions):
    """The production app and the real user store on the in-memory bus (``scim`` from conftest)."""
