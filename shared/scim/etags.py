"""Versions as ETags (RFC 7644 §3.14, RFC 7232): weak, since two equal versions are equal resources."""

from __future__ import annotations


def etag(version: int) -> str:
    return f'W/"{version}"'


def matches(header: str, version: int) -> bool:
    """True when an If-Match / If-None-Match header names ``version`` (or is "*"); weak comparison."""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or any(_opaque(tag) == str(version) for tag in tags)


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/").strip('"')
