"""Parsing a BulkRequest and resolving bulkId references (RFC 7644 §3.7)."""

import pytest

from services.gateway.scim.bulk import (
    BULK_REQUEST,
    MAX_OPERATIONS,
    MAX_PAYLOAD_SIZE,
    Schedule,
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


def schedule(*operations, width: int = 16, **fields) -> Schedule:
    parsed = parse_bulk(request(*operations, **fields))
    return Schedule(parsed.operations, parsed.fail_on_errors, width)


def started(plan: Schedule) -> list[int]:
    """Every operation that may start now, in the order they start."""
    indexes = []
    while (index := plan.start()) is not None:
        indexes.append(index)
    return indexes


def post(bulk_id: str, **data) -> dict:
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": data}


def test_independent_operations_start_together_in_request_order_up_to_the_width():
    plan = schedule(*(post(f"u{i}", userName=f"u{i}") for i in range(5)), width=3)
    assert started(plan) == [0, 1, 2]
    plan.finish(1, failed=False)
    assert started(plan) == [3]


def test_operations_on_one_resource_keep_their_order_and_references_wait_for_their_post():
    """RFC 7644 §3.7.2: a bulkId is the id its POST created, so what references it runs after that POST."""
    plan = schedule(
        post("jane", userName="jane"),
        {"method": "POST", "path": "/Groups", "bulkId": "team", "data": {"members": [{"value": "bulkId:jane"}]}},
        {"method": "PUT", "path": "/Users/u1", "data": {"userName": "bob"}},
        {"method": "DELETE", "path": "/Users/u1"},
        {"method": "PATCH", "path": "/Groups/bulkId:team", "data": {"Operations": []}},
    )
    assert started(plan) == [0, 2]
    plan.finish(2, failed=False)
    assert started(plan) == [3]
    plan.finish(0, failed=True)  # what depends on a failed operation still runs, and fails on its own
    assert started(plan) == [1]
    plan.finish(1, failed=False)
    assert started(plan) == [4]


def test_data_naming_another_operations_resource_or_the_same_user_name_waits_for_it():
    """Run one by one, a group PATCH adding u1 saw u1 deleted, and the second create of a userName was the 409."""
    plan = schedule(
        {"method": "DELETE", "path": "/Users/u1"},
        {"method": "PATCH", "path": "/Groups/g1", "data": {"Operations": [
            {"op": "add", "path": "members", "value": [{"value": "x", "$ref": "https://h/scim/v2/Users/u1"}]}]}},
        post("a", userName="Jane"),
        post("b", userName="jane"),
    )
    assert started(plan) == [0, 2]
    plan.finish(0, failed=False)
    plan.finish(2, failed=False)
    assert started(plan) == [1, 3]


def test_with_fail_on_errors_no_more_run_at_once_than_errors_are_left_and_none_starts_after():
    """RFC 7644 §3.7.3: after failOnErrors errors the rest is not performed, even with operations in flight."""
    plan = schedule(*(post(f"u{i}", userName=f"u{i}") for i in range(6)), failOnErrors=2)
    assert started(plan) == [0, 1]
    plan.finish(0, failed=True)
    assert started(plan) == []  # one error left: one operation at a time
    plan.finish(1, failed=False)
    assert started(plan) == [2]
    plan.finish(2, failed=True)
    assert started(plan) == []
    assert plan.running == 0 and plan.failures == 2

