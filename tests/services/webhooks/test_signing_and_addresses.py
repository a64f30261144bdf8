"""Deliveries are signed as Standard Webhooks says (checked with its reference package, not our code), and go
only where the operator allows: public https addresses, unless development allows this machine and http."""

from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from services.webhooks import signing
from services.webhooks.addresses import AddressRefused, GuardedResolver, url_problem
from services.webhooks.delivery import HttpPoster
from tests.support.webhooks import settings_for


def test_a_signature_verifies_with_the_standard_webhooks_package():
    secret, body, now = signing.new_secret(), b'{"id":"e1","type":"scimflow.user.created"}', int(time.time())
    Webhook(secret).verify(body, signing.headers(secret, "e1", now, body))


@pytest.mark.parametrize("change", ["body", "id", "secret"])
def test_a_changed_body_id_or_secret_does_not_verify(change):
    secret, body, now = signing.new_secret(), b'{"id":"e1"}', int(time.time())
    headers = signing.headers(secret, "e1", now, body)
    if change == "body":
        body = b'{"id":"e2"}'
    elif change == "id":
        headers["webhook-id"] = "e2"
    else:
        secret = signing.new_secret()
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_secrets_differ_and_show_only_their_prefix():
    first, second = signing.new_secret(), signing.new_secret()
    assert first != second and first.startswith("whsec_")
    assert signing.shown_part(first) == first[:12] and len(first) > 40


@pytest.mark.parametrize(("url", "problem"), [
    ("https://hooks.example.com/scim", None),
    ("https://8.8.8.8:8443/in", None),
    ("http://hooks.example.com/", "https://"),
    ("ftp://hooks.example.com/", "https://"),
    ("https:///path", "no host"),
    ("https://user:pw@hooks.example.com/", "user name or password"),
    ("https://localhost:9000/", "this machine"),
    ("https://api.localhost/", "this machine"),
    ("https://127.0.0.1/", "not a public address"),
    ("https://[::1]/", "not a public address"),
    ("https://169.254.169.254/latest/meta-data", "not a public address"),
    ("https://10.1.2.3/", "not a public address"),
    ("https://192.168.0.10/", "not a public address"),
    ("https://100.64.0.1/", "not a public address"),
    ("https://[::ffff:10.0.0.1]/", "not a public address"),
    ("https://224.0.0.1/", "not a public address"),
    ("https://hooks.example.com:99999/", "not a URL"),
])
def test_production_takes_public_https_urls_only(url, problem):
    found = url_problem(url, allow_http=False, allow_private=False)
    assert found is None if problem is None else problem in found


def test_development_takes_this_machine_over_http():
    assert url_problem("http://127.0.0.1:8000/hook", allow_http=True, allow_private=True) is None
    assert "not a public address" in url_problem("http://127.0.0.1:8000/", allow_http=True, allow_private=False)


async def test_a_name_that_resolves_to_this_machine_is_refused_when_connecting():
    resolver = GuardedResolver()
    try:
        with pytest.raises(AddressRefused, match="resolves to"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


async def test_the_http_client_refuses_a_private_address_it_resolved(tmp_path, receiver):
    endpoint, url = receiver
    poster = HttpPoster(settings_for(tmp_path, webhooks_allow_private_addresses=False))
    try:
        with pytest.raises(AddressRefused):
            await poster.post(url.replace("127.0.0.1", "localhost"), b"{}", {})
    finally:
        await poster.close()
    assert endpoint.received == []
