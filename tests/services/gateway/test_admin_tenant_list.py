"""The operator's list of tenants: by name in any case, searched, paged, each in brief, from the
gateway's tenant directory."""

import pytest

from tests.services.gateway.admin_support import (
    OPERATOR,
    bearer,
    create_tenant,
    json_ok,
    tenant_with_admin,
)

LIST = "/admin/v1/tenants"


async def listed(gw, **query) -> dict:
    return await json_ok(await gw.get(LIST, params={k: str(v) for k, v in query.items()}, headers=OPERATOR))


async def test_tenants_are_listed_by_name_in_any_case(gw):
    for name in ("beta", "Alpha", "acme"):
        await create_tenant(gw, name)
    page = await listed(gw)
    assert [item["name"] for item in page["items"]] == ["acme", "Alpha", "beta"]
    assert (page["total_results"], page["start_index"], page["items_per_page"]) == (3, 1, 3)


async def test_pages_go_by_start_index_and_count(gw):
    for name in ("a", "b", "c"):
        await create_tenant(gw, name)
    page = await listed(gw, startIndex=2, count=1)
    assert ([i["name"] for i in page["items"]], page["total_results"], page["start_index"],
            page["items_per_page"]) == (["b"], 3, 2, 1)
    assert (await listed(gw, startIndex=4))["items"] == []
    assert (await listed(gw, count=0))["total_results"] == 3


async def test_the_default_page_is_fifty(gw):
    for number in range(51):
        await create_tenant(gw, f"tenant {number:02}")
    page = await listed(gw)
    assert (page["total_results"], page["items_per_page"], page["items"][-1]["name"]) == (51, 50, "tenant 49")
    assert (await listed(gw, count=200))["items_per_page"] == 51


async def test_search_is_part_of_the_name_in_any_case_or_the_exact_tenant_id(gw):
    acme = await create_tenant(gw, "Acme Corp")
    await create_tenant(gw, "Globex")
    assert [i["name"] for i in (await listed(gw, search="CME"))["items"]] == ["Acme Corp"]
    assert [i["name"] for i in (await listed(gw, search=acme["tenant_id"]))["items"]] == ["Acme Corp"]
    assert (await listed(gw, search=acme["tenant_id"][:6] + "zz"))["total_results"] == 0


async def test_each_tenant_in_brief(gw, clock):
    tenant, admin = await tenant_with_admin(gw)
    other = await create_tenant(gw, "other", idp_type="okta")
    [acme, fresh] = (await listed(gw))["items"]
    assert fresh == {"tenant_id": other["tenant_id"], "name": "other", "created": clock().isoformat(),
                     "idp_type": "okta", "token_status": "active", "token_expires_at": other["token_expires_at"],
                     "admins": 0, "manage_users_through_idp": False, "last_scim_call": None}
    assert acme["admins"] == 1
    clock.advance(minutes=5)
    await json_ok(await gw.get("/scim/v2/ServiceProviderConfig", headers=bearer(tenant["token"])))
    [acme, _] = (await listed(gw))["items"]
    assert (acme["manage_users_through_idp"], acme["last_scim_call"]) == (True, clock().isoformat())
    assert (await gw.delete("/admin/v1/tenant/token", headers=admin)).status == 204
    clock.advance(days=366)
    [acme, fresh] = (await listed(gw))["items"]
    assert (acme["token_status"], acme["token_expires_at"], fresh["token_status"]) == ("none", None, "expired")


@pytest.mark.parametrize("query", [{"count": "201"}, {"count": "many"}, {"startIndex": "0"},
                                   {"sortBy": "name"}, {"search": "x" * 201}])
async def test_bad_parameters_are_400(gw, query):
    response = await gw.get(LIST, params=query, headers=OPERATOR)
    assert response.status == 400, await response.text()
    assert (await response.json())["status"] == "400"


async def test_only_the_operator_lists_tenants(gw):
    _, admin = await tenant_with_admin(gw)
    assert (await gw.get(LIST, headers=admin)).status == 401
