"""What a filter may compare (RFC 7644 §3.4.2.2): operators per attribute type, typed values, dateTimes.

Shared by the parser (which reports mistakes to the client) and by both evaluators (which re-check the
tree they receive, so a path or value they act on has always been through these rules).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from contracts.filters import AttributePath, ComparisonValue
from shared.scim.attributes import Definition, ResourceSchema
from shared.scim.errors import invalid_filter
from shared.scim.resource import BOOLEAN_STRINGS

EQUALITY = frozenset({"eq", "ne"})
SUBSTRING = frozenset({"co", "sw", "ew"})
ORDERING = frozenset({"gt", "ge", "lt", "le"})

# RFC 7644 §3.4.2.2: gt/ge/lt/le on boolean or binary "SHALL" fail with invalidFilter. Substring
# operators only make sense on text. Complex attributes are compared through a sub-attribute.
_OPERATORS = {
    "string": EQUALITY | SUBSTRING | ORDERING,
    "reference": EQUALITY | SUBSTRING | ORDERING,
    "binary": EQUALITY | SUBSTRING,
    "boolean": EQUALITY,
    "integer": EQUALITY | ORDERING,
    "decimal": EQUALITY | ORDERING,
    "dateTime": EQUALITY | ORDERING,
    "complex": frozenset(),
}
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "reference": (str,), "binary": (str,), "dateTime": (str,),
    "boolean": (bool,), "integer": (int,), "decimal": (int, float), "complex": (dict,),
}


def is_kind(attribute_type: str, value: object) -> bool:
    """Whether a JSON value has the shape of a SCIM attribute type (RFC 7643 §2.3); booleans are not numbers."""
    if isinstance(value, bool) and attribute_type != "boolean":
        return False
    return isinstance(value, _PYTHON_TYPES[attribute_type])


def folds_case(definition: Definition) -> bool:
    """RFC 7643 §2.3.1: strings compare case-insensitively unless caseExact; references and binary never fold."""
    return definition["type"] == "string" and not definition["caseExact"]


def parse_datetime(text: object) -> datetime | None:
    """An xsd:dateTime (RFC 7643 §2.3.5) as an aware UTC datetime, or None; no offset is taken as UTC."""
    if not isinstance(text, str) or "T" not in text.upper():
        return None  # not a string, or a bare date: not a dateTime
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def format_datetime(moment: datetime) -> str:
    """The one RFC 3339 form filters carry: UTC, microseconds, ``Z``; fixed width, so it sorts as time does."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def check_path(path: AttributePath, schema: ResourceSchema) -> AttributePath:
    """The path itself if it names an attribute of ``schema`` in canonical spelling, else 400 invalidFilter."""
    if schema.resolve(str(path)) != path:
        raise invalid_filter(f"Invalid filter: unknown attribute {str(path)!r}")
    return path


def attribute_path(path: AttributePath) -> AttributePath:
    """The attribute a path starts at: ``emails`` for ``emails.value``."""
    return AttributePath(urn=path.urn, name=path.name)


def attribute_of(path: AttributePath, schema: ResourceSchema) -> Definition:
    """The definition of the attribute a path starts at, not of its sub-attribute."""
    return schema.definition(attribute_path(path))


def checked_value(label: str, definition: Definition, op: str, value: ComparisonValue) -> ComparisonValue:
    """The comparison value as filters carry it, or 400 invalidFilter naming what is wrong (RFC 7644 §3.4.2.2)."""
    kind = definition["type"]
    if value is None:  # any attribute may be compared with null: that is (not) pr
        if op in EQUALITY:
            return None
        raise invalid_filter(f"Invalid filter: null can only be compared with eq or ne, not '{op}'")
    if op not in _OPERATORS[kind]:
        hint = ": compare one of its sub-attributes" if kind == "complex" else ""
        raise invalid_filter(f"Invalid filter: '{op}' cannot be applied to {label} (type {kind}){hint}")
    if kind == "boolean" and isinstance(value, str) and value.lower() in BOOLEAN_STRINGS:
        # Entra quotes them: its app-role mapping targets the path roles[primary eq "True"].value
        value = BOOLEAN_STRINGS[value.lower()]
    if not is_kind(kind, value):
        raise invalid_filter(f"Invalid filter: {json.dumps(value)} is not a valid {kind} value for {label}")
    if kind == "dateTime":
        moment = parse_datetime(value)
        if moment is None:
            raise invalid_filter(f"Invalid filter: {value!r} is not an RFC 3339 dateTime for {label}")
        return format_datetime(moment)
    return value
