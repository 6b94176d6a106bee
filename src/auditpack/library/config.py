"""The organization's config file (``auditpack.yaml``): one schema, its defaults, and problems with field paths.

It is where an organization writes what NIST leaves to it: parameter values, scope, accepted risks
(waivers), remediation deadlines, who prepared the assessment. Everything has a default, so a scan runs
without one, and every default is declared here once: the collection settings the AWS clients use, the role
assumed in other accounts, the PDF's cap, the remediation deadlines. The pydantic models are both the
validation and the typed config every stage reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
)

from auditpack.errors import UserError, did_you_mean
from auditpack.library.schema_errors import validator as schema_validator
from auditpack.library.yamlfile import Problem, flatten_errors, load_yaml, problem
from auditpack.models import Organization, Severity, Waiver

ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_ARN = re.compile(r"^arn:(aws[\w-]*):iam::(\d{12}):role/(.+)$")
NAME = re.compile(r"^[a-z0-9_]+$")
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def _iso_date(value: Any) -> Any:
    """A waiver's expiry as YAML writes it (a date) or as text (YYYY-MM-DD); kept as ISO text."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"{value.isoformat()!r} is a date and time: write the day only (YYYY-MM-DD)")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"{value!r} is not a valid date (YYYY-MM-DD)") from None
    return value


ARN_GLOB = re.compile(r"^(arn:|\*)")


def glob_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable ARN glob, or None.

    fnmatch reads an unclosed ``[`` as a literal character, so a typo would silently match nothing; we refuse
    it instead. A pattern must also look like an ARN (or start with ``*``) because it is matched against ARNs.
    """
    if not ARN_GLOB.match(pattern):
        return f"{pattern!r} is not an ARN glob (it must start with 'arn:' or '*')"
    depth_open = None
    for i, char in enumerate(pattern):
        if char == "[" and depth_open is None:
            depth_open = i
        elif char == "]" and depth_open is not None and i > depth_open + 1:
            depth_open = None
    if depth_open is not None:
        return f"{pattern!r} has an unclosed '[' at position {depth_open}"
    return None


def _arn_glob(value: str) -> str:
    why = glob_problem(value)
    if why:
        raise ValueError(why)
    return value


def _registered(kind: str) -> AfterValidator:
    """Checks a name against what this version has (``context[kind]``: check ids, output formats), when the
    reader supplies it: a typo would otherwise waive or write nothing, silently."""

    def check(value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get(kind)
        if known is not None and value not in known:
            noun = "check id" if kind == "check_ids" else "format"
            hint = f" (known: {', '.join(known)})" if kind == "formats" else did_you_mean(value, known)
            raise ValueError(f"unknown {noun} {value!r}{hint}")
        return value

    return AfterValidator(check)


AccountId = Annotated[str, _matching(ACCOUNT_ID, "a 12-digit account id")]
RegionName = Annotated[str, _matching(REGION, "a region name such as us-east-1")]
RoleName = Annotated[str, _matching(ROLE_NAME, "an IAM role name")]
RoleArn = Annotated[str, _matching(ROLE_ARN, "an IAM role ARN (arn:aws:iam::123456789012:role/Name)")]
CheckName = Annotated[str, _matching(NAME, "a check id (lower-case letters, digits and underscores)")]
Days = Annotated[int, Field(ge=1, le=3650)]


class Section(BaseModel):
    """A config section: unknown keys are mistakes, and YAML's types are taken as written (no coercion)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Scope(Section):
    accounts: list[AccountId] = Field(default_factory=list)
    regions: list[RegionName] = Field(default_factory=list)
    exclude_regions: list[RegionName] = Field(default_factory=list)
    org: bool = False
    role_name: RoleName = DEFAULT_ROLE_NAME
    account_roles: list[RoleArn] = Field(default_factory=list)


class ConfigWaiver(Waiver):
    """A waiver as the config states it: the expiry is a real day and the resource a usable ARN glob."""

    model_config = ConfigDict(extra="forbid", strict=True)

    check_id: Annotated[CheckName, _registered("check_ids")]
    resource: Annotated[str, AfterValidator(_arn_glob)]
    justification: Annotated[str, Field(min_length=1)]
    approved_by: Annotated[str, Field(min_length=1)]
    expires: Annotated[str, BeforeValidator(_iso_date)]


class RemediationDays(Section):
    """Days allowed to fix a failing finding, by severity (the POA&M's deadlines)."""

    critical: Days = 15
    high: Days = 30
    medium: Days = 90
    low: Days = 180
    informational: Days = 365

    def for_severity(self, severity: Severity | str) -> int:
        return int(getattr(self, Severity(severity).value))


class ReportSettings(Section):
    prepared_by: str = ""
    reviewed_by: str = ""
    pdf_findings_per_control: Annotated[int, Field(ge=1, le=10000)] = 25


class AssessorSection(Section):
    """Who assessed: the assessor party of the OSCAL results (FedRAMP's SAR names the assessment organization;
    for a self-assessment, name the team that ran the scan). Unnamed, the tool is the only origin recorded."""

    name: str = ""
    type: Literal["organization", "person"] = "organization"


class CollectionSettings(Section):
    """How hard and how wide collection works; the AWS clients are configured from these."""

    max_workers: Annotated[int, Field(ge=1, le=256)] = 16
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 8
    connect_timeout: Annotated[float, Field(ge=1, le=300)] = 5.0
    read_timeout: Annotated[float, Field(ge=1, le=900)] = 30.0


class OrganizationSection(Organization):
    model_config = ConfigDict(extra="forbid", strict=True)


class Config(Section):
    path: Annotated[Path | None, Field(strict=False)] = None  # the file this was read from; never echoed
    organization: OrganizationSection = Field(default_factory=OrganizationSection)
    parameters: dict[Annotated[str, _matching(NAME, "a parameter name")], Any] = Field(default_factory=dict)
    scope: Scope = Field(default_factory=Scope)
    waivers: list[ConfigWaiver] = Field(default_factory=list)
    remediation_days: RemediationDays = Field(default_factory=RemediationDays)
    fingerprint_key: Annotated[Path | None, Field(strict=False)] = None  # relative to the config file's folder
    formats: list[Annotated[str, _registered("formats")]] | None = None  # None: every format this version writes
    report: ReportSettings = Field(default_factory=ReportSettings)
    assessor: AssessorSection = Field(default_factory=AssessorSection)
    collection: CollectionSettings = Field(default_factory=CollectionSettings)

    _lines: dict[str, int] = PrivateAttr(default_factory=dict)  # each field's line in the file

    def where(self, field: str) -> str:
        """``auditpack.yaml:12: waivers[0].expires``: how a message about one of the file's fields starts."""
        return problem(self.path or Path("config"), self._lines, field, "").removesuffix(": ")

    def echo(self) -> dict[str, Any]:
        """What the assessment records of the config: everything but local paths."""
        return self.model_dump(mode="json", exclude={"path", "fingerprint_key"})


def config_from_echo(echo: dict[str, Any]) -> Config:
    """The config a pack's assessment echoed, to render it again; a section this version cannot read (an echo
    from another version) keeps its defaults rather than failing the re-render."""
    try:
        return Config.model_validate(echo, strict=False)
    except ValidationError:
        readable = {}
        for key, value in echo.items():
            try:
                Config.model_validate({key: value}, strict=False)
            except ValidationError:
                continue
            readable[key] = value
        return Config.model_validate(readable, strict=False)


def read_config(path: Path | None, problems: list[Problem], check_ids: Collection[str] | None = None,
                formats: Collection[str] | None = None,
                parameters: Mapping[str, Mapping[str, Any]] | None = None) -> Config:
    """Parse and validate the config; problems are appended, the defaults are returned on error.

    ``check_ids`` are the registered checks, so that a waiver naming a check that does not exist (a typo that
    would otherwise waive nothing, silently) is a problem with its field path; ``formats`` are the output
    formats this version writes, which an absent ``formats`` stands for; ``parameters`` are the checks' parameter
    schemas by name, so that each value is judged at its own line.
    """
    defaults = Config(formats=list(formats) if formats is not None else None)
    if path is None:
        return defaults
    if not path.is_file():
        raise UserError(f"{path}: config file not found")
    data, lines = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(f"{path}:1: (document): expected a mapping of settings"))
        return defaults
    before = len(problems)
    for key in ("path",):
        if key in data:
            problems.append(problem(path, lines, key, "unknown field"))
    context = {"check_ids": sorted(check_ids) if check_ids is not None else None,
               "formats": list(formats) if formats is not None else None}
    try:
        config = Config.model_validate({k: v for k, v in data.items() if k != "path"}, context=context)
    except ValidationError as exc:
        problems.extend(problem(path, lines, field, message) for field, message in validation_problems(exc))
        return defaults
    if parameters is not None:
        problems.extend(_parameter_problems(path, lines, config.parameters, parameters))
    if len(problems) > before:
        return defaults
    key = config.fingerprint_key
    config = config.model_copy(update={
        "path": path,
        "fingerprint_key": (path.parent / key.expanduser()) if key else None,
        "formats": config.formats if config.formats is not None else defaults.formats,
    })
    config._lines = lines
    return config


