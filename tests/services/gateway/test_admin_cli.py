"""`scimflow tenant create`, `admin add`, `setup-link create`, `token create|show|revoke` over the admin API.

The CLI is blocking (urllib), so it runs in a thread against the test server's real port.
"""

import argparse
import asyncio
import json

import pytest

from shared import cli
from tests.conftest import OPERATOR_KEY
from tests.services.gateway.admin_support import bearer


@pytest.fixture
def scimflow(gw, monkeypatch, capsys):
    monkeypatch.setenv("SCIMFLOW_URL", str(gw.make_url("")))
    monkeypatch.setenv("SCIMFLOW_OPERATOR_KEY", OPERATOR_KEY)

    async def run(*argv: str, admin_key: str | None = None) -> tuple[int, str, str]:
        if admin_key:
            monkeypatch.setenv("SCIMFLOW_ADMIN_KEY", admin_key)
        code = await asyncio.to_thread(cli.main, list(argv))
        out, err = capsys.readouterr()
        return code, out, err
    return run


async def test_operator_and_admin_commands(scimflow, gw):
    code, out, _ = await scimflow("tenant", "create", "acme", "--idp", "okta", "--days", "90")
    tenant = json.loads(out)
    code, out, _ = await scimflow("admin", "add", tenant["tenant_id"], "--name", "Ada", "--email", "ada@acme.example")
    admin_key = json.loads(out)["admin_key"]
    code, out, err = await scimflow("token", "create", "--days", "180", admin_key=admin_key)
    assert code == 1 and '"replace": true' in err  # the API's own message, not a traceback
    code, out, _ = await scimflow("token", "create", "--days", "180", "--replace", admin_key=admin_key)
    token = json.loads(out)
    code, out, _ = await scimflow("token", "show", admin_key=admin_key)
    assert json.loads(out)["prefix"] == token["prefix"] and token["token"] not in out
    code, _, _ = await scimflow("token", "revoke", admin_key=admin_key)
    assert code == 0
    assert (await gw.get("/scim/v2/ServiceProviderConfig", headers=bearer(token["token"]))).status == 401


async def test_token_commands_need_an_admin_key(scimflow, monkeypatch):
    """Without a terminal to ask in (a script, CI) and without SCIMFLOW_ADMIN_KEY: say how to give it."""
    monkeypatch.delenv("SCIMFLOW_ADMIN_KEY", raising=False)
    monkeypatch.setattr(cli.sys.stdin, "isatty", lambda: False)
    with pytest.raises(SystemExit, match="SCIMFLOW_ADMIN_KEY"):
        await scimflow("token", "show")


async def test_no_secret_is_taken_as_a_flag(scimflow, capsys):
    """A flag's value stays in the shell history and shows in every process list (issue 28, item 10)."""
    with pytest.raises(SystemExit) as refused:
        await scimflow("token", "show", "--admin-key", "sca_x_y")
    assert refused.value.code == 2 and "--admin-key" in capsys.readouterr().err
    options = [option for parser in parsers(cli._parser()) for action in parser._actions
               for option in action.option_strings]
    assert "--url" in options and not [o for o in options if any(word in o for word in ("key", "password"))]


def parsers(parser: argparse.ArgumentParser):
    """The parser and every sub-command's, all the way down."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from parsers(sub)


async def test_in_a_terminal_the_admin_key_is_asked_for_without_echo(scimflow, gw, monkeypatch):
    tenant = json.loads((await scimflow("tenant", "create", "acme"))[1])
    admin = json.loads((await scimflow("admin", "add", tenant["tenant_id"], "--name", "Ada",
                                       "--email", "ada@acme.example"))[1])
    monkeypatch.delenv("SCIMFLOW_ADMIN_KEY", raising=False)
    monkeypatch.setattr(cli.sys.stdin, "isatty", lambda: True)
    asked = []
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: asked.append(prompt) or admin["admin_key"])
    code, out, _ = await scimflow("token", "show")
    assert code == 0 and json.loads(out)["status"] == "active" and asked == ["Admin key: "]


async def test_the_operator_makes_a_setup_link(scimflow, gw):
    code, out, _ = await scimflow("tenant", "create", "acme")
    tenant_id = json.loads(out)["tenant_id"]
    code, out, _ = await scimflow("setup-link", "create", tenant_id, "--days", "7")
    link = json.loads(out)
    assert code == 0 and link["setup_key"].startswith("scl_")
    assert (await gw.post("/admin/v1/setup/redeem", headers=bearer(link["setup_key"]))).status == 200
    code, _, err = await scimflow("setup-link", "create", tenant_id, "--days", "31")
    assert code == 1 and "expires_in_days" in err
