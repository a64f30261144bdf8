"""Discovery endpoints through the real app factory (RFC 7644 §4); they need no service behind Kafka."""

import pytest

SCIM = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
URNS = [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User",
]
DISCOVERY_PATHS = [
    "/scim/v2/ServiceProviderConfig", "/scim/v2/Schemas", f"/scim/v2/Schemas/{URNS[0]}",
    "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes/User",
]


async def ok_body(response) -> dict:
    assert response.status == 200, await response.text()
    assert response.content_type == SCIM
    return await response.json()


async def assert_scim_error(response, status: int) -> None:
    assert response.status == status
    assert response.content_type == SCIM
    body = await response.json()
    assert body["schemas"] == [ERROR_SCHEMA] and body["status"] == str(status) and body["detail"]
    assert "scimType" not in body


@pytest.mark.parametrize("path", DISCOVERY_PATHS)
async def test_discovery_endpoints_answer_scim_json(gateway, auth, path):
    """RFC 7644 §3.1, §4: 200 with Content-Type application/scim+json."""
    await ok_body(await gateway.get(path, headers=auth))


async def test_service_provider_config(gateway, auth, tenant):
    """RFC 7643 §5: what the server does, with the limits /Bulk and listing enforce."""
    body = await ok_body(await gateway.get("/scim/v2/ServiceProviderConfig", headers=auth))
    assert body["bulk"] == {"supported": True, "maxOperations": 1000, "maxPayloadSize": 1024 * 1024}
    assert body["filter"] == {"supported": True, "maxResults": 200}
    assert body["meta"]["location"] == f"{tenant['scim_base_url']}/ServiceProviderConfig"


async def test_schemas_is_a_list_response_of_every_schema(gateway, auth):
    """RFC 7644 §4; Entra: /Schemas must be a list response including the core Group schema."""
    body = await ok_body(await gateway.get("/scim/v2/Schemas", headers=auth))
    assert body["schemas"] == [LIST_RESPONSE_SCHEMA]
    assert [resource["id"] for resource in body["Resources"]] == URNS
    assert body["totalResults"] == body["itemsPerPage"] == len(URNS) and body["startIndex"] == 1


@pytest.mark.parametrize("urn", URNS)
async def test_schema_by_urn(gateway, auth, tenant, urn):
    """RFC 7644 §4: GET /Schemas/{urn} returns that one Schema resource."""
    body = await ok_body(await gateway.get(f"/scim/v2/Schemas/{urn}", headers=auth))
    assert body["id"] == urn
    assert body["meta"] == {"resourceType": "Schema", "location": f"{tenant['scim_base_url']}/Schemas/{urn}"}


@pytest.mark.parametrize("path", ["/scim/v2/Schemas/urn:example:unknown", "/scim/v2/ResourceTypes/Device"])
async def test_unknown_schema_or_resource_type_is_404(gateway, auth, path):
    await assert_scim_error(await gateway.get(path, headers=auth), 404)


async def test_resource_types_list_users_first(gateway, auth):
    """Microsoft's Postman collection asserts Resources[0].endpoint == "/Users"."""
    body = await ok_body(await gateway.get("/scim/v2/ResourceTypes", headers=auth))
    assert body["schemas"] == [LIST_RESPONSE_SCHEMA] and body["totalResults"] == 2
    assert [resource["endpoint"] for resource in body["Resources"]] == ["/Users", "/Groups"]


async def test_resource_type_by_name(gateway, auth):
    body = await ok_body(await gateway.get("/scim/v2/ResourceTypes/Group", headers=auth))
    assert body["endpoint"] == "/Groups" and body["meta"]["resourceType"] == "ResourceType"


@pytest.mark.parametrize("path", DISCOVERY_PATHS)
async def test_a_filter_is_403(gateway, auth, path):
    """RFC 7644 §4: a filter on a discovery endpoint SHOULD get 403 Forbidden."""
    response = await gateway.get(path, params={"filter": 'id eq "User"'}, headers=auth)
    await assert_scim_error(response, 403)


@pytest.mark.parametrize("path", ["/scim/v2/Schemas", "/scim/v2/ResourceTypes"])
async def test_paging_and_sorting_are_ignored(gateway, auth, path):
    """RFC 7644 §4: startIndex, count, sortBy and sortOrder SHALL be ignored."""
    everything = await ok_body(await gateway.get(path, headers=auth))
    params = {"startIndex": "2", "count": "1", "sortBy": "name", "sortOrder": "descending"}
    assert await ok_body(await gateway.get(path, params=params, headers=auth)) == everything


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_me_is_501(gateway, auth, method):
    """RFC 7644 §3.11: a server without /Me answers 501 Not Implemented."""
    await assert_scim_error(await gateway.request(method, "/scim/v2/Me", headers=auth), 501)


@pytest.mark.parametrize("path", [*DISCOVERY_PATHS, "/scim/v2/Me"])
async def test_unauthenticated_is_401(gateway, tenant, path):
    """The tenant token guards discovery too: it tells a caller nothing without one."""
    await assert_scim_error(await gateway.get(path), 401)
