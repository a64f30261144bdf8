"""Where deliveries may go: an endpoint's URL checked when it is registered, and the addresses its host
resolves to checked on every connection (a name can be pointed at an internal address after it was
registered: the check is in the resolver the HTTP client connects through, so what is checked is what
is connected to).

Without the operator's leave (settings), only public addresses: never loopback, link-local (the cloud
metadata service lives there), private, shared (CGNAT), multicast, reserved or unspecified ones.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class AddressRefused(OSError):
    """The endpoint's host is, or resolves to, an address deliveries may not go to."""


def url_problem(url: str, *, allow_http: bool, allow_private: bool) -> str | None:
    """Why this URL cannot be an endpoint, or None. A host given as a name is checked when connecting."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"not a URL: {error}"
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        return "the URL must start with https://" if not allow_http else "the URL must be http(s)"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "the URL must not carry a user name or password (the signature authenticates deliveries)"
    if port == 0:
        return "the URL's port must not be 0"
    if not allow_private and (refused := refused_address(parts.hostname)) is not None:
        return refused
    return None


def refused_address(host: str) -> str | None:
    """Why this literal address may not be delivered to (None: a public one, or a name)."""
    name = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return "the URL's host is this machine" if name == "localhost" or name.endswith(".localhost") else None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        return f"{address} is not a public address (the operator may allow private ones)"
    return None


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing a host any of whose addresses is not public."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        resolved = await self._resolver.resolve(host, port, family)
        for entry in resolved:
            if (refused := refused_address(entry["host"])) is not None:
                raise AddressRefused(f"{host} resolves to {entry['host']}: {refused}")
        return resolved

    async def close(self) -> None:
        await self._resolver.close()
