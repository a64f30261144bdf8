"""The pure SCIM core shared by the gateway and the user store (RFC 7643/7644 semantics).

Nothing here does I/O or imports a transport (enforced by tests/shared/scim/test_purity.py): the
gateway validates and renders with it, the user store applies patches and compiles filters with it,
so both sides read the same attribute characteristics.
"""
