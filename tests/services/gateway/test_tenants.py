"""Tenant state without HTTP: tokens, admin keys, revocation, expiry, the connection rules."""

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from contracts.tenants.v1 import TenantRecord as TenantRecordV1
from contracts.tenants.v2 import TenantActivity
from services.gateway import keys
from services.gateway.tenancy import rules, tokens
from services.gateway.tenancy.directory import (
    StaleWrite,
    TenantDirectory,
    TokenRejected,
)
from shared.messaging.memory import _MemoryPublisher
from shared.scim.errors import ScimError
from tests.services.gateway.admin_support import tenant_with_admin

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def directory_with(*records) -> TenantDirectory:
    """A directory that read ``records`` in order, as successive changes (revisions 1, 2, ...)."""
    directory = TenantDirectory()
    for revision, record in enumerate(records, start=1):
        directory.apply(record.model_copy(update={"revision": revision}))
    return directory


def test_token_has_256_bit_secret_and_only_its_hash_is_kept():
    issued = rules.new_tenant("acme", NOW)
    secret = issued.secret.split("_", 2)[2]
    assert len(secret) >= 43  # 32 random bytes, base64url
    assert secret not in issued.record.model_dump_json()


def test_verify_finds_the_tenant():
    issued = rules.new_tenant("acme", NOW)
    assert directory_with(issued.record).verify_token(issued.secret, NOW).tenant_id == issued.record.tenant_id


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
    lambda t: "scf_0123456789abcdef_" + t.split("_", 2)[2],  # unknown token id
    lambda t: t.replace("scf_", "sca_"),  # an admin key is not a SCIM token
    lambda t: "plain-garbage",
])
def test_wrong_tokens_are_rejected(mangle):
    issued = rules.new_tenant("acme", NOW)
    with pytest.raises(TokenRejected, match="not valid"):
        directory_with(issued.record).verify_token(mangle(issued.secret), NOW)


def test_expired_token_says_so():
    issued = rules.new_tenant("acme", NOW, token_days=90)
    directory = directory_with(issued.record)
    assert directory.verify_token(issued.secret, NOW + timedelta(days=90, seconds=-1))
    with pytest.raises(TokenRejected, match="expired"):
        directory.verify_token(issued.secret, NOW + timedelta(days=90))


@pytest.mark.parametrize(("revoke", "reason"), [
    (lambda r: tokens.replace_token(r, 90, NOW, confirmed=True).record, "generated a newer one"),
    (lambda r: tokens.delete_token(r, NOW), "deleted it"),
])
def test_replaced_or_deleted_token_is_revoked(revoke, reason):
    first = rules.new_tenant("acme", NOW)
    with pytest.raises(TokenRejected, match=f"revoked: an admin {reason}"):
        directory_with(first.record, revoke(first.record)).verify_token(first.secret, NOW)


def test_a_stale_record_cannot_bring_a_revoked_token_back():
    """Another replica's change built on the old record: dropped, and its revoked token stays refused."""
    first = rules.new_tenant("acme", NOW)
    replaced = tokens.replace_token(first.record, 90, NOW, confirmed=True).record.model_copy(update={"revision": 2})
    built_on_first = rules.change_policies(first.record, {"accept_email_changes": False}).model_copy(
        update={"revision": 2})
    directory = TenantDirectory()
    for record in (first.record, replaced, built_on_first):
        directory.apply(record)
    with pytest.raises(TokenRejected, match="revoked"):
        directory.verify_token(first.secret, NOW)
    assert directory.get(first.record.tenant_id) == replaced


def test_a_record_written_before_revisions_is_taken_as_the_latest():
    first = rules.new_tenant("acme", NOW).record.model_copy(update={"revision": 0})
    later = rules.change_policies(first, {"accept_email_changes": False})
    directory = TenantDirectory()
    for record in (first, later):
        directory.apply(record)
    assert directory.get(first.tenant_id) == later


async def test_the_writer_of_a_dropped_record_is_told():
    first = rules.new_tenant("acme", NOW).record
    directory, loser = TenantDirectory(), rules.change_policies(first, {"accept_email_changes": False})
    directory.apply(first)
    directory.apply(rules.change_policies(first, {"accept_email_changes": True}).model_copy(update={"revision": 2}))
    with directory.expecting(loser.model_copy(update={"revision": 2})) as applied:
        directory.apply(loser.model_copy(update={"revision": 2}))
        with pytest.raises(StaleWrite):
            await applied


def test_replacing_a_token_needs_confirmation():
    issued = rules.new_tenant("acme", NOW)
    with pytest.raises(ScimError, match='"replace": true') as refused:
        tokens.replace_token(issued.record, 90, NOW)
    assert refused.value.status == 409


def test_revoked_tokens_remembered_are_bounded():
    record = rules.new_tenant("acme", NOW).record
    for _ in range(tokens.MAX_REVOKED + 5):
        record = tokens.replace_token(record, 90, NOW, confirmed=True).record
    assert len(record.revoked_tokens) == tokens.MAX_REVOKED


