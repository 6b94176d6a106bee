"""Does an alert see an event? CloudWatch Logs filter patterns and EventBridge event patterns, evaluated.

An alert is judged by what it matches, not by its name: each alert check holds sample CloudTrail records of
the events it must catch (``CreateAccessKey``, a root sign-in, ``StopLogging``...), and a filter or rule covers
an event when its pattern matches that record. Both languages are evaluated here, as documented by AWS:

- **filter patterns** (CloudWatch Logs): JSON patterns ``{ $.a.b = "x" && ($.c != 1 || $.d NOT EXISTS) }``
  with ``=``, ``!=``, ``<``, ``>``, ``<=``, ``>=``, ``*`` wildcards in strings, ``IS NULL``/``TRUE``/``FALSE``,
  ``EXISTS``/``NOT EXISTS``, ``&&`` binding tighter than ``||``; and term patterns (``CreateAccessKey``,
  ``"a phrase"``, ``?either ?or``, ``-excluded``) over the record's text. An empty pattern matches every event.
- **event patterns** (EventBridge): nested keys matched against the event, each value a list of literals or
  of content filters (``prefix``, ``suffix``, ``anything-but``, ``exists``, ``equals-ignore-case``,
  ``wildcard``, ``numeric``), and ``$or``.

What is not evaluated, and so never matches (a missed match fails an alert, it never passes one): regular
expressions and the ``%...%`` filter syntax, array indexes other than ``[0]``-style selectors, ``cidr``
filters, and any operator this module does not know. A malformed pattern matches nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

# -- CloudWatch Logs filter patterns ----------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:(?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))|(?P<str>"(?:[^"\\]|\\.)*")|"""
                    r"""(?P<sel>\$(?:\.[A-Za-z0-9_\-@$]+|\[\d+\])*)|(?P<word>[^\s()&|=!<>"]+))""")
Predicate = Callable[[dict[str, Any]], bool]


