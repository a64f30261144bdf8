"""Every SCIM-NOTES §1 statement has at least one test that names it in its docstring."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import STATEMENTS

HERE = Path(__file__).parent
#: ``SCIM-NOTES §1.3, §1.49 / RFC …``: the statement numbers come right after "SCIM-NOTES".
CITATION = re.compile(r"SCIM-NOTES\s+((?:§1\.\d+[,\s]*)+)")


def cited_statements() -> dict[int, list[str]]:
    """statement number -> the tests citing it, from the docstrings of every test in this folder."""
    cited: dict[int, list[str]] = {}
    for module in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name.startswith("test_"):
                for match in CITATION.finditer(ast.get_docstring(node) or ""):
                    for number in re.findall(r"§1\.(\d+)", match.group(1)):
                        cited.setdefault(int(number), []).append(f"{module.name}::{node.name}")
    return cited


def test_every_statement_has_a_test():
    """Statements 1–55 each cited by a test; no test cites a statement that does not exist."""
    cited = cited_statements()
    assert sorted(STATEMENTS) == list(range(1, 56))
    assert [number for number in STATEMENTS if number not in cited] == []
    assert sorted(set(cited) - set(STATEMENTS)) == []
