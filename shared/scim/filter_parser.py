"""Parse a SCIM filter (RFC 7644 §3.4.2.2, Figure 1 ABNF) into the contract AST, once, in the gateway.

A hand-written tokenizer and recursive-descent parser. Precedence, loosest first: ``or``, ``and``,
``not ( )`` and grouping ``( )``. Keywords, operators and attribute names are case-insensitive (ABNF
literals are; RFC 7643 §2.1). Names resolve to their canonical path against the resource's schema,
values are checked against the attribute's type, and dateTimes are normalised to one UTC form.

One extension to the ABNF: Entra sends ``emails[type eq "work"].value eq "x"`` (PATCH path syntax)
as a filter. It reads as one element satisfying both, so it parses to
``emails[type eq "work" and value eq "x"]``. A bare ``emails[type eq "work"].value`` stays an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import NamedTuple

from contracts.filters import And, AttributePath, Comparison, ComparisonValue, Filter, Not, Or, Present, ValuePath
from shared.scim.attributes import ResourceSchema
from shared.scim.errors import invalid_filter
from shared.scim.filter_values import EQUALITY, ORDERING, SUBSTRING, checked_value

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![\w.$]))
  | (?P<word>[A-Za-z$][\w$:.\-]*)
  | (?P<punctuation>[()\[\].])
""", re.VERBOSE)
_OPERATORS = EQUALITY | SUBSTRING | ORDERING
_LITERALS: dict[str, ComparisonValue] = {"true": True, "false": False, "null": None}
#: Deeper nesting than any real filter needs; bounded so a hostile one cannot exhaust the stack.
_MAX_DEPTH = 32


class _Token(NamedTuple):
    kind: str
    text: str
    position: int  # 1-based, for messages

    def describe(self) -> str:
        return "the end of the filter" if self.kind == "end" else repr(self.text)


def parse_filter(text: str, schema: ResourceSchema) -> Filter:
    """The AST of ``text`` with canonical names, or ScimError 400 ``invalidFilter`` (RFC 7644 §3.4.2.2, §3.12)."""
    return _Parser(_tokenize(text), schema).parse()


def _tokenize(text: str) -> list[_Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            what = "a malformed string" if text[position] == '"' else f"unexpected character {text[position]!r}"
            raise invalid_filter(f"Invalid filter: {what} at position {position + 1}")
        kind = match.group() if match.lastgroup == "punctuation" else match.lastgroup
        if kind != "space":
            tokens.append(_Token(kind or "", match.group(), position + 1))
        position = match.end()
    return [*tokens, _Token("end", "", len(text) + 1)]


def _conjoin(left: Filter, right: Filter) -> And:
    return And(operands=[*(left.operands if isinstance(left, And) else [left]), right])


class _Parser:
    """One pass over the tokens. ``scope`` is the value path being parsed inside ``[...]``, else None."""

    def __init__(self, tokens: list[_Token], schema: ResourceSchema) -> None:
        self._tokens, self._index, self._depth, self._schema = tokens, 0, 0, schema

    def parse(self) -> Filter:
        node = self._or(None)
        self._expect("end", "the end of the filter")
        return node

    def _or(self, scope: AttributePath | None) -> Filter:
        return self._chain("or", Or, lambda: self._and(scope))

    def _and(self, scope: AttributePath | None) -> Filter:
        return self._chain("and", And, lambda: self._unary(scope))

    def _chain(self, keyword: str, node: type[And | Or], operand: Callable[[], Filter]) -> Filter:
        """``operand (keyword operand)*``, kept flat: ``a or b or c`` is one Or of three."""
        operands = [operand()]
        while self._accept("word", keyword):
            operands.append(operand())
        return operands[0] if len(operands) == 1 else node(operands=operands)

    def _unary(self, scope: AttributePath | None) -> Filter:
        if self._accept("word", "not"):
            self._expect("(", "'(' after 'not'")
            return Not(operand=self._group(scope))
        if self._accept("("):
            return self._group(scope)
        return self._attribute_expression(scope)

    def _group(self, scope: AttributePath | None) -> Filter:
        self._depth += 1
        if self._depth > _MAX_DEPTH:
            raise invalid_filter(f"Invalid filter: nested deeper than {_MAX_DEPTH} levels")
        node = self._or(scope)
        self._expect(")", "')'")
        self._depth -= 1
        return node

    def _attribute_expression(self, scope: AttributePath | None) -> Filter:
        name = self._expect("word", "an attribute name")
        path = self._resolve(name, scope)
        if not self._accept("["):
            return self._comparison(path, name.text)
        if scope is not None:
            raise invalid_filter(f"Invalid filter: value filters cannot be nested (position {name.position})")
        if path.sub is not None or self._schema.definition(path)["type"] != "complex":
            raise invalid_filter(f"Invalid filter: {name.text}[...] needs a complex attribute")
        return self._value_path(path, name.text)

    def _value_path(self, path: AttributePath, label: str) -> ValuePath:
        inner = self._or(path)
        self._expect("]", "']'")
        if not self._accept("."):
            return ValuePath(path=path, filter=inner)
        sub = self._expect("word", "a sub-attribute name")
        last = self._comparison(self._resolve(sub, path), f"{label}[...].{sub.text}")
        return ValuePath(path=path, filter=_conjoin(inner, last))

    def _comparison(self, path: AttributePath, label: str) -> Filter:
        token = self._expect("word", f"an operator after {label}")
        op = token.text.lower()
        if op == "pr":
            return Present(path=path)
        if op not in _OPERATORS:
            raise invalid_filter(f"Invalid filter: unknown operator {token.text!r} at position {token.position}; "
                                 "expected eq, ne, co, sw, ew, gt, ge, lt, le or pr")
        value = self._value()
        if value is not None and path.sub is None and self._schema.definition(path)["type"] == "complex":
            # RFC 7643 §2.4: a complex attribute compared with a value means its "value" sub-attribute.
            path = self._schema.resolve(f"{path}.value") or path
        definition = self._schema.definition(path)
        return Comparison(path=path, op=op, value=checked_value(label, definition, op, value))  # type: ignore[arg-type]

    def _value(self) -> ComparisonValue:
        token = self._next()
        if token.kind in ("string", "number"):
            return json.loads(token.text)
        if token.kind == "word" and token.text.lower() in _LITERALS:
            return _LITERALS[token.text.lower()]
        raise invalid_filter(f"Invalid filter: expected a value at position {token.position} (a quoted string, "
                             f"a number, true, false or null), found {token.describe()}")

    def _resolve(self, token: _Token, scope: AttributePath | None) -> AttributePath:
        # Inside emails[...] a bare name is a sub-attribute of emails.
        path = self._schema.resolve(token.text if scope is None else f"{scope}.{token.text}")
        if path is None:
            where = f"at position {token.position}" if scope is None else f"of {scope.name} at {token.position}"
            raise invalid_filter(f"Invalid filter: unknown attribute {token.text!r} {where}")
        return path

    def _next(self) -> _Token:
        token = self._tokens[self._index]
        self._index += token.kind != "end"
        return token

    def _accept(self, kind: str, keyword: str | None = None) -> bool:
        """Consume the next token if it is of ``kind`` (and, for a keyword, spelled so in any case)."""
        token = self._tokens[self._index]
        if token.kind != kind or (keyword is not None and token.text.lower() != keyword):
            return False
        self._index += 1
        return True

    def _expect(self, kind: str, what: str) -> _Token:
        token = self._next()
        if token.kind != kind:
            raise invalid_filter(f"Invalid filter: expected {what} at position {token.position}, "
                                 f"found {token.describe()}")
        return token
