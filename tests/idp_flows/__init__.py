"""Whole IdP provisioning sessions as plain async functions over ``client.ScimClient``.

``okta.run(scim)`` and ``entra.run(scim, flag=...)`` send the requests Okta and Entra ID send
(SCIM-NOTES §2, §3) and assert as they go. They take any ``ScimClient``, so the same scripts run on
the in-memory stack (tests/conformance/test_idp_flows.py) and against the real processes on a real
Kafka broker (tests/integration/test_idp_flows.py).
"""
