"""A tenant admin's webhook endpoints (services/webhooks/handlers.py): created with a secret shown once,
listed, changed, disabled and enabled, deleted; each tenant sees only its own."""

from __future__ import annotations

import asyncio

import pytest

from contracts import ErrorCode
from contracts.events.v1 import USER_CREATED, USER_DEACTIVATED
from contracts.webhooks.v1 import (
    MAX_ENDPOINTS,
    ChangeEndpoint,
    CreateEndpoint,
    DeleteEndpoint,
    EndpointCreated,
    EndpointDeleted,
    EndpointList,
    EndpointRecord,
    GetEndpoint,
    ListEndpoints,
)
from shared.messaging.requester import RemoteError
from tests.support.databases import on_connection
from tests.support.webhooks import settings_for

URL = "https://hooks.example.com/scim"


async def create(service, url: str = URL, tenant: str = "t1", **fields) -> EndpointCreated:
    return await service.ask(CreateEndpoint(url=url, **fields), EndpointCreated, tenant=tenant)


async def refused(ask) -> RemoteError:
    with pytest.raises(RemoteError) as caught:
        await ask
    return caught.value


async def test_an_endpoint_is_created_with_its_secret_shown_once(make_service):
    service = await make_service()
    created = await create(service, description="billing", event_types=[USER_DEACTIVATED, USER_CREATED])
    endpoint = created.endpoint
    assert created.secret.startswith("whsec_") and endpoint.secret_prefix == created.secret[:12]
    assert (endpoint.url, endpoint.description, endpoint.event_types, endpoint.enabled, endpoint.created) == (
        URL, "billing", [USER_CREATED, USER_DEACTIVATED], True, service.clock())
    listed = await service.ask(ListEndpoints(), EndpointList)
    assert listed.endpoints == [endpoint]
    assert created.secret not in listed.model_dump_json()


async def test_a_redelivery_during_the_first_run_is_answered_once_that_run_is_stored(make_service, tmp_path, database):
    """On SQLite the next unit may join the open transaction of the one before (a group commit) and see its
    journaled answer before the COMMIT: it answers only after it (handlers.journaled)."""
    service = await make_service()
    location = settings_for(tmp_path, **database).store

    async def answer_then_endpoints() -> tuple[str, int]:
        created = await service.ask(CreateEndpoint(url=URL), EndpointCreated, message_id="m-1")
        return created.endpoint.id, await on_connection(location, lambda connection: connection.exec_driver_sql(
            "SELECT count(*) FROM endpoints").scalar_one())

    first, second = await asyncio.gather(answer_then_endpoints(), answer_then_endpoints())
    assert first == second and first[1] == 1


async def test_a_redelivered_create_answers_the_same_endpoint_and_secret(make_service):
    service = await make_service()
    first = await service.ask(CreateEndpoint(url=URL), EndpointCreated, message_id="m-1")
    again = await service.ask(CreateEndpoint(url=URL), EndpointCreated, message_id="m-1")
    assert again == first
    assert len((await service.ask(ListEndpoints(), EndpointList)).endpoints) == 1


@pytest.mark.parametrize(("url", "detail"), [
    ("http://hooks.example.com/", "https://"),
    ("https://10.0.0.5/hook", "not a public address"),
    ("https://localhost/hook", "this machine"),
])
async def test_production_refuses_urls_deliveries_may_not_go_to(make_service, url, detail):
    service = await make_service(webhooks_allow_private_addresses=False, webhooks_allow_http=False)
    error = await refused(create(service, url))
    assert error.code == ErrorCode.INVALID_VALUE and detail in error.detail


async def test_an_unknown_event_type_is_refused_by_name(make_service):
    service = await make_service()
    error = await refused(create(service, event_types=["scimflow.user.created", "scimflow.user.creatd"]))
    assert error.code == ErrorCode.INVALID_VALUE and "unknown scimflow.user.creatd" in error.detail


async def test_a_tenant_has_at_most_so_many_endpoints(make_service):
    service = await make_service()
    for n in range(MAX_ENDPOINTS):
        await create(service, f"https://hooks.example.com/{n}")
    error = await refused(create(service))
    assert error.code == ErrorCode.INVALID_VALUE and str(MAX_ENDPOINTS) in error.detail
    await create(service, tenant="t2")  # another tenant's count is its own


async def test_disabling_says_who_and_enabling_clears_it(make_service):
    service = await make_service()
    endpoint_id = (await create(service)).endpoint.id
    off = await service.ask(ChangeEndpoint(endpoint_id=endpoint_id, enabled=False), EndpointRecord)
    assert (off.endpoint.enabled, off.endpoint.disabled_reason) == (False, "disabled by an admin")
    on = await service.ask(ChangeEndpoint(endpoint_id=endpoint_id, enabled=True), EndpointRecord)
    assert (on.endpoint.enabled, on.endpoint.disabled_reason) == (True, None)


async def test_a_change_touches_only_what_it_names(make_service):
    service = await make_service()
    created = (await create(service, description="billing", event_types=[USER_CREATED])).endpoint
    changed = await service.ask(ChangeEndpoint(endpoint_id=created.id, url="https://other.example.com/in",
                                               event_types=[]), EndpointRecord)
    assert changed.endpoint == created.model_copy(update={"url": "https://other.example.com/in", "event_types": []})
    error = await refused(service.ask(ChangeEndpoint(endpoint_id=created.id, url="ftp://x.example.com"),
                                      EndpointRecord))
    assert error.code == ErrorCode.INVALID_VALUE


async def test_another_tenants_endpoint_is_not_found(make_service):
    service = await make_service()
    endpoint_id = (await create(service, tenant="t1")).endpoint.id
    for command, answer in ((GetEndpoint(endpoint_id=endpoint_id), EndpointRecord),
                            (ChangeEndpoint(endpoint_id=endpoint_id, enabled=False), EndpointRecord),
                            (DeleteEndpoint(endpoint_id=endpoint_id), EndpointDeleted)):
        assert (await refused(service.ask(command, answer, tenant="t2"))).code == ErrorCode.NOT_FOUND
    assert (await service.ask(GetEndpoint(endpoint_id=endpoint_id), EndpointRecord)).endpoint.enabled


async def test_a_deleted_endpoint_is_gone(make_service):
    service = await make_service()
    endpoint_id = (await create(service)).endpoint.id
    assert (await service.ask(DeleteEndpoint(endpoint_id=endpoint_id), EndpointDeleted)).endpoint_id == endpoint_id
    assert (await service.ask(ListEndpoints(), EndpointList)).endpoints == []
    assert (await refused(service.ask(GetEndpoint(endpoint_id=endpoint_id), EndpointRecord))).code == ErrorCode.NOT_FOUND