class PatternError(ValueError):
    """A pattern this module cannot read; it then matches nothing."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise PatternError(f"cannot read {text[pos:pos + 20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind).strip()))
        pos = m.end()
    return out


def select(record: Any, selector: str) -> tuple[bool, Any]:
    """``$.a.b[0]`` in a record: (present, value)."""
    value = record
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", selector):
        key, index = part
        if key:
            if not isinstance(value, dict) or key not in value:
                return False, None
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return False, None
            value = value[int(index)]
    return True, value


def _glob(pattern: str, value: str) -> bool:
    return bool(re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), value, re.DOTALL))


def _compare(op: str, actual: Any, expected: str, quoted: bool) -> bool:
    if not quoted:
        try:
            number = float(expected)
        except ValueError:
            number = None
        if number is not None and isinstance(actual, int | float) and not isinstance(actual, bool):
            return {"=": actual == number, "!=": actual != number, "<": actual < number, ">": actual > number,
                    "<=": actual <= number, ">=": actual >= number}[op]
    if op not in ("=", "!="):
        return False
    if isinstance(actual, bool):
        text = str(actual).lower()
    else:
        text = actual if isinstance(actual, str) else json.dumps(actual)
    matched = _glob(expected, text)
    return matched if op == "=" else not matched


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise PatternError("pattern ends early")
        self.pos += 1
        return token

    def expression(self) -> Predicate:
        left = self.conjunction()
        while (tok := self.peek()) and tok == ("op", "||"):
            self.take()
            right, first = self.conjunction(), left
            left = lambda r, a=first, b=right: a(r) or b(r)  # noqa: E731
        return left

    def conjunction(self) -> Predicate:
        left = self.term()
        while (tok := self.peek()) and tok == ("op", "&&"):
            self.take()
            right, first = self.term(), left
            left = lambda r, a=first, b=right: a(r) and b(r)  # noqa: E731
        return left

    def term(self) -> Predicate:
        kind, text = self.take()
        if (kind, text) == ("op", "("):
            inner = self.expression()
            if self.take() != ("op", ")"):
                raise PatternError("unbalanced parenthesis")
            return inner
        if kind != "sel":
            raise PatternError(f"expected a selector, found {text!r}")
        selector = text
        kind, text = self.take()
        if kind == "word" and text.upper() in ("IS", "NOT", "EXISTS"):
            return self._existence(selector, text.upper())
        if kind != "op" or text not in ("=", "!=", "<", ">", "<=", ">="):
            raise PatternError(f"expected an operator after {selector}")
        vkind, value = self.take()
        if vkind not in ("str", "word"):
            raise PatternError(f"expected a value after {selector} {text}")
        quoted = vkind == "str"
        expected = json.loads(value) if quoted else value
        op = text

        def compare(record: dict[str, Any]) -> bool:
            present, actual = select(record, selector)
            return present and actual is not None and _compare(op, actual, expected, quoted)

        return compare

    def _existence(self, selector: str, word: str) -> Predicate:
        if word == "EXISTS":
            return lambda r: select(r, selector)[0]
        if word == "NOT":
            if self.take()[1].upper() != "EXISTS":
                raise PatternError("expected EXISTS after NOT")
            return lambda r: not select(r, selector)[0]
        what = self.take()[1].upper()
        if what == "NULL":
            return lambda r: select(r, selector) == (True, None)
        if what in ("TRUE", "FALSE"):
            return lambda r: select(r, selector) == (True, what == "TRUE")
        raise PatternError(f"IS {what} is not a filter pattern")


@lru_cache(maxsize=512)
def _filter(pattern: str) -> Predicate:
    text = pattern.strip()
    if not text:
        return lambda r: True
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError("a JSON pattern ends with }")
        parser = _Parser(_tokens(text[1:-1]))
        predicate = parser.expression()
        if parser.peek() is not None:
            raise PatternError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
        return predicate
    if text.startswith("[") or "%" in text:
        raise PatternError("space-delimited and regular-expression patterns are not evaluated")
    return _terms(text)


def _terms(text: str) -> Predicate:
    words = [w.strip('"') for w in re.findall(r'"[^"]*"|\S+', text)]
    optional = [w[1:] for w in words if w.startswith("?")]
    excluded = [w[1:] for w in words if w.startswith("-") and len(w) > 1]
    required = [w for w in words if not w.startswith(("?", "-"))]

    def match(record: dict[str, Any]) -> bool:
        body = json.dumps(record)
        if optional:
            return any(w in body for w in optional)
        return all(w in body for w in required) and not any(w in body for w in excluded)

    return match


def filter_matches(pattern: str, record: dict[str, Any]) -> bool:
    """Whether a CloudWatch Logs filter pattern matches a log event holding ``record`` (a CloudTrail record)."""
    try:
        return _filter(pattern)(record)
    except PatternError:
        return False


def filter_readable(pattern: str) -> bool:
    try:
        _filter(pattern)
    except PatternError:
        return False
    return True


# -- EventBridge event patterns --------------------------------------------------------------------------------


def _number_ok(conditions: list[Any], value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    ops = {"=": value.__eq__, "<": value.__lt__, ">": value.__gt__, "<=": value.__le__, ">=": value.__ge__}
    pairs = zip(conditions[::2], conditions[1::2], strict=False)
    return all(op in ops and ops[op](float(bound)) for op, bound in pairs)


def _value_matches(rule: Any, value: Any, present: bool) -> bool:
    if not isinstance(rule, dict):
        return present and value == rule
    if len(rule) != 1:
        return False
    (op, operand), = rule.items()
    text = value if isinstance(value, str) else None
    if op == "exists":
        return present == bool(operand)
    if not present:
        return False  # every other filter, anything-but included, needs the field
    if op == "prefix":
        return text is not None and isinstance(operand, str) and text.startswith(operand)
    if op == "suffix":
        return text is not None and isinstance(operand, str) and text.endswith(operand)
    if op == "equals-ignore-case":
        return text is not None and isinstance(operand, str) and text.lower() == operand.lower()
    if op == "wildcard":
        return text is not None and isinstance(operand, str) and _glob(operand, text)
    if op == "numeric":
        return isinstance(operand, list) and _number_ok(operand, value)
    if op == "anything-but":
        if isinstance(operand, dict):
            return not _value_matches(operand, value, present)
        excluded = operand if isinstance(operand, list) else [operand]
        return value not in excluded
    return False


def _field_matches(rules: list[Any], actual: Any, present: bool) -> bool:
    values = actual if isinstance(actual, list) and actual else [actual]
    return any(_value_matches(rule, v, present) for rule in rules for v in values)


def event_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether an EventBridge event pattern matches ``event`` (``source``, ``detail-type``, ``detail``...)."""
    if not pattern:
        return False  # a rule without a pattern is scheduled: it matches no event
    for key, rule in pattern.items():
        if key == "$or":
            if not isinstance(rule, list) or not any(isinstance(p, dict) and event_matches(p, event) for p in rule):
                return False
            continue
        present = isinstance(event, dict) and key in event
        actual = event.get(key) if present else None
        if isinstance(rule, dict):
            if not isinstance(actual, dict) or not event_matches(rule, actual):
                return False
        elif isinstance(rule, list):
            if not _field_matches(rule, actual, present):
                return False
        else:
            return False
    return True
