"""The SCIM filter AST (RFC 7644 §3.4.2.2) as it travels inside query messages.

The gateway parses a filter string once, against the schema, into these nodes: names are resolved
to their canonical spelling and schema URN, values are checked against the attribute type. The user
store compiles the tree to SQL. The raw string never crosses the wire.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ComparisonOperator = Literal["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
#: JSON scalars (RFC 7644 §3.4.2.2 compValue); dateTime values travel as RFC 3339 strings.
ComparisonValue = bool | int | float | str | None


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttributePath(_Node):
    """``urn:...:name.sub`` with every part canonical (RFC 7644 §3.10)."""

    urn: str
    name: str
    sub: str | None = None

    def __str__(self) -> str:
        return f"{self.urn}:{self.name}" + (f".{self.sub}" if self.sub else "")


class Comparison(_Node):
    kind: Literal["compare"] = "compare"
    path: AttributePath
    op: ComparisonOperator
    value: ComparisonValue


class Present(_Node):
    kind: Literal["present"] = "present"
    path: AttributePath


class And(_Node):
    kind: Literal["and"] = "and"
    operands: list[Filter] = Field(min_length=2)


class Or(_Node):
    kind: Literal["or"] = "or"
    operands: list[Filter] = Field(min_length=2)


class Not(_Node):
    kind: Literal["not"] = "not"
    operand: Filter


class ValuePath(_Node):
    """``emails[type eq "work" and value co "@x"]``: one element must satisfy the whole inner filter.

    ``path`` names the multi-valued attribute (no ``sub``); the paths inside ``filter`` carry the same
    ``urn`` and ``name`` and the element's sub-attribute as ``sub``.
    """

    kind: Literal["value_path"] = "value_path"
    path: AttributePath
    filter: Filter


Filter = Annotated[Comparison | Present | And | Or | Not | ValuePath, Field(discriminator="kind")]

for _model in (And, Or, Not, ValuePath):
    _model.model_rebuild()
