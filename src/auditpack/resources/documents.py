"""Values inside structured documents (JSON or YAML): SSM documents, state machine definitions, stack templates.

A credential in a document is a string somewhere in a tree, named by the key above it (``MasterUserPassword``,
``Authorization``) or written into a command (``runCommand``). Reading the document as a tree rather than as
text lets each string be judged by its own name, and lets what is not a string (``{"Ref": "DbPassword"}``, a
NoEcho parameter's reference) never be mistaken for a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from auditpack.resources.secret_source import Candidate

Path = tuple[str | int, ...]
# Keys that say where a value sits, not what it is: the value is named by the key above them.
GENERIC_KEYS = frozenset({"default", "Default", "value", "Value", "values", "Values", "allowedValues"})


class _AnyTagLoader(yaml.SafeLoader):
    """YAML as CloudFormation writes it: short-form intrinsic functions (``!Ref``, ``!Sub``) become mappings."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    return {name: value}


_AnyTagLoader.add_multi_constructor("!", _tagged)


def parse_document(content: Any) -> Any:
    """A document's tree from its text (JSON, else YAML), or the tree itself; None if it is neither."""
    if not isinstance(content, str):
        return content
    try:
        return json.loads(content)
    except ValueError:
        pass
    try:
        return yaml.load(content, Loader=_AnyTagLoader)
    except yaml.YAMLError:
        return None


def leaves(node: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every string in the tree with the path to it; mapping keys are not values."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from leaves(item, (*path, str(key)))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from leaves(item, (*path, index))


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def name_of(path: Path) -> str | None:
    """The key that names the value at ``path``: the nearest one that is not a generic slot (``Default``)."""
    for part in reversed(path):
        if isinstance(part, str) and part not in GENERIC_KEYS:
            return part
    return None


def leaf_candidates(document: Any, field: str, *, location: str = "",
                    skip: Callable[[Path], bool] = lambda path: False) -> list[Candidate]:
    """One candidate per string of the document; one with spaces or lines is read as a script (a command)."""
    out = []
    for path, value in leaves(document):
        if not value.strip() or skip(path):
            continue
        out.append(Candidate(field=f"{field} {dotted(path)}".strip(), value=value, name=name_of(path),
                             location=location, script=bool(" " in value.strip() or "\n" in value)))
    return out
