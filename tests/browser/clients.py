"""The portal's neighbours over plain HTTP (urllib): the identity providers pushing users and groups
to the SCIM API with the tenant's token, and the admin API, for what a test sets up around the screens
it walks."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from shared.devtools.launcher import System
from shared.operator_key import operator_key
from tests.idp_flows.bodies import ENTRA_FLAG, OKTA_HEADERS, PATCH_OP
from tests.support.seats import product_body

#: What Entra ID sends (its Tenant URL carries the flag for RFC-shaped PATCH, so every request does).
ENTRA_HEADERS = {"Content-Type": "application/scim+json", "Accept": "application/scim+json",
                 "User-Agent": "Azure Active Directory SCIM Client"}
#: Retried like an IdP retries: the system busy (503) or the tenant's rate reached (429).
RETRIED = (429, 503)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def http(method: str, url: str, headers: dict[str, str], body: Any = None, timeout: float = 30.0) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return Answer(status, json.loads(raw) if raw else None)


@dataclass(frozen=True)
class ScimClient:
    """One IdP's provisioning connection: the base URL and token an admin pasted into it."""

    base_url: str
    token: str
    headers: dict[str, str]
    query: str = ""

    def call(self, method: str, path: str, body: Any = None, deadline_seconds: float = 60.0) -> Answer:
        url = self.base_url + path + (("&" if "?" in path else "?") + self.query if self.query else "")
        headers = {**self.headers, "Authorization": f"Bearer {self.token}"}
        deadline = time.monotonic() + deadline_seconds
        while (answer := http(method, url, headers, body)).status in RETRIED and time.monotonic() < deadline:
            time.sleep(0.5)  # the IdP's back-off before it retries
        return answer

    def create(self, path: str, body: dict) -> dict:
        answer = self.call("POST", path, body)
        assert answer.status == 201, (path, answer)
        return answer.body

    def add_members(self, group_id: str, user_ids: list[str]) -> None:
        body = {"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": user_id} for user_id in user_ids]}]}
        answer = self.call("PATCH", f"/Groups/{group_id}", body)
        assert answer.status in (200, 204), answer


def okta(base_url: str, token: str) -> ScimClient:
    return ScimClient(base_url, token, OKTA_HEADERS)


def entra(base_url: str, token: str) -> ScimClient:
    return ScimClient(base_url, token, ENTRA_HEADERS, ENTRA_FLAG)


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    base_url: str
    token: str
    admin_key: str


def admin_api(system: System, key: str, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    answer = http(method, f"{system.base_url}/admin/v1{path}",
                  {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}, body)
    assert answer.status == status, (method, path, answer)
    return answer.body


def new_tenant(system: System, name: str, products: dict[str, int] | None = None) -> Tenant:
    """A tenant set up through the admin API (the walk does this on the operator's screens): an admin,
    and ``products`` seats sold."""
    operator = operator_key(None, system.data_dir)
    created = admin_api(system, operator, "POST", "/tenants", {"name": name}, status=201)
    tenant_id = created["tenant_id"]
    for product, seats in (products or {}).items():
        admin_api(system, operator, "POST", f"/tenants/{tenant_id}/products", product_body(product, seats),
                  status=201)
    admin = admin_api(system, operator, "POST", f"/tenants/{tenant_id}/admins",
                      {"name": "Ada Admin", "email": "ada@example.test"}, status=201)
    return Tenant(tenant_id, name, created["scim_base_url"], created["token"], admin["admin_key"])
