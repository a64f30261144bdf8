"""Tenant isolation (issue 5 "done when" 3): another tenant's resources answer 404, never 403.

The routes come from the app's router, so a new route that takes a resource id joins this test by
itself (and fails it until a request body for its method is known here).
"""

import re

import pytest

from services.gateway.app import create_app
from tests.conftest import gateway_settings
from tests.services.gateway.admin_support import bearer, json_ok, tenant_with_admin

pytestmark = pytest.mark.usefixtures("user_store")

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BODIES = {
    "GET": None, "DELETE": None,
    "PUT": {"Users": {"userName": "taken@b.example"}, "Groups": {"displayName": "Taken"}},
    "PATCH": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "externalId", "value": "x"}]},
}


def id_routes(app) -> list[tuple[str, object]]:
    """(method, resource) of every route addressing one resource or admin by id."""
    return [(route.method, route.resource) for route in app.router.routes()
            if route.method != "HEAD" and {"{id}", "{admin_id}"} & set(route.resource.canonical.split("/"))]


def concrete(resource, ids: dict[str, str]) -> str:
    """The route's URL for tenant A's resource; the SCIM type from the route's own pattern."""
    info = resource.get_info()
    if "path" in info:
        return info["path"]
    pattern = info["pattern"].pattern
    resource_type = re.search(r"\(\?i:(\w+)\)", pattern)
    if resource_type is None:
        return str(resource.url_for(admin_id=ids["admin"]))
    name = resource_type.group(1)
    return str(resource.url_for(_type=name, id=ids[name]))


@pytest.fixture
async def two_tenants(gateway):
    tenant_a, admin_a = await tenant_with_admin(gateway, "a")
    tenant_b, admin_b = await tenant_with_admin(gateway, "b")
    scim_a = bearer(tenant_a["token"])
    user = await json_ok(await gateway.post("/scim/v2/Users", json={"userName": "ann@a.example"}, headers=scim_a), 201)
    group = await json_ok(await gateway.post("/scim/v2/Groups", json={"displayName": "Sales"}, headers=scim_a), 201)
    admins_a = await json_ok(await gateway.get("/admin/v1/tenant/admins", headers=admin_a))
    ids = {"Users": user["id"], "Groups": group["id"], "admin": admins_a["admins"][0]["admin_id"]}
    return ids, {"scim": bearer(tenant_b["token"]), "admin": admin_b}, {"scim": scim_a, "admin": admin_a}


def test_the_id_routes_are_the_ones_expected(tmp_path):
    app = create_app(gateway_settings(tmp_path))
    methods = {method for method, _ in id_routes(app)}
    assert methods <= BODIES.keys(), f"a route with an id needs a request body here: {methods - BODIES.keys()}"
    assert len(id_routes(app)) >= 10


async def test_every_route_with_an_id_answers_404_to_another_tenant(gateway, two_tenants, tmp_path):
    ids, tenant_b, tenant_a = two_tenants
    for method, resource in id_routes(gateway.server.app):
        path = concrete(resource, ids)
        assert "{" not in path, path
        body = BODIES[method]
        if isinstance(body, dict) and "Users" in body:
            body = body["Groups" if "/Groups/" in path else "Users"]
        headers = tenant_b["admin"] if path.startswith("/admin/") else tenant_b["scim"]
        response = await gateway.request(method, path, json=body, headers=headers)
        assert response.status == 404, (method, path, response.status, await response.text())
        if method == "GET":  # the control: the owner reads the very same URL
            owner = tenant_a["admin"] if path.startswith("/admin/") else tenant_a["scim"]
            assert (await gateway.get(path, headers=owner)).status == 200, path


async def test_lists_searches_and_bulk_show_nothing_of_another_tenant(gateway, two_tenants):
    ids, tenant_b, _ = two_tenants
    headers = tenant_b["scim"]
    for path in ("/scim/v2/Users", "/scim/v2/Groups", f'/scim/v2/Users?filter=id eq "{ids["Users"]}"'):
        assert (await json_ok(await gateway.get(path, headers=headers)))["totalResults"] == 0
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "id pr"}
    assert (await json_ok(await gateway.post("/scim/v2/.search", json=search, headers=headers)))["totalResults"] == 0
    bulk = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "DELETE", "path": f"/Users/{ids['Users']}"}]}
    result = await json_ok(await gateway.post("/scim/v2/Bulk", json=bulk, headers=headers))
    assert result["Operations"][0]["status"] == "404"


async def test_a_group_cannot_take_another_tenants_user_as_member(gateway, two_tenants):
    ids, tenant_b, _ = two_tenants
    body = {"displayName": "Mine", "members": [{"value": ids["Users"]}]}
    response = await gateway.post("/scim/v2/Groups", json=body, headers=tenant_b["scim"])
    assert response.status == 400 and "no such user" in (await response.json())["detail"]
