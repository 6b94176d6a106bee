"""Controls as code: loading the control library and validating it against the checks it cites.

One cerberus schema validates every control file; then, for whatever the schema accepted, the naming rule,
the check ids it cites and its parameter defaults against each check's own schema; cross-file rules
(duplicate ids, two files giving one parameter different defaults) after. Every problem of every file is
collected, each with its line, so a policy author fixes them all in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from cerberus import Validator

from auditpack.errors import UserError, did_you_mean
from auditpack.library.checks import CheckSpec
from auditpack.library.schema_errors import validator as schema_validator
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
                "default": {"nullable": False},  # absent: the default the check's own schema declares
                "feeds": {"type": "string", "required": True, "regex": r"^[a-z0-9_]+$"},
                "description": {"type": "string"},
            },
        },
    },
}

# The form each patterned field expects, for messages that never show a regular expression.
HINTS = {
    "id": "a NIST control id such as AC-2 or IA-5(7)",
    "oscal_id": "an OSCAL control id such as ac-2 or ia-5.7",
    "odp_id": "an OSCAL parameter id such as ia-05.01_odp.01",
    "checks": "a check id (lower case letters, digits and _)",
    "feeds": "a check parameter name (lower case letters, digits and _)",
}


@dataclass(frozen=True)
class ControlParameter:
    name: str
    feeds: str
    default: Any = None  # None: the check's own default, declared once in its parameter schema
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
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)  # each field's line


def oscal_id_for(control_id: str) -> str:
    """``IA-5(7)`` -> ``ia-5.7``: the id OSCAL catalogs use for the same control."""
    return re.sub(r"\((\d+)\)", r".\1", control_id).lower()


def builtin_controls_dir() -> Path:
    return Path(str(resources.files("auditpack.controls"))) / "nist-800-53-r5"


def _read_control(path: Path, checks: Mapping[str, CheckSpec], problems: list[Problem],
                  validator: Validator) -> Control | None:
    """One file's every problem, in one pass: the schema's, then naming, check ids and parameter values for
    whichever fields the schema accepted. The control is returned only when the file has none."""
    try:
        data, lines = load_yaml(path)
    except UserError as exc:
        problems.append(Problem(str(exc)))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(f"{path}:1: (document): expected a mapping of control fields"))
        return None
    found: list[Problem] = []
    validator.validate(data)
    failed = flatten_errors(validator.errors)
    found.extend(problem(path, lines, fld, msg) for fld, msg in failed)
    rejected = {fld for fld, _ in failed}
    doc = validator.document

    def accepted(fld: str) -> bool:
        """Present, and neither it, a part of it nor what contains it was rejected by the schema."""
        return fld.split("[")[0].split(".")[0] in doc and not any(
            r == fld or r.startswith((f"{fld}.", f"{fld}[")) or fld.startswith((f"{r}.", f"{r}["))
            for r in rejected)

    if accepted("id") and (not accepted("oscal_id") or doc["oscal_id"] != oscal_id_for(doc["id"])
                           or path.stem != oscal_id_for(doc["id"])):
        found.append(_naming_problem(path, lines, doc, accepted("oscal_id")))
    cited = [c for i, c in enumerate(_listed(doc, "checks")) if accepted(f"checks[{i}]")]
    for i, check_id in enumerate(_listed(doc, "checks")):
        if accepted(f"checks[{i}]") and check_id not in checks:
            found.append(problem(path, lines, f"checks[{i}]",
                                    f"unknown check id {check_id!r}{did_you_mean(check_id, checks)}"))
    declared = {name: schema for c in cited if c in checks for name, schema in checks[c].params.items()}
    for i, param in enumerate(_listed(doc, "parameters")):
        if not (accepted(f"parameters[{i}].feeds") and accepted(f"parameters[{i}].default")):
            continue
        found.extend(_parameter_problems(path, lines, i, param, declared))
    problems.extend(sorted(found, key=lambda p: _line_of(p, path)))
    if found:
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
        lines=lines,
    )


def _listed(doc: dict[str, Any], key: str) -> list[Any]:
    """The items of a list field, or none when the field is absent or not a list (the schema said so)."""
    value = doc.get(key)
    return value if isinstance(value, list) else []


def _line_of(found: Problem, path: Path) -> int:
    """The line a problem of ``path`` names, so that a file's problems read top to bottom."""
    rest = found[len(str(path)) + 1:]
    line = rest.split(":", 1)[0]
    return int(line) if line.isdigit() else 0


def _naming_problem(path: Path, lines: dict[str, int], doc: dict[str, Any], oscal_id_valid: bool) -> Problem:
    """The control id decides both the OSCAL id and the file name, so there is one fix, stated whole."""
    expected = oscal_id_for(doc["id"])
    fixes = []
    if not oscal_id_valid or doc.get("oscal_id") != expected:
        fixes.append(f"set oscal_id to {expected!r}")
    if path.stem != expected:
        fixes.append(f"name the file {expected}.yaml")
    field = "oscal_id" if "oscal_id" in lines else "id"
    return problem(path, lines, field, f"control {doc['id']} is {expected} in OSCAL: {' and '.join(fixes)}")


