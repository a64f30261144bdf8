"""Parse a SCIM filter (RFC 7644 §3.4.2.2, Figure 1 ABNF) into the contract AST, once, in the gateway.

A hand-written tokenizer and recursive-descent parser. Precedence, loosest first: ``or``, ``and``,
``not ( )`` and grouping ``( )``. Keywords, operators and attribute names are case-insensitive (ABNF
literals are; RFC 7643 §2.1). Names resolve to their canonical path against the resource's schema,
values are checked against the attribute's type, and dateTimes are normalised to one UTC form.

One extension to the ABNF: Entra sends ``emails[type eq "work"].value eq "x"`` (PATCH path syntax)
as a filter. It reads as one element satisfying both, so it parses to
``emails[type eq "work" and value eq "x"]``. A bare ``emails[type eq "work"].value`` stays an error.

Another: values without quotes, as Microsoft's examples and Entra's documentation send them
(``externalId eq jyoung``). Where a value stands, everything up to a space, parenthesis, bracket or quote is
one value: a JSON number, true, false or null as the grammar says, else text, which only a text or dateTime
attribute takes. A keyword (``and``/``or``/``not``) or a literal or number compared with text stays 400,
saying how to quote it, as does whatever follows an unquoted value and does not fit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import NamedTuple

from contracts.filters import (
    And,
    AttributePath,
    Comparison,
    ComparisonValue,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
)
from shared.scim.attributes import ResourceSchema
from shared.scim.errors import invalid_filter
from shared.scim.filter_values import EQUALITY, ORDERING, SUBSTRING, checked_value

_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")
  | (?P<number>""" + _NUMBER + r"""(?![\w.$]))
  | (?P<word>[A-Za-z$][\w$:.\-]*)
  | (?P<punctuation>[()\[\].])
""", re.VERBOSE)
_SPACE = re.compile(r"\s*")
#: An unquoted value: up to a space, parenthesis, bracket or quote (``]`` ends a value path), no control character.
_BARE = re.compile(r'[^\s()\[\]"\x00-\x1f\x7f]+')
_OPERATORS = EQUALITY | SUBSTRING | ORDERING
_LITERALS: dict[str, ComparisonValue] = {"true": True, "false": False, "null": None}
_KEYWORDS = frozenset({"and", "or", "not"})
#: Types whose values are the grammar's literals only, never unquoted text.
_LITERAL_TYPES = frozenset({"boolean", "integer", "decimal"})
#: Types a number, true or false must be quoted for, to be read as text.
_TEXT_TYPES = frozenset({"string", "reference", "binary"})
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
    return _Parser(_Lexer(text), schema).parse()


class _Lexer:
    """Tokens on demand: where a value stands, an unquoted one runs to the next space, parenthesis, bracket or
    quote (``value``), which is not where tokens end elsewhere."""

    def __init__(self, text: str) -> None:
        self._text, self._position = text, 0
        self._peeked: _Token | None = None
        #: The token taken last: an error right after an unquoted value says how to quote one.
        self.last = _Token("start", "", 0)

    def peek(self) -> _Token:
        if self._peeked is None:
            self._peeked = self._lex()
        return self._peeked

    def next(self) -> _Token:
        self.last, self._peeked = self.peek(), None
        return self.last

    def value(self) -> _Token:
        """A compValue: a JSON string, or an unquoted run typed as a number, a literal ("word") or else "bare"."""
        match = None if self._peeked else _BARE.match(self._text, self._skip_space())
        if match is None:
            return self.next()  # a quoted string, or what is not a value, for the parser to name
        text, self._position = match.group(), match.end()
        kind = "number" if re.fullmatch(_NUMBER, text) else "word" if text.lower() in _LITERALS else "bare"
        self.last = _Token(kind, text, match.start() + 1)
        return self.last

    def hint(self) -> str:
        """What to say when the token after an unquoted value does not fit: it needed quotes."""
        if self.last.kind != "bare":
            return ""
        return (f". The unquoted value {self.last.text!r} ends at the first space, parenthesis, bracket or quote; "
                "write a value that has any of them in double quotes")

    def _lex(self) -> _Token:
        start = self._skip_space()
        if start == len(self._text):
            return _Token("end", "", start + 1)
        match = _TOKEN.match(self._text, start)
        if match is None:
            char = self._text[start]
            what = "a malformed string" if char == '"' else f"unexpected character {char!r}"
            raise invalid_filter(f"Invalid filter: {what} at position {start + 1}{self.hint()}")
        self._position = match.end()
        kind = match.group() if match.lastgroup == "punctuation" else match.lastgroup
        return _Token(kind or "", match.group(), start + 1)

    def _skip_space(self) -> int:
        # \s* always matches: never None.
        self._position = _SPACE.match(self._text, self._position).end()  # type: ignore[union-attr]
        return self._position


