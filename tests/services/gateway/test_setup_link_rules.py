"""Setup links without HTTP: the pure rules (expiry, regenerate revokes, once only), the session a link
opens as the tenant directory checks it, the routes that session may call, and the operator's list."""

from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.tenancy import rules, setup_links
from services.gateway.tenancy.access import on_setup_screen
from services.gateway.tenancy.credentials import Issued
from services.gateway.tenancy.directory import TenantDirectory, TokenRejected
from shared.scim.errors import ScimError

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def tenant(name: str = "acme"):
    return rules.new_tenant(name, NOW).record


def linked(days: int = 3, now: datetime = NOW) -> Issued:
    return setup_links.new_setup_link(tenant(), days, now, "operator")


def refused(apply, status: int = 401) -> str:
    with pytest.raises(ScimError) as caught:
        apply()
    assert caught.value.status == status
    return caught.value.detail


def directory_with(record) -> TenantDirectory:
    directory = TenantDirectory()
    directory.apply(record)
    return directory


def test_a_link_expires_after_its_days_and_keeps_only_the_hash_of_its_secret():
    issued = linked(days=5)
    link = issued.record.setup_link
    assert (link.created, link.expires_at, link.created_by) == (NOW, NOW + timedelta(days=5), "operator")
    assert issued.secret.startswith(f"scl_{link.link_id}_")
    assert issued.secret.split("_", 2)[2] not in issued.record.model_dump_json()


def test_a_link_opens_until_it_expires_and_not_at_that_moment():
    issued = linked(days=3)
    just_before = NOW + timedelta(days=3, microseconds=-1)
    assert setup_links.redeem_setup_link(issued.record, issued.secret, just_before).record.setup_link.redeemed_at
    detail = refused(lambda: setup_links.redeem_setup_link(issued.record, issued.secret, NOW + timedelta(days=3)))
    assert "expired" in detail and "new link" in detail


def test_a_link_opens_once():
    issued = linked()
    opened = setup_links.redeem_setup_link(issued.record, issued.secret, NOW)
    detail = refused(lambda: setup_links.redeem_setup_link(opened.record, issued.secret, NOW))
    assert "already used" in detail and "new link" in detail


def test_a_new_link_revokes_the_last_one():
    first = linked()
    second = setup_links.new_setup_link(first.record, 3, NOW, "admin-1")
    assert "revoked" in refused(lambda: setup_links.redeem_setup_link(second.record, first.secret, NOW))
    assert setup_links.redeem_setup_link(second.record, second.secret, NOW).secret.startswith("scs_")


@pytest.mark.parametrize("key", ["", "scl_x", "sca_abc_def", "scl_{id}_wrong-secret"])
def test_anything_but_the_links_own_key_is_not_valid(key):
    issued = linked()
    key = key.format(id=issued.record.setup_link.link_id)
    assert "not valid" in refused(lambda: setup_links.redeem_setup_link(issued.record, key, NOW))


def test_deleting_a_link_revokes_it_and_there_must_be_one():
    issued = linked()
    gone = setup_links.delete_setup_link(issued.record)
    assert gone.setup_link is None
    assert "not valid" in refused(lambda: setup_links.redeem_setup_link(gone, issued.secret, NOW))
    assert "no setup link" in refused(lambda: setup_links.delete_setup_link(gone), 404)


def test_status_says_none_active_expired_used():
    issued = linked()
    opened = setup_links.redeem_setup_link(issued.record, issued.secret, NOW).record.setup_link
    assert setup_links.setup_link_status(None, NOW) == "none"
    assert setup_links.setup_link_status(issued.record.setup_link, NOW) == "active"
    assert setup_links.setup_link_status(issued.record.setup_link, NOW + timedelta(days=3)) == "expired"
    assert setup_links.setup_link_status(opened, NOW + timedelta(days=30)) == "used"


def test_the_session_lasts_eight_hours_from_the_opening_and_the_directory_checks_it():
    issued = linked()
    opened_at = NOW + timedelta(days=2)
    session = setup_links.redeem_setup_link(issued.record, issued.secret, opened_at)
    assert session.record.setup_link.session_expires_at == opened_at + timedelta(hours=8)
    directory = directory_with(session.record.model_copy(update={"revision": 1}))
    later = opened_at + timedelta(hours=8)
    assert directory.verify_setup_session(session.secret, later - timedelta(seconds=1)).tenant_id
    with pytest.raises(TokenRejected, match="expired"):
        directory.verify_setup_session(session.secret, later)


def test_a_new_or_deleted_link_ends_the_session_the_last_one_opened():
    issued = linked()
    session = setup_links.redeem_setup_link(issued.record, issued.secret, NOW)
    for changed in (setup_links.new_setup_link(session.record, 3, NOW, "operator").record,
                    setup_links.delete_setup_link(session.record)):
        directory = directory_with(session.record.model_copy(update={"revision": 1}))
        directory.apply(changed.model_copy(update={"revision": 2}))
        with pytest.raises(TokenRejected, match="not valid"):
            directory.verify_setup_session(session.secret, NOW)


def test_the_directory_finds_a_links_tenant_by_its_current_link_only():
    first = linked()
    directory = directory_with(first.record.model_copy(update={"revision": 1}))
    assert directory.setup_link_tenant(first.secret) == first.record.tenant_id
    second = setup_links.new_setup_link(first.record, 3, NOW, "operator")
    directory.apply(second.record.model_copy(update={"revision": 2}))
    with pytest.raises(TokenRejected, match="revoked"):
        directory.setup_link_tenant(first.secret)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/admin/v1/tenant"), ("GET", "/admin/v1/tenant/token"), ("POST", "/admin/v1/tenant/token"),
    ("DELETE", "/admin/v1/tenant/token"), ("GET", "/admin/v1/tenant/connection"),
    ("PUT", "/admin/v1/tenant/connection"), ("GET", "/admin/v1/tenant/scim-log"),
    ("GET", "/admin/v1/tenant/sync/summary"),
])
def test_a_session_may_use_the_idp_setup_screen(method, path):
    assert on_setup_screen(method, path)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/admin/v1/tenant/admins"), ("DELETE", "/admin/v1/tenant/admins/a1"),
    ("PUT", "/admin/v1/tenant/policies"), ("POST", "/admin/v1/tenant/setup-link"),
    ("GET", "/admin/v1/tenant/setup-link"), ("GET", "/admin/v1/tenant/sync/users"),
    ("POST", "/admin/v1/tenant/subscription-sets"), ("PUT", "/admin/v1/tenant/token"),
    ("GET", "/admin/v1/tenant/token/"), ("GET", "/admin/v1/tenants"),
])
def test_a_session_may_use_nothing_else(method, path):
    assert not on_setup_screen(method, path)


def test_the_operators_list_is_by_name_in_any_case_and_searches_names_and_exact_ids():
    records = [tenant(name) for name in ("beta", "Alpha", "acme", "ACME")]
    found = rules.find_tenants(records)
    assert [r.name.casefold() for r in found] == ["acme", "acme", "alpha", "beta"]
    assert found[0].tenant_id < found[1].tenant_id  # equal names: by id, one order on every replica
    assert [r.name for r in rules.find_tenants(records, "LP")] == ["Alpha"]
    beta_id = records[0].tenant_id
    assert [r.name for r in rules.find_tenants(records, beta_id)] == ["beta"]
    assert rules.find_tenants(records, beta_id[:8]) == []
