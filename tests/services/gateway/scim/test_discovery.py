"""The pure discovery core: Schema, ResourceType and ServiceProviderConfig resources (RFC 7643 §5-8)."""

from collections.abc import Iterator

import pytest

from services.gateway.scim import discovery
from services.gateway.scim.bulk import MAX_OPERATIONS, MAX_PAYLOAD_SIZE
from services.gateway.scim.listing import MAX_RESULTS
from shared.scim import schemas
from shared.scim.errors import ScimError

BASE = "https://scim.example.com/scim/v2"
CHARACTERISTICS = {"name", "type", "multiValued", "description", "required", "caseExact", "mutability",
                   "returned", "uniqueness"}
TYPES = {"string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex"}
URNS = [schemas.USER_SCHEMA, schemas.GROUP_SCHEMA, schemas.ENTERPRISE_SCHEMA, schemas.EXTENSION_SCHEMA]


def walk_attributes(attributes: list[dict]) -> Iterator[dict]:
    for attribute in attributes:
        yield attribute
        yield from walk_attributes(attribute.get("subAttributes", []))


def values(node: object) -> Iterator[object]:
    if isinstance(node, dict):
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            yield item
            yield from values(item)


def top_level(urn: str) -> dict[str, dict]:
    return {attribute["name"]: attribute for attribute in schemas.schema(urn, BASE)["attributes"]}


def test_schemas_serves_user_group_enterprise_and_our_extension():
    """RFC 7644 §4 /Schemas; Entra fails every group test without the core Group schema."""
    assert [resource["id"] for resource in schemas.schemas(BASE)] == URNS


def attributes_of(urn: str) -> list[dict]:
    return list(walk_attributes(schemas.schema(urn, BASE)["attributes"]))


@pytest.mark.parametrize("urn", URNS)
def test_every_attribute_carries_every_characteristic(urn):
    """RFC 7643 §7: each attribute states name, type, multiValued, description, required, caseExact,
    mutability, returned and uniqueness, each with a value the RFC defines (Entra reads all of them)."""
    for attribute in attributes_of(urn):
        assert CHARACTERISTICS <= attribute.keys(), attribute["name"]
        assert attribute["type"] in TYPES, attribute["name"]
        assert attribute["mutability"] in {"readOnly", "readWrite", "immutable", "writeOnly"}, attribute["name"]
        assert attribute["returned"] in {"always", "never", "default", "request"}, attribute["name"]
        assert attribute["uniqueness"] in {"none", "server", "global"}, attribute["name"]
        assert attribute["description"], attribute["name"]


@pytest.mark.parametrize("urn", URNS)
def test_complex_and_reference_attributes_say_what_they_hold(urn):
    """RFC 7643 §2.3.7-§2.3.8: complex attributes have sub-attributes (never complex ones);
    references name their referenceTypes."""
    for attribute in attributes_of(urn):
        assert ("subAttributes" in attribute) == (attribute["type"] == "complex"), attribute["name"]
        assert all(sub["type"] != "complex" for sub in attribute.get("subAttributes", [])), attribute["name"]
        if attribute["type"] == "reference":
            assert attribute["referenceTypes"], attribute["name"]


def test_no_null_and_no_empty_optional_characteristic_anywhere():
    """Entra: "if a value isn't present, don't send null values"."""
    config = discovery.service_provider_config(BASE)
    for resource in [*schemas.schemas(BASE), *discovery.resource_types(BASE), config]:
        assert None not in list(values(resource))
    for attribute in (attribute for urn in URNS for attribute in attributes_of(urn)):
        for optional in ("subAttributes", "canonicalValues", "referenceTypes"):
            assert attribute.get(optional, ["absent"]) != []


def test_user_name_characteristics():
    """RFC 7643 §8.7.1: userName is required, not case-exact, unique across the server."""
    user_name = top_level(schemas.USER_SCHEMA)["userName"]
    assert user_name["required"] is True and user_name["caseExact"] is False
    assert user_name["uniqueness"] == "server" and user_name["mutability"] == "readWrite"


def test_group_display_name_is_advertised_unique_as_it_is_enforced():
    """A second group of the same name (any case) is 409 uniqueness: /Schemas says so (Entra reads it)."""
    display_name = top_level(schemas.GROUP_SCHEMA)["displayName"]
    assert (display_name["required"], display_name["uniqueness"]) == (True, "server")


def test_password_is_write_only_and_never_returned():
    """RFC 7643 §4.1.1, §8.7.1: password is writeOnly and returned "never"."""
    password = top_level(schemas.USER_SCHEMA)["password"]
    assert (password["mutability"], password["returned"]) == ("writeOnly", "never")


@pytest.mark.parametrize("urn", [schemas.USER_SCHEMA, schemas.GROUP_SCHEMA])
def test_id_is_read_only_always_returned_and_case_exact(urn):
    """RFC 7643 §3.1: id is caseExact, readOnly, returned "always"."""
    id_ = top_level(urn)["id"]
    assert (id_["mutability"], id_["returned"], id_["caseExact"]) == ("readOnly", "always", True)


def test_groups_on_a_user_are_read_only():
    """RFC 7643 §4.1.2: groups is readOnly; membership changes go through /Groups."""
    groups = top_level(schemas.USER_SCHEMA)["groups"]
    assert groups["mutability"] == "readOnly" and groups["multiValued"] is True
    assert {sub["mutability"] for sub in groups["subAttributes"]} == {"readOnly"}


def test_emails_and_name_sub_attributes():
    """RFC 7643 §8.7.1: emails is multi-valued complex; name is single-valued complex."""
    user = top_level(schemas.USER_SCHEMA)
    emails = user["emails"]
    assert emails["multiValued"] is True
    assert [sub["name"] for sub in emails["subAttributes"]] == ["value", "display", "type", "primary"]
    assert user["name"]["multiValued"] is False
    assert [sub["name"] for sub in user["name"]["subAttributes"]] == [
        "formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"]