def _conjoin(left: Filter, right: Filter) -> And:
    return And(operands=[*(left.operands if isinstance(left, And) else [left]), right])


class _Parser:
    """One pass over the tokens. ``scope`` is the value path being parsed inside ``[...]``, else None."""

    def __init__(self, lexer: _Lexer, schema: ResourceSchema) -> None:
        self._lexer, self._depth, self._schema = lexer, 0, schema

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
        token = self._value(label, op)
        value = _typed(token)
        if value is not None and path.sub is None and self._schema.definition(path)["type"] == "complex":
            # RFC 7643 §2.4: a complex attribute compared with a value means its "value" sub-attribute.
            path = self._schema.resolve(f"{path}.value") or path
        definition = self._schema.definition(path)
        _check_unquoted(token, value, definition["type"], label, op)
        return Comparison(path=path, op=op, value=checked_value(label, definition, op, value))

    def _value(self, label: str, op: str) -> _Token:
        token = self._lexer.value()
        if token.kind == "bare" and token.text.lower() in _KEYWORDS:
            raise invalid_filter(f"Invalid filter: expected a value at position {token.position}, found the keyword "
                                 f"{token.text!r}; if it is the value, quote it: {label} {op} {json.dumps(token.text)}")
        if token.kind == "bare" and token.text.startswith("'"):
            raise invalid_filter(f"Invalid filter: single quotes do not quote a value (position {token.position}); "
                                 "write it in double quotes, as a JSON string")
        if token.kind in ("string", "number", "bare") or (token.kind == "word" and token.text.lower() in _LITERALS):
            return token
        raise invalid_filter(f"Invalid filter: expected a value at position {token.position} (a quoted string, "
                             f"a number, true, false or null), found {token.describe()}")

    def _resolve(self, token: _Token, scope: AttributePath | None) -> AttributePath:
        # Inside emails[...] a bare name is a sub-attribute of emails.
        path = self._schema.resolve(token.text if scope is None else f"{scope}.{token.text}")
        if path is None:
            where = f"at position {token.position}" if scope is None else f"of {scope.name} at {token.position}"
            raise invalid_filter(f"Invalid filter: unknown attribute {token.text!r} {where}")
        return path

    def _accept(self, kind: str, keyword: str | None = None) -> bool:
        """Consume the next token if it is of ``kind`` (and, for a keyword, spelled so in any case)."""
        token = self._lexer.peek()
        if token.kind != kind or (keyword is not None and token.text.lower() != keyword):
            return False
        self._lexer.next()
        return True

    def _expect(self, kind: str, what: str) -> _Token:
        hint = self._lexer.hint()
        token = self._lexer.next()
        if token.kind != kind:
            raise invalid_filter(f"Invalid filter: expected {what} at position {token.position}, "
                                 f"found {token.describe()}{hint}")
        return token


def _typed(token: _Token) -> ComparisonValue:
    if token.kind in ("string", "number"):
        value: ComparisonValue = json.loads(token.text)
        return value
    return _LITERALS[token.text.lower()] if token.kind == "word" else token.text


def _check_unquoted(token: _Token, value: ComparisonValue, kind: str, label: str, op: str) -> None:
    """Beyond RFC 7644 §3.4.2.2: unquoted text only for what takes text; a literal that was meant as text is
    ambiguous, so the client is told to quote it."""
    if token.kind == "bare" and kind in _LITERAL_TYPES:
        raise invalid_filter(f"Invalid filter: {token.text} is not a valid {kind} value for {label}")
    if token.kind in ("number", "word") and value is not None and kind in _TEXT_TYPES:
        raise invalid_filter(f"Invalid filter: {token.text} is not a valid {kind} value for {label}; "
                             f"to compare with the text, quote it: {label} {op} {json.dumps(token.text)}")
