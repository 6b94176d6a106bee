"""Cerberus' errors in the words a policy author reads: no rule names, no regular expressions.

Control files and check parameters are validated with cerberus; the config file with pydantic. Both speak
the same sentences ("must be a whole number (not 'ninety')"), so a user learns one vocabulary. A field that
must match a pattern names the form it expects through a hint ("AC-2 or IA-5(7)"); a pattern without a
hint says so generically, never by printing the pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cerberus import Validator, errors

TYPE_WORDS = {
    "string": "must be text",
    "integer": "must be a whole number",
    "float": "must be a number",
    "number": "must be a number",
    "boolean": "must be true or false",
    "list": "must be a list",
    "dict": "must be a mapping",
    "date": "must be a date (YYYY-MM-DD)",
}


class HumanErrors(errors.BasicErrorHandler):
    """Sentences for the rules our schemas use; ``hints`` maps a field name to the form its pattern expects."""

    def __init__(self, tree: Any = None, hints: Mapping[str, str] | None = None) -> None:
        super().__init__(tree)
        self.hints = dict(hints or {})

    def _format_message(self, field: Any, error: errors.ValidationError) -> str:
        value, constraint = error.value, error.constraint
        shown = f" (not {value!r})" if isinstance(value, str | int | float | bool) else ""
        if error.code == errors.REQUIRED_FIELD.code:
            return "required field"
        if error.code == errors.UNKNOWN_FIELD.code:
            return "unknown field"
        if error.code == errors.EMPTY_NOT_ALLOWED.code:
            return "must not be empty"
        if error.code == errors.NOT_NULLABLE.code:
            return "must have a value"
        if error.code == errors.BAD_TYPE.code:
            kinds = constraint if isinstance(constraint, list | tuple) else [constraint]
            return " or ".join(TYPE_WORDS.get(kind, f"must be of {kind} type") for kind in kinds) + shown
        if error.code == errors.MIN_LENGTH.code:
            return f"must list at least {constraint}" if isinstance(value, list) else \
                f"must be at least {constraint} characters long"
        if error.code == errors.MAX_LENGTH.code:
            return f"must list at most {constraint}" if isinstance(value, list) else \
                f"must be at most {constraint} characters long"
        if error.code == errors.MIN_VALUE.code:
            return f"must be at least {constraint}{shown}"
        if error.code == errors.MAX_VALUE.code:
            return f"must be at most {constraint}{shown}"
        if error.code in (errors.UNALLOWED_VALUE.code, errors.UNALLOWED_VALUES.code):
            return f"must be one of {', '.join(map(str, constraint))}{shown}"
        if error.code == errors.REGEX_MISMATCH.code:
            hint = self.hints.get(_field_name(error))
            return f"{value!r} is not {hint}" if hint else f"{value!r} is not in the expected form"
        return super()._format_message(field, error)


def _field_name(error: errors.ValidationError) -> str:
    """The nearest named field: a list item (``checks[0]``) is judged by its list's hint."""
    for part in reversed(error.document_path):
        if isinstance(part, str):
            return part
    return ""


def validator(schema: Mapping[str, Any], hints: Mapping[str, str] | None = None, **options: Any) -> Validator:
    """A cerberus validator whose errors are sentences."""
    return Validator(dict(schema), error_handler=(HumanErrors, {"hints": hints or {}}), **options)