def _parameter_problems(path: Path, lines: dict[str, int], index: int, param: dict[str, Any],
                        declared: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """A parameter must feed one of the control's checks, and its default must pass that check's schema; without
    a default of its own it takes the check's, which the check must then declare."""
    where = f"parameters[{index}]"
    name = param["feeds"]
    if name not in declared:
        known = ", ".join(sorted(declared)) or "they declare none"
        return [problem(path, lines, f"{where}.feeds",
                        f"{name!r} is not a parameter of this control's checks ({known})")]
    if "default" not in param:
        if "default" in declared[name]:
            return []
        return [problem(path, lines, f"{where}.feeds",
                        f"{name!r} has no default in its check: give this parameter a default")]
    judge = schema_validator({name: declared[name]})
    if judge.validate({name: param["default"]}):
        return []
    return [problem(path, lines, f"{where}.default", msg) for _, msg in flatten_errors(judge.errors)]


def read_controls(directory: Path, checks: Mapping[str, CheckSpec], problems: list[Problem]) -> dict[str, Control]:
    """Every ``*.yaml`` under ``directory``; duplicate ids within it are problems."""
    if not directory.is_dir():
        raise UserError(f"{directory}: controls directory not found")
    found: dict[str, Control] = {}
    validator = schema_validator(CONTROL_SCHEMA, HINTS)  # one for every file: the schema is checked on creation
    for path in sorted(directory.rglob("*.yaml")) + sorted(directory.rglob("*.yml")):
        control = _read_control(path, checks, problems, validator)
        if control is None:
            continue
        if control.id in found:
            problems.append(problem(path, control.lines, "id",
                                    f"duplicate control id {control.id} (also in {found[control.id].source})"))
            continue
        found[control.id] = control
    return found


def load_controls(controls_dir: Path | None, checks: Mapping[str, CheckSpec],
                  problems: list[Problem]) -> dict[str, Control]:
    """The built-in library, with the user's folder adding controls or replacing built-in ones by id; ``checks``
    are the registered checks the files may cite."""
    controls = read_controls(builtin_controls_dir(), checks, problems)
    if controls_dir is not None:
        controls.update(read_controls(controls_dir, checks, problems))
    return dict(sorted(controls.items(), key=lambda kv: _sort_key(kv[0])))


def _sort_key(control_id: str) -> tuple[str, int, int]:
    m = re.match(r"([A-Z]{2})-(\d+)(?:\((\d+)\))?", control_id)
    assert m
    return m.group(1), int(m.group(2)), int(m.group(3) or 0)


@dataclass(frozen=True)
class ResolvedParameters:
    """Parameter values per check, and where each value came from."""

    by_check: dict[str, dict[str, Any]]
    values: dict[str, Any]
    sources: dict[str, str]


def resolve_parameters(
    controls: dict[str, Control], checks: dict[str, CheckSpec], overrides: dict[str, Any], problems: list[Problem],
) -> ResolvedParameters:
    """Check defaults, then control ODP defaults, then the organization's config.

    Each value was judged against its check's schema where it was written (the control file, the config), so
    two files disagreeing is a conflict between two valid values, reported at the second file's line. The
    final validation fills in each check's document; it can only fail for a caller that skipped those."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    origin: dict[str, Path] = {}
    for spec in checks.values():
        for name, value in spec.defaults().items():
            values.setdefault(name, value)
            sources.setdefault(name, "default")
    builtin = builtin_controls_dir()
    for control in sorted(controls.values(), key=lambda c: not c.source.is_relative_to(builtin)):
        for i, param in enumerate(control.parameters):
            if param.default is None:  # the check's default, set above
                continue
            if param.feeds in origin and values[param.feeds] != param.default:
                problems.append(problem(
                    control.source, control.lines, f"parameters[{i}].default",
                    f"{param.feeds} is {param.default!r} here but {values[param.feeds]!r} in "
                    f"{origin[param.feeds]}; a parameter has one value: set it once, under the config's "
                    "parameters"))
                continue
            values[param.feeds] = param.default
            sources[param.feeds] = "default"
            origin[param.feeds] = control.source
    for name, value in overrides.items():  # read_config judged each against its schema, at its line
        values[name] = value
        sources[name] = "config"
    by_check: dict[str, dict[str, Any]] = {}
    reported: set[str] = set()
    for spec in checks.values():
        params = {name: values[name] for name in spec.params if name in values}
        judge = schema_validator(spec.params)
        if not judge.validate(params):
            for fld, msg in flatten_errors(judge.errors):
                if fld not in reported:  # one parameter fed to several checks is one problem
                    reported.add(fld)
                    src = "config" if sources.get(fld) == "config" else (origin.get(fld) or f"check {spec.id}")
                    problems.append(Problem(f"{src}: parameters.{fld}: {msg}"))
            continue
        by_check[spec.id] = judge.document
    return ResolvedParameters(by_check, values, sources)
