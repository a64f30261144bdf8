"""Service discovery: /ServiceProviderConfig, /Schemas, /ResourceTypes (RFC 7644 §4, RFC 7643 §5–7)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.idp_flows.bodies import (
    BULK_REQUEST,
    BULK_RESPONSE,
    ENTERPRISE,
    GROUP,
    SCIMFLOW,
    SERVICE_PROVIDER_CONFIG,
    USER,
)
from tests.idp_flows.client import ScimClient

DISCOVERY = ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"]
CHARACTERISTICS = {"name", "type", "multiValued", "required", "caseExact", "mutability", "returned",
                   "uniqueness"}
ALLOWED = {
    "type": {"string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"},
    "mutability": {"readOnly", "readWrite", "immutable", "writeOnly"},
    "returned": {"always", "never", "default", "request"},
    "uniqueness": {"none", "server", "global"},
}
#: Every attribute the Okta and Entra flows map (Entra's validator flattens /Schemas into these paths).
MAPPED_PATHS = {
    USER: ["userName", "name.givenName", "name.familyName", "name.formatted", "displayName", "nickName",
           "title", "externalId", "active", "locale", "password", "emails.value", "emails.type",
           "emails.primary", "groups.value", "roles"],
    ENTERPRISE: ["employeeNumber", "manager", "manager.value"],
    SCIMFLOW: ["role", "userCredit", "creditLimit", "resetUsage", "products"],
    GROUP: ["displayName", "externalId", "members", "members.value"],
}


async def listing(scim: ScimClient, endpoint: str, **params: object) -> list[dict[str, Any]]:
    return (await scim.get(endpoint, params=params or None)).expect_list()["Resources"]


async def schemas_by_id(scim: ScimClient) -> dict[str, dict[str, Any]]:
    return {schema["id"]: schema for schema in await listing(scim, "/Schemas")}


def walk(attributes: list[dict[str, Any]], prefix: str = ""):
    """(dotted path, definition) for every attribute and sub-attribute."""
    for attribute in attributes:
        yield prefix + attribute["name"], attribute
        yield from walk(attribute.get("subAttributes", []), f"{prefix}{attribute['name']}.")


def nulls(value: Any, where: str = "") -> list[str]:
    """Where a JSON document holds null (Entra: "don't send null values")."""
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [n for key, item in value.items() for n in nulls(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [n for index, item in enumerate(value) for n in nulls(item, f"{where}[{index}]")]
    return []


async def test_service_provider_config_is_complete(scim):
    """SCIM-NOTES §1.7 / RFC 7643 §5: every feature block present; patch, bulk, filter, sort and etag
    advertised (the server implements them), with integer limits and an authentication scheme."""
    config = (await scim.get("/ServiceProviderConfig")).expect(200)
    assert config["schemas"] == [SERVICE_PROVIDER_CONFIG]
    for feature in ("patch", "bulk", "filter", "changePassword", "sort", "etag"):
        assert type(config[feature]["supported"]) is bool, feature
    assert all(config[feature]["supported"] for feature in ("patch", "bulk", "filter", "sort", "etag")), config
    assert type(config["filter"]["maxResults"]) is int and config["filter"]["maxResults"] > 0
    assert type(config["bulk"]["maxOperations"]) is int and config["bulk"]["maxOperations"] > 0
    assert type(config["bulk"]["maxPayloadSize"]) is int and config["bulk"]["maxPayloadSize"] > 0
    [scheme] = config["authenticationSchemes"]
    assert scheme["type"] == "oauthbearertoken" and scheme["name"] and scheme["description"]


async def test_change_password_is_advertised_truthfully(scim):
    """SCIM-NOTES §1.7, §1.20 / RFC 7643 §5: passwords are never stored, so changePassword is false."""
    config = (await scim.get("/ServiceProviderConfig")).expect(200)
    assert config["changePassword"] == {"supported": False}


@pytest.mark.parametrize("endpoint", DISCOVERY)
async def test_discovery_ignores_paging_parameters(scim, endpoint):
    """SCIM-NOTES §1.7 / RFC 7644 §4: startIndex, count, sortBy and sortOrder "SHALL be ignored"."""
    plain = (await scim.get(endpoint)).expect(200)
    paged = (await scim.get(endpoint, params={"startIndex": 2, "count": 1, "sortBy": "name",
                                              "sortOrder": "descending"})).expect(200)
    assert paged == plain


@pytest.mark.parametrize("endpoint", DISCOVERY)
async def test_discovery_rejects_a_filter_with_403(scim, endpoint):
    """SCIM-NOTES §1.7 / RFC 7644 §4: a filter on a discovery endpoint SHOULD be answered 403."""
    (await scim.get(endpoint, params={"filter": 'id eq "User"'})).expect_error(403)


async def test_schemas_lists_core_enterprise_and_our_extension(scim):
    """SCIM-NOTES §1.8, §1.10, §1.54 / RFC 7644 §4: a ListResponse of Schema resources, including the
    Group schema (without it Entra's validator fails every group test) and our extension."""
    found = await schemas_by_id(scim)
    assert {USER, GROUP, ENTERPRISE, SCIMFLOW} <= found.keys()
    for urn, schema in found.items():
        assert schema["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
        assert schema["name"] and schema["attributes"], urn
        assert schema["meta"]["resourceType"] == "Schema"


async def test_every_attribute_carries_every_characteristic(scim):
    """SCIM-NOTES §1.8 / RFC 7643 §7: name, type, multiValued, required, caseExact, mutability, returned,
    uniqueness on every attribute, camelCase values, subAttributes on complex, referenceTypes on
    references, and no nulls anywhere (Entra)."""
    for urn, schema in (await schemas_by_id(scim)).items():
        assert nulls(schema) == [], urn
        for path, attribute in walk(schema["attributes"]):
            assert CHARACTERISTICS <= attribute.keys(), (urn, path)
            for characteristic, values in ALLOWED.items():
                assert attribute[characteristic] in values, (urn, path, characteristic)
            assert (attribute["type"] == "complex") == bool(attribute.get("subAttributes")), (urn, path)
            assert attribute["type"] != "reference" or attribute.get("referenceTypes"), (urn, path)


async def test_schema_by_urn_is_the_listed_schema(scim):
    """SCIM-NOTES §1.8 / RFC 7644 §4: ``GET /Schemas/{urn}`` returns that one Schema."""
    for urn, schema in (await schemas_by_id(scim)).items():
        assert (await scim.get(f"/Schemas/{urn}")).expect(200) == schema


async def test_unknown_schema_is_404(scim):
    """SCIM-NOTES §1.4, §1.8 / RFC 7644 §3.12: an unknown schema URN is a 404 Error."""
    (await scim.get("/Schemas/urn:example:nothing")).expect_error(404)


async def test_every_mapped_attribute_is_discoverable(scim):
    """SCIM-NOTES §1.10: every attribute path Okta and Entra map is in /Schemas (case-insensitively),
    ``emails`` with ``type`` and ``value`` so ``emails[type eq "work"].value`` resolves."""
    found = await schemas_by_id(scim)
    for urn, paths in MAPPED_PATHS.items():
        known = {path.lower() for path, _ in walk(found[urn]["attributes"])}
        assert [path for path in paths if path.lower() not in known] == [], urn


async def test_password_is_write_only_and_never_returned(scim):
    """SCIM-NOTES §1.20 / RFC 7643 §4.1.1: password is ``writeOnly`` and ``returned: never``."""
    attributes = dict(walk((await scim.get(f"/Schemas/{USER}")).expect(200)["attributes"]))
    assert (attributes["password"]["mutability"], attributes["password"]["returned"]) == ("writeOnly", "never")


async def test_id_and_external_id_characteristics(scim):
    """SCIM-NOTES §1.52 / RFC 7643 §3.1: id readOnly, caseExact, returned always, unique; externalId
    caseExact and readWrite (the client owns it)."""
    attributes = dict(walk((await scim.get(f"/Schemas/{USER}")).expect(200)["attributes"]))
    identifier, external = attributes["id"], attributes["externalId"]
    assert identifier["mutability"] == "readOnly" and identifier["caseExact"] is True
    assert identifier["returned"] == "always"
    assert identifier["uniqueness"] in {"server", "global"}
    assert (external["mutability"], external["caseExact"]) == ("readWrite", True)


async def test_resource_types_list_users_first(scim):
    """SCIM-NOTES §1.9 / RFC 7643 §6: id, name, endpoint, schema, schemaExtensions; Microsoft's Postman
    collection asserts ``Resources[0].endpoint == "/Users"``."""
    types = await listing(scim, "/ResourceTypes")
    assert types[0]["endpoint"] == "/Users"
    for resource_type in types:
        assert {"id", "name", "endpoint", "schema", "schemaExtensions"} <= resource_type.keys()
        for extension in resource_type["schemaExtensions"]:
            assert extension["schema"] and type(extension["required"]) is bool
    assert {(t["name"], t["endpoint"], t["schema"]) for t in types} >= {("User", "/Users", USER),
                                                                        ("Group", "/Groups", GROUP)}


async def test_user_resource_type_names_both_extensions(scim):
    """SCIM-NOTES §1.54, §1.9 / RFC 7643 §6: the enterprise and scimflow extensions, both optional."""
    user_type = (await scim.get("/ResourceTypes/User")).expect(200)
    assert {(e["schema"], e["required"]) for e in user_type["schemaExtensions"]} == {
        (ENTERPRISE, False), (SCIMFLOW, False)}


async def test_our_extension_schema_holds_the_product_attributes(scim):
    """SCIM-NOTES §1.54 / PRODUCT.md: role, userCredit, creditLimit (integer), resetUsage, products
    (multi-valued) under ``urn:ietf:params:scim:schemas:extension:scimflow:2.0:User``."""
    attributes = dict(walk((await scim.get(f"/Schemas/{SCIMFLOW}")).expect(200)["attributes"]))
    assert attributes["creditLimit"]["type"] == "integer"
    assert attributes["products"]["multiValued"] is True
    assert {"User", "Admin"} <= set(attributes["role"].get("canonicalValues", []))


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
async def test_me_is_501(scim, method):
    """SCIM-NOTES §1.5 / RFC 7644 §3.11: /Me is not supported ⇒ 501 Not Implemented, as an Error."""
    (await scim.request(method, "/Me", json=None if method in {"GET", "DELETE"} else {})).expect_error(501)


async def test_bulk_endpoint_agrees_with_service_provider_config(scim):
    """SCIM-NOTES §1.5, §1.51 / RFC 7644 §3.7: /Bulk answers 200 when ``bulk.supported``, else 501."""
    supported = (await scim.get("/ServiceProviderConfig")).expect(200)["bulk"]["supported"]
    response = await scim.post("/Bulk", json={"schemas": [BULK_REQUEST], "Operations": []})
    if supported:
        assert response.expect(200)["schemas"] == [BULK_RESPONSE]
    else:
        response.expect_error(501)

