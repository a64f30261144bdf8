"""The SCIM core is pure: no module under services/gateway/scim imports aiohttp or aiokafka."""

import ast
from pathlib import Path

import services.gateway.scim as scim

FORBIDDEN = ("aiohttp", "aiokafka")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_scim_core_imports_no_transport():
    modules = list(Path(scim.__file__).parent.glob("*.py"))
    assert len(modules) > 3
    offenders = {
        path.name: name for path in modules for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert offenders == {}
