"""The SCIM core is pure: no module of shared/scim or services/gateway/scim imports a transport."""

import ast
from pathlib import Path

import pytest

import services.gateway.scim
import shared.scim

FORBIDDEN = ("aiohttp", "aiokafka", "sqlalchemy", "sqlmodel", "aiosqlite")


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