def _parameter_problems(path: Path, lines: dict[str, int], values: Mapping[str, Any],
                        schemas: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """Each parameter the config sets must be one a check declares, with a value its schema accepts."""
    out = []
    for name, value in values.items():
        where = f"parameters.{name}"
        if name not in schemas:
            out.append(problem(path, lines, where, f"unknown parameter{did_you_mean(name, schemas)} "
                                                   f"(known: {', '.join(sorted(schemas))})"))
            continue
        judge = schema_validator({name: schemas[name]})
        if not judge.validate({name: value}):
            out.extend(problem(path, lines, where, message) for _, message in flatten_errors(judge.errors))
    return out


# pydantic's error types, as sentences; anything else keeps pydantic's own message.
MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required field",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "string_too_short": "must not be empty",
    "path_type": "must be a file path",
}


def validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """``(field.path[0].sub, sentence)`` for each of pydantic's errors, in the words of the config file."""
    out = []
    for error in exc.errors(include_url=False):
        field = ""
        for part in error["loc"]:
            if isinstance(part, int):
                field += f"[{part}]"
            elif part != "[key]":  # a mapping key that is itself wrong: the path already names it
                field += f".{part}" if field else str(part)
        kind = error["type"]
        context = error.get("ctx") or {}
        if kind == "value_error":
            message = str(context.get("error", error["msg"]))
        elif kind in ("greater_than_equal", "less_than_equal"):
            bound = context.get("ge", context.get("le"))
            message = f"must be {'at least' if kind == 'greater_than_equal' else 'at most'} {bound}"
        else:
            message = MESSAGES.get(kind, error["msg"])
        if kind.endswith("_type") and isinstance(error.get("input"), str | int | float | bool | dt.date):
            message += f" (not {error['input']!r})"
        out.append((field or "(document)", message))
    return out