def test_admin_keys_find_their_own_tenant_only():
    acme = rules.add_admin(rules.new_tenant("acme", NOW).record, "Ada", "ada@acme.example", NOW)
    other = rules.add_admin(rules.new_tenant("other", NOW).record, "Bob", "bob@other.example", NOW)
    directory = directory_with(acme.record, other.record)
    record, admin = directory.verify_admin(acme.secret)
    assert (record.tenant_id, admin.email) == (acme.record.tenant_id, "ada@acme.example")
    with pytest.raises(ScimError) as missing:
        rules.find_admin(record, other.record.admins[0].admin_id)
    assert missing.value.status == 404


def test_removed_admin_key_stops_working():
    issued = rules.add_admin(rules.new_tenant("acme", NOW).record, "Ada", "ada@acme.example", NOW)
    removed = rules.remove_admin(issued.record, issued.record.admins[0].admin_id)
    with pytest.raises(TokenRejected, match="admin key is not valid"):
        directory_with(issued.record, removed).verify_admin(issued.secret)


def test_manage_users_is_off_until_the_first_connection_then_follows_the_admin():
    record = rules.new_tenant("acme", NOW).record
    assert (rules.manages_users(record, connected=False), rules.manages_users(record, connected=True)) == (False, True)
    off = rules.change_connection(record, {"manage_users_through_idp": False}, connected=True)
    assert rules.manages_users(off, connected=True) is False


def test_disabling_goes_in_the_seeds_order():
    """Manage users through IdP off first, then the SSO reset; SSO back on before managing again."""
    record = rules.new_tenant("acme", NOW).record
    with pytest.raises(ScimError, match="before resetting SSO"):
        rules.change_connection(record, {"sso_enabled": False}, connected=True)
    off = rules.change_connection(record, {"manage_users_through_idp": False}, connected=True)
    reset = rules.change_connection(off, {"sso_enabled": False}, connected=True)
    with pytest.raises(ScimError, match="SSO is reset"):
        rules.change_connection(reset, {"manage_users_through_idp": True}, connected=True)


def test_v1_records_are_read_as_v2():
    issued = rules.new_tenant("acme", NOW)
    token = issued.record.token
    v1 = TenantRecordV1(tenant_id="t1", name="old", token_id=token.token_id, token_sha256=token.token_sha256,
                        token_expires_at=None, created=NOW)
    upgraded = directory_with(v1).verify_token(issued.secret, NOW)
    assert (upgraded.tenant_id, upgraded.token.expires_at) == ("t1", NOW + timedelta(days=365))


def test_activity_from_replicas_keeps_latest_use_and_first_connection():
    directory = TenantDirectory()
    later = TenantActivity(tenant_id="t", token_id="k", first_connected_at=NOW + timedelta(hours=1),
                           last_used_at=NOW + timedelta(hours=2))
    earlier = TenantActivity(tenant_id="t", token_id="k", first_connected_at=NOW, last_used_at=NOW)
    directory.apply(later)
    directory.apply(earlier)
    merged = directory.activity("t")
    assert (merged.first_connected_at, merged.last_used_at) == (NOW, NOW + timedelta(hours=2))


def test_sso_reset_before_any_connection_keeps_a_later_connection_from_turning_managing_on():
    reset = rules.change_connection(rules.new_tenant("acme", NOW).record, {"sso_enabled": False}, connected=False)
    assert rules.manages_users(reset, connected=True) is False


@pytest.mark.parametrize("changes", [{}, {"idp_type": "okta"}, {"manage_users_through_idp": False}])
def test_after_that_reset_and_a_connection_other_changes_still_go_through(changes):
    """Managing users is off (the API says so): only turning it on needs SSO first (was 409 for any change)."""
    reset = rules.change_connection(rules.new_tenant("acme", NOW).record, {"sso_enabled": False}, connected=False)
    changed = rules.change_connection(reset, changes, connected=True)
    assert rules.manages_users(changed, connected=True) is False
    with pytest.raises(ScimError, match="SSO is reset"):
        rules.change_connection(reset, {"manage_users_through_idp": True}, connected=True)


async def test_a_change_that_keeps_losing_to_other_replicas_is_a_503(gw, monkeypatch):
    """Every try is dropped as stale (other replicas keep winning): the admin gets 503 + Retry-After."""
    _, admin = await tenant_with_admin(gw)

    def always_stale(directory, record):
        directory._settle(record, StaleWrite("another replica won"))

    monkeypatch.setattr(TenantDirectory, "_set", always_stale)
    response = await gw.put("/admin/v1/tenant/policies", json={"accept_email_changes": False}, headers=admin)
    assert response.status == 503 and response.headers["Retry-After"]


async def test_an_admin_change_the_bus_does_not_take_is_a_503_within_the_request_timeout(gw, monkeypatch):
    """With the broker away the publish would wait for its return (64 s measured): a 503 + Retry-After
    in the request timeout, as a SCIM call gets, and the tenant's next change is not held behind it."""
    _, admin = await tenant_with_admin(gw)
    hanging = asyncio.Event()

    async def broker_away(self, topic, value, *, key, headers):
        await hanging.wait()

    monkeypatch.setattr(_MemoryPublisher, "send", broker_away)
    started = time.monotonic()
    response = await gw.put("/admin/v1/tenant/policies", json={"accept_email_changes": False}, headers=admin)
    assert response.status == 503 and response.headers["Retry-After"]
    assert time.monotonic() - started < 2 * gw.app[keys.SETTINGS].request_timeout
