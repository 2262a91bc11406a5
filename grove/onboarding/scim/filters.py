"""A small, safe parser for SCIM filters (RFC 7644 §3.4.2.2), turned into a Django ``Q``.

No eval: the filter is tokenised (strings with JSON escapes, numbers, true/false/null,
attribute paths, operators, parentheses, brackets) then parsed by recursive descent:

    filter  := or
    or      := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" "(" filter ")" | "(" filter ")" | attrExp
    attrExp := path "pr" | path compareOp value | path "[" filter "]"

Only the attributes we store can be filtered on; anything else is an ``InvalidFilter`` (400
invalidFilter). ``externalId`` is accepted and matches nothing: we never store it.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

from django.db.models import Q

MAX_FILTER_LENGTH = 1000
MAX_DEPTH = 20
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"

COMPARE_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"})


class InvalidFilter(ValueError):  # noqa: N818 -- named after the SCIM error type
    pass


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "number", "literal" (true/false/null), "word", "(", ")", "[", "]"
    value: object


_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<paren>[()\[\]])
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.:-])
      | (?P<word>[A-Za-z_$][\w.:$-]*)
    )""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilter("filter too long")
    tokens: list[Token] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None or match.end() == position:
            raise InvalidFilter(f"unexpected character at {position}")
        position = match.end()
        if match.group("string") is not None:
            try:
                tokens.append(Token("string", json.loads(match.group("string"))))
            except ValueError:
                raise InvalidFilter("invalid string") from None
        elif match.group("paren") is not None:
            tokens.append(Token(match.group("paren"), match.group("paren")))
        elif match.group("number") is not None:
            tokens.append(Token("number", json.loads(match.group("number"))))
        else:
            word = match.group("word")
            lowered = word.lower()
            if lowered in ("true", "false", "null"):
                tokens.append(
                    Token("literal", {"true": True, "false": False, "null": None}[lowered])
                )
            else:
                tokens.append(Token("word", word))
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


# The parsed tree: ("and", a, b) | ("or", a, b) | ("not", a) | ("cmp", path, op, value)
# | ("pr", path) | ("complex", path, tree)


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise InvalidFilter("unexpected end of filter")
        self.position += 1
        return token

    def is_keyword(self, token: Token | None, keyword: str) -> bool:
        return token is not None and token.kind == "word" and str(token.value).lower() == keyword

    def parse(self):
        if not self.tokens:
            raise InvalidFilter("empty filter")
        tree = self.parse_or()
        if self.peek() is not None:
            raise InvalidFilter("unexpected token")
        return tree

    def parse_or(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidFilter("filter nested too deep")
        tree = self.parse_and()
        while self.is_keyword(self.peek(), "or"):
            self.next()
            tree = ("or", tree, self.parse_and())
        self.depth -= 1
        return tree

    def parse_and(self):
        tree = self.parse_unary()
        while self.is_keyword(self.peek(), "and"):
            self.next()
            tree = ("and", tree, self.parse_unary())
        return tree

    def parse_unary(self):
        token = self.next()
        if self.is_keyword(token, "not"):
            if self.next().kind != "(":
                raise InvalidFilter("not without parenthesis")
            tree = self.parse_or()
            if self.next().kind != ")":
                raise InvalidFilter("missing )")
            return ("not", tree)
        if token.kind == "(":
            tree = self.parse_or()
            if self.next().kind != ")":
                raise InvalidFilter("missing )")
            return tree
        if token.kind != "word":
            raise InvalidFilter("attribute expected")
        path = str(token.value)
        following = self.next()
        if following.kind == "[":
            inner = self.parse_or()
            if self.next().kind != "]":
                raise InvalidFilter("missing ]")
            return ("complex", path, inner)
        if following.kind != "word":
            raise InvalidFilter("operator expected")
        op = str(following.value).lower()
        if op == "pr":
            return ("pr", path)
        if op not in COMPARE_OPS:
            raise InvalidFilter("unknown operator")
        value = self.next()
        if value.kind not in ("string", "number", "literal"):
            raise InvalidFilter("value expected")
        return ("cmp", path, op, value.value)


def parse_filter(text: str):
    return _Parser(tokenize(text)).parse()


# --- To a query on users --------------------------------------------------------------------

_STRING_LOOKUPS = {"eq": "iexact", "co": "icontains", "sw": "istartswith", "ew": "iendswith"}
_NOTHING = Q(pk__in=[])
_ALL = Q(pk__isnull=False)  # not Q(): its negation must match nothing


def normalise_path(path: str) -> str:
    """``urn:...:core:2.0:User:userName`` → ``username``; attribute names are case-insensitive."""
    lowered = path.lower()
    prefix = USER_SCHEMA.lower() + ":"
    if lowered.startswith(prefix):
        lowered = lowered[len(prefix) :]
    return lowered


_STRING_FIELDS = {
    "username": "email",
    "emails": "email",
    "emails.value": "email",
    "name.givenname": "first_name",
    "name.familyname": "last_name",
    "title": "job_type__name",
    "addresses.country": "country",
}


def to_q(tree, *, prefix: str = "") -> Q:
    kind = tree[0]
    if kind == "and":
        return to_q(tree[1], prefix=prefix) & to_q(tree[2], prefix=prefix)
    if kind == "or":
        return to_q(tree[1], prefix=prefix) | to_q(tree[2], prefix=prefix)
    if kind == "not":
        return ~to_q(tree[1], prefix=prefix)
    if kind == "complex":
        # emails[value eq "x"], addresses[country eq "FR"]: one value stored, so the inner
        # filter applies to it (type/primary conditions accept our single value).
        base = normalise_path(tree[1])
        if base not in ("emails", "addresses"):
            raise InvalidFilter("unsupported attribute")
        return to_q(tree[2], prefix=base + ".")
    path = prefix + normalise_path(tree[1])
    if kind == "pr":
        return _present(path)
    _, _, op, value = tree
    return _compare(path, op, value)


def _present(path: str) -> Q:
    if path in ("id", "username", "emails", "emails.value", "name.givenname", "name.familyname"):
        return _ALL
    if path in ("active", "emails.type", "emails.primary", "meta.created", "meta.lastmodified"):
        return _ALL
    if path == "externalid":
        return _NOTHING
    if path == "title":
        return Q(job_type__isnull=False)
    if path in ("addresses", "addresses.country", "addresses.type", "addresses.primary"):
        return ~Q(country="")
    raise InvalidFilter("unsupported attribute")


def _compare(path: str, op: str, value) -> Q:
    if path == "externalid":
        if not isinstance(value, str):
            raise InvalidFilter("externalId takes a string")
        return _NOTHING  # never stored: nothing has it
    if path == "id":
        if op not in ("eq", "ne") or not isinstance(value, str):
            raise InvalidFilter("id takes eq or ne and a string")
        try:
            q = Q(pk=uuid.UUID(value))
        except ValueError:
            q = _NOTHING
        return q if op == "eq" else ~q
    if path == "active":
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise InvalidFilter("active takes eq or ne and true or false")
        return Q(is_active=value if op == "eq" else not value)
    if path in ("emails.type", "addresses.type"):
        if op not in ("eq", "ne") or not isinstance(value, str):
            raise InvalidFilter("type takes eq or ne and a string")
        matches = value.lower() == "work"  # what we answer: one work email / address
        q = (_ALL if path == "emails.type" else ~Q(country="")) if matches else _NOTHING
        return q if op == "eq" else ~q
    if path in ("emails.primary", "addresses.primary"):
        if op not in ("eq", "ne") or not isinstance(value, bool):
            raise InvalidFilter("primary takes eq or ne and true or false")
        q = (_ALL if path == "emails.primary" else ~Q(country="")) if value else _NOTHING
        return q if op == "eq" else ~q
    field = _STRING_FIELDS.get(path)
    if field is None:
        raise InvalidFilter("unsupported attribute")
    if not isinstance(value, str):
        raise InvalidFilter("a string is expected")
    if op == "ne":
        return ~Q(**{f"{field}__iexact": value})
    lookup = _STRING_LOOKUPS.get(op)
    if lookup is None:
        raise InvalidFilter("unsupported operator for a string")
    if field == "email":
        value = value.strip().lower()
    return Q(**{f"{field}__{lookup}": value})


def filter_q(text: str) -> Q:
    """The filter as a Q over users, or ``InvalidFilter``."""
    return to_q(parse_filter(text))
