"""Paging (RFC 7644 §3.4.2.4) and the ListResponse."""

import pytest

from services.gateway.scim.listing import (
    MAX_RESULTS,
    MAX_START_INDEX,
    list_response,
    paging,
)
from shared.scim.errors import ScimError


@pytest.mark.parametrize(("params", "expected"), [
    ({}, (1, 100)),
    ({"startIndex": "0", "count": "-5"}, (1, 0)),  # "<1 treated as 1", "negative treated as 0"
    ({"startIndex": "101", "count": "100"}, (101, 100)),
    ({"count": "100000"}, (1, MAX_RESULTS)),
    ({"startIndex": " +7 ", "count": "3"}, (7, 3)),
    # past any tenant: the same empty page, without a 64-bit overflow in the command or the SQL OFFSET
    ({"startIndex": "99999999999999999999999"}, (MAX_START_INDEX, 100)),
])
def test_paging_parameters(params, expected):
    assert paging(params) == expected


@pytest.mark.parametrize("count", ["ten", "1.5", "1_000", "\u0663", "0x10"])
def test_non_integer_paging_is_400(count):
    """Only decimal ASCII digits: Python's int() would also take "1_000" and other scripts' digits."""
    with pytest.raises(ScimError) as raised:
        paging({"count": count})
    assert raised.value.status == 400


def test_items_per_page_is_what_the_page_holds():
    """Okta QA blocks servers that echo the requested count (ory/polis PR #4054)."""
    body = list_response([{"id": "a"}], total=7, start_index=7)
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (7, 1, 7)
