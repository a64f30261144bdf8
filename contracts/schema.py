"""The wire schema as a generated artifact: ``python -m contracts.schema`` rewrites schema.json.

tests/contracts/test_schema.py fails when a model changes incompatibly with the committed snapshot
(a field removed or retyped, a new required field): such a change needs a new version (v2) instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.catalog import MESSAGE_CLASSES
from contracts.envelope import Reply

SNAPSHOT = Path(__file__).with_name("schema.json")


def current_schema() -> dict[str, Any]:
    schemas = {cls.TYPE: cls.model_json_schema() for cls in MESSAGE_CLASSES}
    schemas["reply.v1"] = Reply.model_json_schema()
    return schemas


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SNAPSHOT.write_text(render(current_schema()))
    print(f"wrote {SNAPSHOT}")
