"""The organization's config file (``auditpack.yaml``): validated like the controls, with field paths.

It is where an organization writes what NIST leaves to it: parameter values, scope, accepted risks
(waivers), remediation deadlines, who prepared the assessment. Everything has a default, so a scan runs
without one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cerberus import Validator
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditpack.errors import UserError
from auditpack.evaluate.waivers import waiver_problems
from auditpack.library.yamlfile import Problem, flatten_errors, load_yaml, problem
from auditpack.models import Waiver

OUTPUT_FORMATS = ("json", "oscal", "ocsf", "asff", "csv", "html", "pdf")
SEVERITIES = ("critical", "high", "medium", "low", "informational")

CONFIG_SCHEMA: dict[str, Any] = {
    "organization": {
        "type": "dict",
        "schema": {"name": {"type": "string"}, "system": {"type": "string"}},
    },
    "parameters": {"type": "dict", "keysrules": {"type": "string", "regex": r"^[a-z0-9_]+$"}},
    "scope": {
        "type": "dict",
        "schema": {
            "accounts": {"type": "list", "schema": {"type": "string", "regex": r"^\d{12}$"}},
            "regions": {"type": "list", "schema": {"type": "string", "regex": r"^[a-z]{2}(-[a-z]+)+-\d$"}},
            "exclude_regions": {"type": "list", "schema": {"type": "string", "regex": r"^[a-z]{2}(-[a-z]+)+-\d$"}},
            "org": {"type": "boolean"},
            "role_name": {"type": "string", "regex": r"^[\w+=,.@-]{1,64}$"},
            "account_roles": {
                "type": "list",
                "schema": {"type": "string", "regex": r"^arn:aws[\w-]*:iam::\d{12}:role/.+$"},
            },
        },
    },
    "waivers": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "check_id": {"type": "string", "required": True, "regex": r"^[a-z0-9_]+$"},
                "resource": {"type": "string", "required": True, "empty": False},
                "justification": {"type": "string", "required": True, "empty": False},
                "approved_by": {"type": "string", "required": True, "empty": False},
                "expires": {"type": ["date", "string"], "required": True, "regex": r"^\d{4}-\d{2}-\d{2}$"},
                "ticket": {"type": "string"},
            },
        },
    },
    "remediation_days": {
        "type": "dict",
        "keysrules": {"type": "string", "allowed": list(SEVERITIES)},
        "valuesrules": {"type": "integer", "min": 1, "max": 3650},
    },
    "fingerprint_key": {"type": "string", "empty": False},
    "formats": {"type": "list", "schema": {"type": "string", "allowed": list(OUTPUT_FORMATS)}},
    "report": {
        "type": "dict",
        "schema": {
            "prepared_by": {"type": "string"},
            "reviewed_by": {"type": "string"},
            "pdf_findings_per_control": {"type": "integer", "min": 1, "max": 10000},
        },
    },
    "collection": {
        "type": "dict",
        "schema": {
            "max_workers": {"type": "integer", "min": 1, "max": 256},
            "max_attempts": {"type": "integer", "min": 1, "max": 20},
            "connect_timeout": {"type": "number", "min": 1, "max": 300},
            "read_timeout": {"type": "number", "min": 1, "max": 900},
        },
    },
}


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accounts: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    exclude_regions: list[str] = Field(default_factory=list)
    org: bool = False
    role_name: str = "OrganizationAccountAccessRole"
    account_roles: list[str] = Field(default_factory=list)


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prepared_by: str = ""
    reviewed_by: str = ""
    pdf_findings_per_control: int = 25


class CollectionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_workers: int = 16
    max_attempts: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: Path | None = None
    organization: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    scope: Scope = Field(default_factory=Scope)
    waivers: list[Waiver] = Field(default_factory=list)
    remediation_days: dict[str, int] = Field(
        default_factory=lambda: {"critical": 15, "high": 30, "medium": 90, "low": 180, "informational": 365}
    )
    fingerprint_key: Path | None = None
    formats: list[str] = Field(default_factory=lambda: list(OUTPUT_FORMATS))
    report: ReportSettings = Field(default_factory=ReportSettings)
    collection: CollectionSettings = Field(default_factory=CollectionSettings)

    def echo(self) -> dict[str, Any]:
        """What the assessment records of the config: everything but local paths."""
        return self.model_dump(mode="json", exclude={"path", "fingerprint_key"})


def config_from_echo(echo: dict[str, Any]) -> Config:
    """The config a pack's assessment echoed, to render it again; a section this version cannot read (an echo
    from another version) keeps its defaults rather than failing the re-render."""
    try:
        return Config.model_validate(echo)
    except ValidationError:
        readable = {}
        for key, value in echo.items():
            try:
                Config.model_validate({key: value})
            except ValidationError:
                continue
            readable[key] = value
        return Config.model_validate(readable)


def read_config(path: Path | None, problems: list[Problem], check_ids: set[str] | None = None) -> Config:
    """Parse and validate the config; problems are appended, an empty config is returned on error.

    ``check_ids`` are the registered checks, so that a waiver naming a check that does not exist (a typo that
    would otherwise waive nothing, silently) is a problem with its field path.
    """
    if path is None:
        return Config()
    if not path.is_file():
        raise UserError(f"{path}: config file not found")
    data, lines = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(f"{path}:1: (document): expected a mapping of settings"))
        return Config()
    validator = Validator(CONFIG_SCHEMA)
    if not validator.validate(data):
        for fld, msg in flatten_errors(validator.errors):
            problems.append(problem(path, lines, fld, msg))
        return Config()
    waiver_errors = waiver_problems(validator.document.get("waivers", []), check_ids)
    if waiver_errors:
        problems.extend(problem(path, lines, fld, msg) for fld, msg in waiver_errors)
        return Config()
    doc = dict(validator.document)
    for waiver in doc.get("waivers", []):
        if isinstance(waiver["expires"], dt.date):
            waiver["expires"] = waiver["expires"].isoformat()
    remediation = {**Config().remediation_days, **doc.pop("remediation_days", {})}
    key = doc.pop("fingerprint_key", None)
    key_path = (path.parent / Path(key).expanduser()) if key else None
    return Config(path=path, remediation_days=remediation, fingerprint_key=key_path, **doc)
