"""Controls as code: loading the control library and validating it against the checks it cites.

One cerberus schema validates every control file; cross-file rules (unknown checks, duplicate ids, parameter
values against each check's own schema) are applied after. Every problem is collected, not just the first,
so a policy author fixes a file in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cerberus import Validator

from auditpack.errors import UserError
from auditpack.library.checks import CheckSpec
from auditpack.library.yamlfile import Problem, flatten_errors, load_yaml, problem

CONTROL_ID = r"^[A-Z]{2}-\d{1,2}(\(\d{1,2}\))?$"
OSCAL_ID = r"^[a-z]{2}-\d{1,2}(\.\d{1,2})?$"
ODP_ID = r"^[a-z]{2}-\d{2}(\.\d{2})?_odp(\.\d{2})?$"

CONTROL_SCHEMA: dict[str, Any] = {
    "id": {"type": "string", "required": True, "regex": CONTROL_ID},
    "oscal_id": {"type": "string", "required": True, "regex": OSCAL_ID},
    "title": {"type": "string", "required": True, "empty": False},
    "family": {"type": "string", "required": True, "empty": False},
    "summary": {"type": "string", "required": True, "empty": False},
    "checks": {
        "type": "list",
        "required": True,
        "minlength": 1,
        "schema": {"type": "string", "regex": r"^[a-z0-9_]+$"},
    },
    "parameters": {
        "type": "list",
        "default": [],
        "schema": {
            "type": "dict",
            "schema": {
                "odp_id": {"type": "string", "nullable": True, "default": None, "regex": ODP_ID},
                "name": {"type": "string", "required": True, "empty": False},
                "default": {"required": True, "nullable": False},
                "feeds": {"type": "string", "required": True, "regex": r"^[a-z0-9_]+$"},
                "description": {"type": "string"},
            },
        },
    },
}


@dataclass(frozen=True)
class ControlParameter:
    name: str
    feeds: str
    default: Any
    odp_id: str | None = None
    description: str = ""
    shared_odp: bool = False  # NIST's ODP is set by several check parameters (e.g. a period per authenticator)

    @property
    def key(self) -> str:
        """Unique within a control: the ODP id, qualified by the parameter when one ODP feeds several."""
        if self.odp_id and self.shared_odp:
            return f"{self.odp_id}:{self.feeds}"
        return self.odp_id or self.feeds


@dataclass(frozen=True)
class Control:
    id: str
    oscal_id: str
    title: str
    family: str
    summary: str
    checks: tuple[str, ...]
    parameters: tuple[ControlParameter, ...] = ()
    source: Path = field(default=Path("."), compare=False)


def oscal_id_for(control_id: str) -> str:
    """``IA-5(7)`` -> ``ia-5.7``: the id OSCAL catalogs use for the same control."""
    return re.sub(r"\((\d+)\)", r".\1", control_id).lower()


def builtin_controls_dir() -> Path:
    return Path(str(resources.files("auditpack.controls"))) / "nist-800-53-r5"


def _read_control(path: Path, problems: list[Problem], validator: Validator) -> Control | None:
    try:
        data, lines = load_yaml(path)
    except UserError as exc:
        problems.append(Problem(str(exc)))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(f"{path}:1: (document): expected a mapping of control fields"))
        return None
    if not validator.validate(data):
        for fld, msg in flatten_errors(validator.errors):
            problems.append(problem(path, lines, fld, msg))
        return None
    doc = validator.document
    before = len(problems)
    if doc["oscal_id"] != oscal_id_for(doc["id"]):
        problems.append(problem(path, lines, "oscal_id",
                                f"must be {oscal_id_for(doc['id'])!r} for control {doc['id']}"))
    if path.stem != doc["oscal_id"]:
        problems.append(problem(path, lines, "oscal_id", f"file must be named {doc['oscal_id']}.yaml"))
    if len(problems) > before:
        return None
    return Control(
        id=doc["id"],
        oscal_id=doc["oscal_id"],
        title=doc["title"],
        family=doc["family"],
        summary=" ".join(doc["summary"].split()),
        checks=tuple(doc["checks"]),
        parameters=tuple(
            ControlParameter(**p, shared_odp=sum(q["odp_id"] == p["odp_id"] for q in doc["parameters"]) > 1)
            for p in doc["parameters"]
        ),
        source=path,
    )


def read_controls(directory: Path, problems: list[Problem]) -> dict[str, Control]:
    """Every ``*.yaml`` under ``directory``; duplicate ids within it are problems."""
    if not directory.is_dir():
        raise UserError(f"{directory}: controls directory not found")
    found: dict[str, Control] = {}
    validator = Validator(CONTROL_SCHEMA)  # one for every file: cerberus checks the schema itself on creation
    for path in sorted(directory.rglob("*.yaml")) + sorted(directory.rglob("*.yml")):
        control = _read_control(path, problems, validator)
        if control is None:
            continue
        if control.id in found:
            problems.append(
                Problem(f"{path}: id: duplicate control id {control.id} (also in {found[control.id].source})")
            )
            continue
        found[control.id] = control
    return found


def load_controls(controls_dir: Path | None, problems: list[Problem]) -> dict[str, Control]:
    """The built-in library, with the user's folder adding controls or replacing built-in ones by id."""
    controls = read_controls(builtin_controls_dir(), problems)
    if controls_dir is not None:
        controls.update(read_controls(controls_dir, problems))
    return dict(sorted(controls.items(), key=lambda kv: _sort_key(kv[0])))


