"""SCIM 2.0 acceptance tests: the production app on the in-memory bus with the real user store.

Each test names the SCIM-NOTES §1 statement it checks in its docstring (``SCIM-NOTES §1.13 / RFC
7644 §3.3: …``); ``test_statement_coverage.py`` fails if any statement below has no test. The
statements are summarised here so CI, which clones only this repository, can check coverage.
"""

from __future__ import annotations

import pytest

from tests.idp_flows.client import ScimClient
from tests.services.gateway.admin_support import OPERATOR, add_admin, bearer
from tests.support.seats import product_body

SCIM_BASE = "/scim/v2"

#: SCIM-NOTES §1, one line each (RFC 7643/7644 and what Okta and Entra require of a server).
STATEMENTS: dict[int, str] = {
    1: "every response body is application/scim+json",
    2: "application/json and charset parameters accepted on requests",
    3: "missing/invalid bearer token -> 401 SCIM Error",
    4: "unknown id -> 404 SCIM Error with detail",
    5: "/Me -> 501; unsupported endpoints 501 and advertised as unsupported",
    6: "resource paths case-insensitive (/users)",
    7: "ServiceProviderConfig complete and truthful; discovery ignores paging, filter -> 403",
    8: "/Schemas ListResponse and /Schemas/{urn}; full attribute characteristics, no nulls",
    9: "/ResourceTypes: id, name, endpoint, schema, schemaExtensions; Users first",
    10: "Group schema present; every attribute path Okta/Entra map is discoverable",
    11: "POST /Users -> 201, full body, Location = meta.location, server-assigned id without 'bulkId'",
    12: "meta.resourceType/created/lastModified/location/version",
    13: "duplicate userName (case-insensitive) -> 409 uniqueness, every time",
    14: "missing userName -> 400 invalidValue; malformed JSON -> 400 invalidSyntax",
    15: "unknown attributes in PUT ignored, not echoed",
    16: "string booleans ('True'/'False') coerced",
    17: "GET /Users/{id} -> 200 with that id",
    18: "PUT replaces: omitted cleared, readOnly ignored, required missing -> 400",
    19: "DELETE -> 204 then 404; deactivated users still returned",
    20: "password never returned",
    21: "returned:always survives excludedAttributes",
    22: "ListResponse shape with integer paging fields",
    23: "no match -> 200, totalResults 0, Resources []",
    24: "startIndex/count clamping; itemsPerPage = len(Resources)",
    25: "startIndex past the end -> 200, empty page, right totalResults",
    26: "stable order across pages without sortBy",
    27: "totalResults counts all matches",
    28: "all filter operators, logic, grouping and precedence",
    29: "attribute names and operators case-insensitive in filters",
    30: "string comparisons honour caseExact",
    31: "value-path filters, sub-attribute filters, URN-qualified names",
    32: "the filters Entra needs (userName, externalId, work email, group displayName)",
    33: "bad filter -> 400 invalidFilter",
    34: "sortBy/sortOrder, multi-valued sorts by primary",
    35: "attributes/excludedAttributes on GET, list, POST, PUT, PATCH",
    36: "POST /Users/.search and POST /.search",
    37: "PatchOp schema; op case-insensitive",
    38: "PATCH operations are atomic",
    39: "PATCH success -> 200 with resource or 204",
    40: "add semantics (append+dedupe, single-valued replace, path-less object)",
    41: "path-less replace with dotted and URN-qualified keys",
    42: "replace on emails[type eq \"work\"].value, creating the element when absent (Entra)",
    43: "remove needs a path; filtered remove; remove all members",
    44: "Entra remove members with a value list removes only those",
    45: "remove manager[value eq \"id\"]",
    46: "readOnly -> mutability, bad path -> invalidPath, bad type -> invalidValue",
    47: "many members in one PATCH, with \"$ref\": null",
    48: "ETag = meta.version; If-Match -> 412; If-None-Match -> 304",
    49: "Error body: schemas, status as string, scimType, detail",
    50: "only RFC scimTypes and status codes",
    51: "Bulk: BulkResponse, bulkId references, failOnErrors, 413 limits",
    52: "id readOnly/caseExact/unique/stable; externalId client-owned, caseExact, readWrite",
    53: "at most one primary value",
    54: "extension attributes under their URN and in schemas[]",
    55: "values stored verbatim; invalid ones rejected with a descriptive 400",
}


@pytest.fixture
async def scim(gateway, user_store, auth, subscribe, tenant) -> ScimClient:
    """A SCIM session for one fresh tenant against ``create_app`` + the real user store and seat allocator.

    The tenant is set up like a customer whose users bring their products (Okta's bodies ask for
    Sales) and who also assigns seats by group: a subscription set exists, so a user created without
    products is provisioned and waits for their group (seat_allocator/domain.py products_required).
    """
    for product in ("Sales", "Talent"):
        await subscribe(product, 10_000)
    admin = bearer((await add_admin(gateway, tenant["tenant_id"]))["admin_key"])
    response = await gateway.post("/admin/v1/tenant/subscription-sets", headers=admin,
                                  json={"name": "All Staff", "products": ["Sales"]})
    assert response.status == 201, await response.text()
    return ScimClient(gateway, SCIM_BASE, auth)


@pytest.fixture
def subscribe(gateway, tenant):
    """The operator subscribes the tenant to a product (admin API), expiring in a year; one already
    subscribed gets at least ``seats``."""
    async def subscribe(product: str, seats: int) -> None:
        products = f"/admin/v1/tenants/{tenant['tenant_id']}/products"
        response = await gateway.post(products, json=product_body(product, seats), headers=OPERATOR)
        if response.status == 409:
            response = await gateway.patch(f"{products}/{product}", json={"seats": seats}, headers=OPERATOR)
        assert response.status in (200, 201), await response.text()
    return subscribe
