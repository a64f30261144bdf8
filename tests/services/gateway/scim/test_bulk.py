"""Parsing a BulkRequest and resolving bulkId references (RFC 7644 §3.7)."""

import pytest

from services.gateway.scim.bulk import (
    BULK_REQUEST,
    MAX_OPERATIONS,
    MAX_PAYLOAD_SIZE,
    check_size,
    parse_bulk,
    resolve,
)
from shared.scim.errors import ScimError


def request(*operations, **fields) -> dict:
    return {"schemas": [BULK_REQUEST], **fields, "Operations": list(operations)}


def test_operations_keep_their_order_and_fields():
    parsed = parse_bulk(request({"method": "post", "path": "/Users", "bulkId": "a", "data": {"userName": "x"}},
                                {"method": "DELETE", "path": "/Users/1", "version": 'W/"3"'}, failOnErrors=2))
    assert [(o.method, o.path, o.bulk_id, o.version) for o in parsed.operations] == [
        ("POST", "/Users", "a", None), ("DELETE", "/Users/1", None, 'W/"3"')]
    assert parsed.fail_on_errors == 2


@pytest.mark.parametrize(("body", "status"), [
    ({"Operations": []}, 400),
    # schemas is a list of URNs (RFC 7644 §3.7): a number or boolean was a TypeError, a 500
    ({"schemas": 1, "Operations": []}, 400),
    ({"schemas": 1.5, "Operations": []}, 400),
    ({"schemas": True, "Operations": []}, 400),
    ({"schemas": f"x{BULK_REQUEST}x", "Operations": []}, 400),  # a string is not a list of URNs
    (request({"method": "GET", "path": "/Users"}), 400),
    (request({"method": "POST", "path": "/Users", "data": {}}), 400),  # a POST needs a bulkId
    (request({"method": "PUT", "path": "/Users/1"}), 400),  # and a PUT its data
    (request(failOnErrors=0), 400),
    # checked before any operation runs: a later op's bad type failed the request after earlier ones ran
    (request({"method": "PUT", "path": "/Users/1", "version": 1, "data": {}}), 400),
    (request({"method": "PATCH", "path": "/Users/1", "bulkId": ["x"], "data": {}}), 400),
    (request(*[{"method": "POST", "path": "/Users", "bulkId": "dup", "data": {}}] * 2), 400),  # RFC 7644 §3.7
    (request(*[{"method": "DELETE", "path": "/Users/1"}] * (MAX_OPERATIONS + 1)), 413),
])
def test_bad_requests(body, status):
    with pytest.raises(ScimError) as raised:
        parse_bulk(body)
    assert raised.value.status == status


def test_payload_size_limit():
    check_size(MAX_PAYLOAD_SIZE)
    with pytest.raises(ScimError) as raised:
        check_size(MAX_PAYLOAD_SIZE + 1)
    assert raised.value.status == 413


def test_bulk_ids_resolve_in_paths_and_anywhere_in_data():
    ids = {"jane": "u1", "team": "g1"}
    assert resolve("/Groups/bulkId:team", ids) == "/Groups/g1"
    data = {"members": [{"value": "bulkId:jane"}], "displayName": "Team of bulkId: people"}
    assert resolve(data, ids) == {"members": [{"value": "u1"}], "displayName": "Team of bulkId: people"}


def test_an_unknown_bulk_id_is_409_invalid_value():
    with pytest.raises(ScimError) as raised:
        resolve({"value": "bulkId:nope"}, {})
    assert (raised.value.status, raised.value.scim_type) == (409, "invalidValue")
