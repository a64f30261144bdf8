"""The gateway counts every request by route template, method and status (services/gateway/http_metrics.py),
through the production app factory: ids and made-up paths never become labels of their own."""

from __future__ import annotations

from prometheus_client import REGISTRY

URN = "urn:ietf:params:scim:schemas:core:2.0:User"
SCHEMA_ROUTE = "/scim/v2/schemas/{urn}"


def counted(route: str, method: str, status: int) -> float:
    labels = {"route": route, "method": method, "status": str(status)}
    return REGISTRY.get_sample_value("scimflow_http_requests_total", labels) or 0.0


def timed(route: str, method: str) -> float:
    labels = {"route": route, "method": method}
    return REGISTRY.get_sample_value("scimflow_http_request_duration_seconds_count", labels) or 0.0


def routes_seen() -> set[str]:
    return {sample.labels["route"] for family in REGISTRY.collect() if family.name == "scimflow_http_requests"
            for sample in family.samples}


async def test_a_route_counts_under_its_template_whatever_the_case_and_slash(gateway, auth):
    """/Schemas/<urn> and /schemas/<urn>/ are one route (routes.py matches both): one label, no urn in it."""
    ok_before, missing_before, timed_before = counted(SCHEMA_ROUTE, "GET", 200), counted(SCHEMA_ROUTE, "GET", 404), \
        timed(SCHEMA_ROUTE, "GET")
    assert (await gateway.get(f"/scim/v2/Schemas/{URN}", headers=auth)).status == 200
    assert (await gateway.get(f"/scim/v2/schemas/{URN}/", headers=auth)).status == 200
    assert (await gateway.get("/scim/v2/Schemas/urn:nothing:here", headers=auth)).status == 404
    assert counted(SCHEMA_ROUTE, "GET", 200) == ok_before + 2
    assert counted(SCHEMA_ROUTE, "GET", 404) == missing_before + 1  # a 404 of a known route keeps its route
    assert timed(SCHEMA_ROUTE, "GET") == timed_before + 3
    assert not [route for route in routes_seen() if "urn:" in route]


async def test_paths_no_route_matches_collapse_into_one_label(gateway, auth):
    before = counted("unmatched", "GET", 404)
    for path in ("/nope/1", "/nope/2", "/metrics", "/scim/v2/Unicorns"):  # /metrics: only on the ops port
        assert (await gateway.get(path, headers=auth)).status == 404
    assert counted("unmatched", "GET", 404) == before + 4
    assert not {"/nope/1", "/nope/2", "/scim/v2/Unicorns"} & routes_seen()


async def test_a_method_outside_the_standard_ones_counts_as_other(gateway):
    """WebDAV's and any the parser lets through: one label, not one each."""
    before = counted("unmatched", "other", 405)
    assert (await gateway.request("PROPFIND", "/healthz")).status == 405
    assert counted("unmatched", "other", 405) == before + 1


async def test_a_refused_call_counts_with_the_status_the_client_got(gateway):
    """No token: the auth check refuses it inside the middlewares; counted as the 401 it became."""
    before = counted("/scim/v2/users/{id}", "GET", 401)
    assert (await gateway.get("/scim/v2/Users/some-id")).status == 401
    assert counted("/scim/v2/users/{id}", "GET", 401) == before + 1
