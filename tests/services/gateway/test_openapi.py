"""The admin API's OpenAPI document is generated from the routes the gateway really serves (issue 5)."""

import json
import re

from services.gateway.tenancy.access import SETUP_SCREEN_ROUTES
from tests.services.gateway.admin_support import json_ok, tenant_with_admin


def caller_of(path: str) -> str:
    if path.startswith("/admin/v1/setup/"):
        return "setup_link"
    return "admin" if path.startswith("/admin/v1/tenant/") or path == "/admin/v1/tenant" else "operator"


async def test_every_admin_route_is_documented_with_its_body_and_caller(gateway):
    document = await json_ok(await gateway.get("/openapi/admin.json"))
    assert document["openapi"].startswith("3.1")
    served = {(route.method.lower(), route.resource.canonical) for route in gateway.server.app.router.routes()
              if route.resource.canonical.startswith("/admin/") and route.method != "HEAD"}
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented and len(served) >= 15
    schemes = document["components"]["securitySchemes"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            (caller,) = operation["security"][0]
            assert caller in schemes and operation["summary"]
            assert caller_of(path) == caller, path
            if method in ("post", "put") and caller != "setup_link":  # redeeming takes only the link's key
                reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert reference.split("/")[-1] in document["components"]["schemas"]


async def test_a_documented_body_schema_is_the_one_enforced(gateway):
    """NewToken says expires_in_days is 90, 180 or 365: the schema shows that enum."""
    document = await json_ok(await gateway.get("/openapi/admin.json"))
    days = document["components"]["schemas"]["NewToken"]["properties"]["expires_in_days"]
    assert sorted(days["enum"]) == [90, 180, 365]


async def test_the_deletes_are_documented_as_the_204_without_a_body_they_answer(gateway):
    document = await json_ok(await gateway.get("/openapi/admin.json"))
    for path in ("/admin/v1/tenant/token", "/admin/v1/tenant/admins/{admin_id}"):
        assert document["paths"][path]["delete"]["responses"]["204"] == {"description": "Done"}
    _, admin = await tenant_with_admin(gateway)
    response = await gateway.delete("/admin/v1/tenant/token", headers=admin)
    assert response.status == 204 and await response.read() == b""


async def test_the_setup_screens_routes_also_take_a_setup_session_and_no_other_does(gateway):
    document = await json_ok(await gateway.get("/openapi/admin.json"))
    with_session = {(method.upper(), path) for path, operations in document["paths"].items()
                    for method, operation in operations.items() if {"setup_session": []} in operation["security"]}
    assert {("POST", "/admin/v1/tenant/token"), ("PUT", "/admin/v1/tenant/connection")} <= with_session
    assert with_session <= SETUP_SCREEN_ROUTES and ("GET", "/admin/v1/tenant/admins") not in with_session


async def test_the_main_answers_and_the_error_have_schemas_and_every_reference_resolves(gateway):
    """What a schema-driven client (or fuzzer, test_fuzz.py) checks answers against (issue 28)."""
    document = await json_ok(await gateway.get("/openapi/admin.json"))
    schemas, text = document["components"]["schemas"], json.dumps(document)
    assert {ref.split("/")[-1] for ref in re.findall(r'"\$ref": "([^"]+)"', text)} <= set(schemas)
    tenant = document["paths"]["/admin/v1/tenant"]["get"]["responses"]["200"]["content"]["application/json"]
    assert tenant["schema"] == {"$ref": "#/components/schemas/Tenant"}
    assert schemas["Error"]["required"] == ["detail", "status"]
    listing = {p["name"]: p for p in document["paths"]["/admin/v1/tenants"]["get"]["parameters"]}
    assert listing.keys() == {"search", "startIndex", "count"} and listing["count"]["schema"]["type"] == "integer"
