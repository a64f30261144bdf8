"""The Schema resources served at /Schemas (RFC 7643 §7), as data: one line per attribute.

Core User, Group and Enterprise User follow the RFC 7643 §8.7.1 representation. Every attribute
carries every characteristic explicitly and optional ones are left out rather than sent as null:
Entra's validator reads them all and rejects nulls.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#: Our vendor extension (role, credits, products, seat state); RFC 7643 §3.3 extension naming.
EXTENSION_SCHEMA = "urn:ietf:params:scim:schemas:extension:scimflow:2.0:User"

#: One attribute definition, as served (RFC 7643 §7): characteristic name -> value.
Attribute = dict[str, Any]


def attribute(name: str, type: str, description: str, *, multi_valued: bool = False,
              required: bool = False, case_exact: bool = False, mutability: str = "readWrite",
              returned: str = "default", uniqueness: str = "none", sub_attributes: Sequence[Attribute] = (),
              canonical_values: Sequence[str] = (), reference_types: Sequence[str] = ()) -> Attribute:
    """One attribute definition (RFC 7643 §7); the keyword defaults are the RFC 7643 §2.2 defaults."""
    definition: dict[str, Any] = {
        "name": name, "type": type, "multiValued": multi_valued, "description": description,
        "required": required, "caseExact": case_exact, "mutability": mutability,
        "returned": returned, "uniqueness": uniqueness,
    }
    optional = {"subAttributes": sub_attributes, "canonicalValues": canonical_values,
                "referenceTypes": reference_types}
    definition.update({key: list(value) for key, value in optional.items() if value})
    return definition


def complex_attribute(name: str, description: str, sub_attributes: Sequence[Attribute],
                      **characteristics: Any) -> Attribute:
    return attribute(name, "complex", description, sub_attributes=sub_attributes, **characteristics)


def multi_valued(name: str, description: str, *, value: Attribute | None = None, types: Sequence[str] = (),
                 mutability: str = "readWrite") -> Attribute:
    """A multi-valued complex attribute with the value/display/type/primary sub-attributes (RFC 7643 §2.4)."""
    return complex_attribute(name, description, [
        value or attribute("value", "string", f"One of the {name}.", mutability=mutability),
        attribute("display", "string", "A human-readable name, primarily used for display purposes.",
                  mutability=mutability),
        attribute("type", "string", "A label indicating the attribute's function.", canonical_values=types,
                  mutability=mutability),
        attribute("primary", "boolean", "The preferred value of this attribute; true at most once.",
                  mutability=mutability),
    ], multi_valued=True, mutability=mutability)


def common_attributes(resource: str) -> list[Attribute]:
    """id, externalId and meta (RFC 7643 §3.1): listed so clients can discover their characteristics."""
    return [
        attribute("id", "string", f"The service provider's unique, stable identifier of the {resource}.",
                  case_exact=True, returned="always", uniqueness="server", mutability="readOnly"),
        attribute("externalId", "string", f"The provisioning client's identifier of the {resource}.",
                  case_exact=True),
        complex_attribute("meta", "Resource metadata.", [
            attribute("resourceType", "string", "The name of the resource type.", case_exact=True,
                      mutability="readOnly"),
            attribute("created", "dateTime", "When the resource was added.", mutability="readOnly"),
            attribute("lastModified", "dateTime", "When the resource was last changed.", mutability="readOnly"),
            attribute("location", "reference", "The URI of the resource.", case_exact=True,
                      reference_types=["uri"], mutability="readOnly"),
            attribute("version", "string", "The version, as a weak ETag.", case_exact=True, mutability="readOnly"),
        ], mutability="readOnly"),
    ]


def _name() -> Attribute:
    parts = [
        ("formatted", "The full name, formatted for display."),
        ("familyName", "The family (last) name."),
        ("givenName", "The given (first) name."),
        ("middleName", "The middle name(s)."),
        ("honorificPrefix", "The honorific prefix(es) or title, e.g. 'Ms.'."),
        ("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
    ]
    return complex_attribute("name", "The components of the user's real name.",
                             [attribute(part, "string", description) for part, description in parts])


def _addresses() -> Attribute:
    parts = ["formatted", "streetAddress", "locality", "region", "postalCode", "country"]
    sub_attributes = [attribute(part, "string", f"The {part} component of the address.") for part in parts]
    sub_attributes += [
        attribute("type", "string", "A label, e.g. 'work'.", canonical_values=["work", "home", "other"]),
        # RFC 7643 §4.1.2 allows primary on addresses, though the §8.7.1 listing leaves it out.
        attribute("primary", "boolean", "The preferred mailing address; true at most once."),
    ]
    return complex_attribute("addresses", "Physical mailing addresses.", sub_attributes, multi_valued=True)


def _groups() -> Attribute:
    return complex_attribute("groups", "Groups the user belongs to; changed through /Groups only.", [
        attribute("value", "string", "The id of the group.", mutability="readOnly"),
        attribute("$ref", "reference", "The URI of the group.", reference_types=["User", "Group"],
                  mutability="readOnly"),
        attribute("display", "string", "The group's displayName.", mutability="readOnly"),
        attribute("type", "string", "Direct or indirect membership.", canonical_values=["direct", "indirect"],
                  mutability="readOnly"),
    ], multi_valued=True, mutability="readOnly")


def _user_attributes() -> list[Attribute]:
    return [
        *common_attributes("User"),
        attribute("userName", "string", "Unique identifier the user signs in with. REQUIRED.", required=True,
                  uniqueness="server"),
        _name(),
        attribute("displayName", "string", "The name of the user, suitable for display."),
        attribute("nickName", "string", "The casual way to address the user, e.g. 'Bob' for 'Robert'."),
        attribute("profileUrl", "reference", "URL of the user's online profile.", reference_types=["external"]),
        attribute("title", "string", "The user's title, e.g. 'Vice President'."),
        attribute("userType", "string", "The relationship to the organisation, e.g. 'Employee', 'Contractor'."),
        attribute("preferredLanguage", "string", "Preferred written or spoken language, e.g. 'en-US'."),
        attribute("locale", "string", "Default location for localising currency, dates and numbers."),
        attribute("timezone", "string", "Time zone in IANA 'Olson' format, e.g. 'America/Los_Angeles'."),
        attribute("active", "boolean", "The user's administrative status."),
        attribute("password", "string", "Initial or reset password; accepted, never stored or returned.",
                  mutability="writeOnly", returned="never"),
        multi_valued("emails", "Email addresses.", types=["work", "home", "other"]),
        multi_valued("phoneNumbers", "Phone numbers, ideally RFC 3966 'tel:' URIs.",
                     types=["work", "home", "mobile", "fax", "pager", "other"]),
        multi_valued("ims", "Instant messaging addresses.",
                     types=["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
        multi_valued("photos", "URLs of photos of the user.", types=["photo", "thumbnail"],
                     value=attribute("value", "reference", "URL of a photo.", reference_types=["external"])),
        _addresses(),
        _groups(),
        multi_valued("entitlements", "Entitlements: things the user has."),
        multi_valued("roles", "Roles: who the user is, e.g. 'Student', 'Faculty'."),
        multi_valued("x509Certificates", "Certificates issued to the user.",
                     value=attribute("value", "binary", "A DER-encoded X.509 certificate.")),
    ]


def _group_attributes() -> list[Attribute]:
    return [
        *common_attributes("Group"),
        # RFC 7643 §4.2 calls displayName REQUIRED; the §8.7.1 listing's "required": false contradicts it.
        # Unique per tenant (Entra requires it; a second group of the same name is 409), as userName is.
        attribute("displayName", "string", "A human-readable name for the group. REQUIRED.", required=True,
                  uniqueness="server"),
        complex_attribute("members", "The members of the group.", [
            attribute("value", "string", "The id of the member.", mutability="immutable"),
            attribute("$ref", "reference", "The member's URI.", reference_types=["User", "Group"],
                      mutability="immutable"),
            attribute("type", "string", "The member's resource type.", canonical_values=["User", "Group"],
                      mutability="immutable"),
            # Not in the RFC 7643 §8.7.1 listing, but in its §8.4 examples and sent by Okta: we fill it in.
            attribute("display", "string", "The member's displayName (or userName).", mutability="readOnly"),
        ], multi_valued=True),
    ]


def _enterprise_attributes() -> list[Attribute]:
    parts = ["employeeNumber", "costCenter", "organization", "division", "department"]
    return [
        *(attribute(part, "string", f"The user's {part}.") for part in parts),
        complex_attribute("manager", "The user's manager.", [
            attribute("value", "string", "The id of the manager's User resource."),
            attribute("$ref", "reference", "The URI of the manager's User resource.", reference_types=["User"]),
            attribute("displayName", "string", "The manager's display name.", mutability="readOnly"),
        ]),
    ]


def _extension_attributes() -> list[Attribute]:
    return [
        attribute("role", "string", "The user's role in the product.", canonical_values=["User", "Admin"]),
        attribute("userCredit", "string", "Credit policy; 'Limited' caps usage at creditLimit.",
                  canonical_values=["Limited", "Unlimited"]),
        attribute("creditLimit", "integer", "Credits per period when userCredit is 'Limited'."),
        attribute("resetUsage", "string", "How often used credits reset.",
                  canonical_values=["Monthly", "Quarterly", "Yearly", "Never"]),
        attribute("products", "string", "Products the user holds a seat of, e.g. 'Sales', 'Marketing', "
                  "'Talent', 'Engage', 'ZI Chat', 'ReachOut Lite'.", multi_valued=True),
        attribute("scimActive", "boolean", "Assigned and synced by the identity provider.", mutability="readOnly"),
        attribute("platformActive", "boolean", "The user holds at least one product seat.", mutability="readOnly"),
        attribute("subscriptionSet", "string", "The subscription set the user is in: the one named like "
                  "their identity provider group.", mutability="readOnly"),
        attribute("effectiveRole", "string", "A set member's role in the product: Admin where the set gives "
                  "the admin role, else their own role.", canonical_values=["User", "Admin"], mutability="readOnly"),
    ]


_DEFINITIONS: tuple[dict[str, Any], ...] = (
    {"id": USER_SCHEMA, "name": "User", "description": "User Account", "attributes": _user_attributes()},
    {"id": GROUP_SCHEMA, "name": "Group", "description": "Group", "attributes": _group_attributes()},
    {"id": ENTERPRISE_SCHEMA, "name": "EnterpriseUser", "description": "Enterprise User",
     "attributes": _enterprise_attributes()},
    {"id": EXTENSION_SCHEMA, "name": "ScimflowUser", "description": "Product role, credits and seats of a User",
     "attributes": _extension_attributes()},
)


def definitions() -> dict[str, list[Attribute]]:
    """Every schema's attribute definitions by URN (copies: callers cannot alter what is served)."""
    return {definition["id"]: copy.deepcopy(definition["attributes"]) for definition in _DEFINITIONS}


def schemas(base_url: str) -> list[dict[str, Any]]:
    """Every Schema resource this server serves (RFC 7643 §7, RFC 7644 §4)."""
    return [_resource(definition, base_url) for definition in _DEFINITIONS]


def schema(urn: str, base_url: str) -> dict[str, Any] | None:
    """One Schema resource by URN, or None. URNs compare case-insensitively, as Entra matches them."""
    found = [definition for definition in _DEFINITIONS if definition["id"].lower() == urn.lower()]
    return _resource(found[0], base_url) if found else None


def _resource(definition: dict[str, Any], base_url: str) -> dict[str, Any]:
    # A deep copy, so no caller can alter what the next request is served.
    meta = {"resourceType": "Schema", "location": f"{base_url}/Schemas/{definition['id']}"}
    return {"schemas": [SCHEMA_SCHEMA], **copy.deepcopy(definition), "meta": meta}
