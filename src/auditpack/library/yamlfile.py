"""Reading YAML documents for validation: syntax errors with their line, and each key's line for messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditpack.errors import UserError


class Problem(str):
    """One validation problem, already phrased as ``file:line: field: what was expected``."""


def _without_timestamps(base: type) -> type:
    """A loader that reads dates as text: the schema then judges them with their field path (``2026-02-30``
    is "not a valid date" under ``waivers[0].expires``), instead of the whole file failing to load."""
    resolvers = {first: [(tag, regexp) for tag, regexp in entries if tag != "tag:yaml.org,2002:timestamp"]
                 for first, entries in base.yaml_implicit_resolvers.items()}
    return type(f"Dateless{base.__name__}", (base,), {"yaml_implicit_resolvers": resolvers})


_SAFE_LOADER = _without_timestamps(yaml.SafeLoader)
_FAST_LOADER = _without_timestamps(getattr(yaml, "CSafeLoader", yaml.SafeLoader))
_FAST_LOADER_MAX_CHARS = 20_000  # at most 10,000 levels of nesting, which libyaml handles


def load_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    """The document and the line of every field (``waivers[0].expires``); a syntax error becomes a ``UserError``
    with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text") from exc
    # Parse once (node for line numbers, data from the same node), with libyaml when it is present: every scan
    # reads every control file, and the pure-Python parser is many times slower. libyaml's recursion is not
    # bounded, so documents long enough to nest beyond what its C stack survives take the Python parser, whose
    # recursion is checked.
    loader_class = _FAST_LOADER if len(text) <= _FAST_LOADER_MAX_CHARS else _SAFE_LOADER
    loader = loader_class(text)
    node = None
    try:
        node = loader.get_single_node()
        data = _string_keys(loader.construct_document(node)) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        what = exc.problem or exc.context or "invalid YAML"
        raise UserError(f"{path}{line}: YAML syntax error: {what}") from exc
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: YAML syntax error: {exc}") from exc
    except RecursionError as exc:
        raise UserError(f"{path}: YAML nested too deeply") from exc
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if node is not None:
        _field_lines(node, "", lines)
    return data, lines


def _field_lines(node: Any, prefix: str, lines: dict[str, int]) -> None:
    """The line each field path starts on: a mapping key's line, a list item's own line. Iterative, because a
    document may nest as deeply as the parser allows."""
    todo = [(node, prefix)]
    while todo:
        current, where = todo.pop()
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    field = f"{where}.{key.value}" if where else str(key.value)
                    lines.setdefault(field, key.start_mark.line + 1)
                    todo.append((value, field))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                field = f"{where}[{i}]"
                lines.setdefault(field, item.start_mark.line + 1)
                todo.append((item, field))


def _string_keys(node: Any) -> Any:
    """Mapping keys as strings: YAML allows ``? [a]``, ``1:`` or a bare ``?`` (null) as keys, and the validator
    compares keys with each other, which fails on mixed types. ``1`` becomes ``"1"``, reported as unknown."""
    if isinstance(node, dict):
        return {(k if isinstance(k, str) else _key_text(k)): _string_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_string_keys(v) for v in node]
    return node


def _key_text(key: Any) -> str:
    return "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)


def flatten_errors(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Cerberus' nested error dict as ``(field.path[0].sub, message)`` pairs."""
    out: list[tuple[str, str]] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = f"{prefix}[{key}]" if isinstance(key, int) else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(flatten_errors(value, path))
    elif isinstance(errors, list):
        for item in errors:
            out.extend(flatten_errors(item, prefix))
    else:
        out.append((prefix or "(document)", str(errors)))
    return out


def problem(path: Path, lines: dict[str, int], field: str, message: str) -> Problem:
    """``file:line: field: message``, with the line of the field or, if it is absent (a required field), of the
    nearest field that contains it."""
    probe = field
    while probe and probe not in lines:
        cut = max(probe.rfind("."), probe.rfind("["))
        probe = probe[:cut] if cut > 0 else ""
    where = f"{path}:{lines[probe]}" if probe else str(path)
    return Problem(f"{where}: {field}: {message}")
