"""API tokens: 256-bit secrets, stored as hashes, tenant-scoped, replaced atomically, expiring."""

from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.tenants import TenantDirectory, TokenRejected, issue_tenant

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_token_has_256_bit_secret_and_only_its_hash_is_kept():
    issued = issue_tenant("acme", NOW)
    secret = issued.token.split("_", 2)[2]
    assert len(secret) >= 43  # 32 random bytes, base64url
    assert secret not in issued.record.model_dump_json()


def test_verify_finds_the_tenant():
    directory, issued = TenantDirectory(), issue_tenant("acme", NOW)
    directory.apply(issued.record)
    assert directory.verify(issued.token, NOW).tenant_id == issued.record.tenant_id


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
    lambda t: "scf_0123456789abcdef_" + t.split("_", 2)[2],  # unknown token id
    lambda t: t.replace("scf_", "xyz_"),
    lambda t: "plain-garbage",
])
def test_wrong_tokens_are_rejected(mangle):
    directory, issued = TenantDirectory(), issue_tenant("acme", NOW)
    directory.apply(issued.record)
    with pytest.raises(TokenRejected, match="not valid"):
        directory.verify(mangle(issued.token), NOW)


def test_a_new_record_replaces_the_old_token():
    directory, first = TenantDirectory(), issue_tenant("acme", NOW)
    directory.apply(first.record)
    second = issue_tenant("acme", NOW)
    directory.apply(second.record.model_copy(update={"tenant_id": first.record.tenant_id}))
    with pytest.raises(TokenRejected):
        directory.verify(first.token, NOW)
    assert directory.verify(second.token, NOW).tenant_id == first.record.tenant_id


def test_expired_token_says_so():
    directory, issued = TenantDirectory(), issue_tenant("acme", NOW, lifetime=timedelta(days=90))
    directory.apply(issued.record)
    with pytest.raises(TokenRejected, match="expired"):
        directory.verify(issued.token, NOW + timedelta(days=90))
