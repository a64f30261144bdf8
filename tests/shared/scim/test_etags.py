"""Weak ETags from versions (RFC 7644 §3.14, RFC 7232 §2.3 weak comparison)."""

import pytest

from shared.scim.etags import etag, matches


def test_etag_is_weak():
    assert etag(3) == 'W/"3"'


@pytest.mark.parametrize(("header", "version", "expected"), [
    ('W/"3"', 3, True), ('"3"', 3, True), ('W/"2"', 3, False), ("*", 9, True),
    ('W/"1", W/"3"', 3, True), ('W/"13"', 3, False),
])
def test_matches(header, version, expected):
    assert matches(header, version) is expected
