"""The pure cores stay pure: no module of shared/scim or services/gateway/scim, and none of the seat rules, the
tenant rules or the event mappings, imports a transport or a database (they are tested without either)."""

import ast
from pathlib import Path

import pytest

import services.gateway.scim
import shared.scim

FORBIDDEN = ("aiohttp", "aiokafka", "sqlalchemy", "sqlmodel", "aiosqlite")
#: Our own modules that are transport or storage (a rule that needs them is not a rule any more).
#: (shared.store.clock and shared.events.emitted are pure: times, and the shape of an event.)
FORBIDDEN_HERE = ("shared.messaging", "shared.sqlite", "shared.store.unit_of_work", "shared.store.repository",
                  "shared.store.pruning", "shared.events.outbox", "shared.events.relay")
FORBIDDEN_PACKAGES = {"shared.store", "shared.events"}  # their __init__ re-exports the impure parts
ROOT = Path(__file__).parents[3]
#: Rules and mappings written as plain functions over contracts: the seat rules, the tenant rules (tokens,
#: setup links, credentials), which events a change emits.
PURE_MODULES = (
    "services/seat_allocator/domain.py",
    "services/seat_allocator/events.py",
    "services/gateway/tenancy/rules.py",
    "services/gateway/tenancy/tokens.py",
    "services/gateway/tenancy/setup_links.py",
    "services/gateway/tenancy/credentials.py",
    "services/user_store/seat_state.py",
    "services/user_store/group_membership.py",
    "services/user_store/events.py",
    "services/webhooks/signing.py",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", [shared.scim, services.gateway.scim], ids=lambda p: p.__name__)
def test_scim_core_imports_no_transport_or_database(package):
    modules = list(Path(package.__file__).parent.glob("*.py"))
    assert len(modules) > 3
    offenders = {
        path.name: name for path in modules for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert offenders == {}


@pytest.mark.parametrize("module", PURE_MODULES)
def test_rules_import_no_transport_or_database(module):
    imported = imported_modules(ROOT / module)
    assert {name for name in imported if name.split(".")[0] in FORBIDDEN or name.startswith(FORBIDDEN_HERE)
            or name in FORBIDDEN_PACKAGES} == set()