def _sort_key(control_id: str) -> tuple[str, int, int]:
    m = re.match(r"([A-Z]{2})-(\d+)(?:\((\d+)\))?", control_id)
    assert m
    return m.group(1), int(m.group(2)), int(m.group(3) or 0)


def check_references(controls: dict[str, Control], checks: dict[str, CheckSpec]) -> list[Problem]:
    """Control files must cite only registered checks and feed only parameters those checks declare."""
    problems: list[Problem] = []
    for control in controls.values():
        for i, check_id in enumerate(control.checks):
            if check_id not in checks:
                problems.append(Problem(f"{control.source}: checks[{i}]: unknown check id {check_id!r}"))
        declared = {p for c in control.checks if c in checks for p in checks[c].params}
        for i, param in enumerate(control.parameters):
            if param.feeds not in declared:
                problems.append(Problem(
                    f"{control.source}: parameters[{i}].feeds: {param.feeds!r} is not a parameter of any of "
                    f"this control's checks ({', '.join(sorted(declared)) or 'none declare parameters'})"))
    return problems


@dataclass(frozen=True)
class ResolvedParameters:
    """Parameter values per check, and where each value came from."""

    by_check: dict[str, dict[str, Any]]
    values: dict[str, Any]
    sources: dict[str, str]


def resolve_parameters(
    controls: dict[str, Control], checks: dict[str, CheckSpec], overrides: dict[str, Any], problems: list[Problem],
    config_path: Path | None = None,
) -> ResolvedParameters:
    """Check defaults, then control ODP defaults, then the organization's config; each validated."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for spec in checks.values():
        for name, value in spec.defaults().items():
            values.setdefault(name, value)
            sources.setdefault(name, "default")
    for control in controls.values():
        for param in control.parameters:
            if param.feeds in origin and values[param.feeds] != param.default:
                problems.append(Problem(
                    f"{control.source}: parameters.{param.feeds}: default {param.default!r} conflicts with "
                    f"{values[param.feeds]!r} in {origin[param.feeds]}"))
                continue
            values[param.feeds] = param.default
            sources[param.feeds] = "default"
            origin[param.feeds] = control.source
    known = {name for spec in checks.values() for name in spec.params}
    where = str(config_path) if config_path else "config"
    for name, value in overrides.items():
        if name not in known:
            problems.append(
                Problem(f"{where}: parameters.{name}: unknown parameter (known: {', '.join(sorted(known))})")
            )
            continue
        values[name] = value
        sources[name] = "config"
    by_check: dict[str, dict[str, Any]] = {}
    for spec in checks.values():
        params = {name: values[name] for name in spec.params if name in values}
        validator = Validator(spec.params)
        if not validator.validate(params):
            for fld, msg in flatten_errors(validator.errors):
                src = where if sources.get(fld) == "config" else (origin.get(fld) or f"check {spec.id}")
                problems.append(Problem(f"{src}: parameters.{fld}: {msg} (value {params.get(fld)!r}, check {spec.id})"))
            continue
        by_check[spec.id] = validator.document
    return ResolvedParameters(by_check, values, sources)