def test_group_has_display_name_and_members():
    """RFC 7643 §4.2, §8.7.1; display as in the §8.4 examples (Okta sends it; we fill it in)."""
    group = top_level(schemas.GROUP_SCHEMA)
    assert group["displayName"]["required"] is True
    assert {sub["name"] for sub in group["members"]["subAttributes"]} == {"value", "$ref", "type", "display"}


def test_enterprise_user_has_manager_and_organisation_fields():
    """RFC 7643 §4.3."""
    enterprise = top_level(schemas.ENTERPRISE_SCHEMA)
    parts = {"employeeNumber", "costCenter", "organization", "division", "department", "manager"}
    assert enterprise.keys() == parts


def test_extension_attributes():
    """Our extension (RFC 7643 §3.3): role, credits, usage reset, products, the two active flags and the
    subscription set with the role it gives."""
    extension = top_level(schemas.EXTENSION_SCHEMA)
    assert extension["role"]["canonicalValues"] == ["User", "Admin"]
    assert extension["userCredit"]["type"] == "string"
    assert extension["creditLimit"]["type"] == "integer"
    assert extension["resetUsage"]["canonicalValues"] == ["Monthly", "Quarterly", "Yearly", "Never"]
    assert extension["products"]["multiValued"] is True and extension["products"]["type"] == "string"
    for flag in ("scimActive", "platformActive"):
        assert (extension[flag]["type"], extension[flag]["mutability"]) == ("boolean", "readOnly")
    for name in ("subscriptionSet", "effectiveRole"):
        assert (extension[name]["type"], extension[name]["mutability"]) == ("string", "readOnly")


@pytest.mark.parametrize("urn", URNS)
def test_schema_by_urn_has_schema_meta(urn):
    """RFC 7643 §7, §3.1: a Schema resource's meta names its type and location."""
    resource = schemas.schema(urn.upper(), BASE)
    assert resource["id"] == urn
    assert resource["schemas"] == [schemas.SCHEMA_SCHEMA]
    assert resource["meta"] == {"resourceType": "Schema", "location": f"{BASE}/Schemas/{urn}"}


def test_unknown_schema_is_none():
    assert schemas.schema("urn:example:nope", BASE) is None


def test_served_resources_are_copies():
    """One caller changing its copy cannot change what the next request is served."""
    schemas.schemas(BASE)[0]["attributes"].clear()
    discovery.resource_types(BASE)[0]["schemaExtensions"].clear()
    assert schemas.schemas(BASE)[0]["attributes"] and discovery.resource_types(BASE)[0]["schemaExtensions"]


def test_resource_types_reference_only_served_schemas():
    """RFC 7643 §6: schema and schemaExtensions are URNs of schemas the server publishes."""
    served = {resource["id"] for resource in schemas.schemas(BASE)}
    for resource_type in discovery.resource_types(BASE):
        referenced = {resource_type["schema"], *(ext["schema"] for ext in resource_type["schemaExtensions"])}
        assert referenced <= served


def test_user_resource_type_comes_first_with_both_extensions():
    """Microsoft's Postman collection asserts Resources[0].endpoint == "/Users"."""
    user = discovery.resource_types(BASE)[0]
    assert (user["endpoint"], user["schema"]) == ("/Users", schemas.USER_SCHEMA)
    assert user["schemaExtensions"] == [{"schema": schemas.ENTERPRISE_SCHEMA, "required": False},
                                        {"schema": schemas.EXTENSION_SCHEMA, "required": False}]
    assert user["meta"] == {"resourceType": "ResourceType", "location": f"{BASE}/ResourceTypes/User"}


def test_resource_type_by_name():
    assert discovery.resource_type("group", BASE)["endpoint"] == "/Groups"
    assert discovery.resource_type("Device", BASE) is None


def test_service_provider_config_is_truthful_about_today():
    """RFC 7643 §5: PATCH, bulk, sort, ETags and filters (up to maxResults); no password change."""
    config = discovery.service_provider_config(BASE)
    assert config["schemas"] == [discovery.SERVICE_PROVIDER_CONFIG_SCHEMA]
    assert config["bulk"] == {"supported": True, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD_SIZE}
    assert config["filter"] == {"supported": True, "maxResults": MAX_RESULTS}
    for feature in ("patch", "sort", "etag"):
        assert config[feature] == {"supported": True}
    assert config["changePassword"] == {"supported": False}
    location = f"{BASE}/ServiceProviderConfig"
    assert config["meta"] == {"resourceType": "ServiceProviderConfig", "location": location}


def test_authentication_scheme_is_the_bearer_token():
    """RFC 7643 §5: authenticationSchemes with type "oauthbearertoken"."""
    (scheme,) = discovery.service_provider_config(BASE)["authenticationSchemes"]
    assert scheme["type"] == "oauthbearertoken" and scheme["name"] == "OAuth Bearer Token"
    assert scheme["primary"] is True and scheme["description"]


@pytest.mark.parametrize("query", [{"filter": 'name eq "User"'}, {"Filter": ""}])
def test_a_filter_is_forbidden(query):
    """RFC 7644 §4: a filter on a discovery endpoint SHOULD get 403 Forbidden (no scimType defined)."""
    with pytest.raises(ScimError) as raised:
        discovery.reject_filter(query)
    assert (raised.value.status, raised.value.scim_type) == (403, None)


def test_paging_and_sorting_parameters_pass():
    """RFC 7644 §4: paging and sorting parameters SHALL be ignored, not refused."""
    discovery.reject_filter({"startIndex": "2", "count": "1", "sortBy": "name", "sortOrder": "descending"})
