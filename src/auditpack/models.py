"""The typed data that flows between stages, and the versioned ``assessment.json`` contract.

Everything here is plain pydantic so that a saved assessment can be loaded, re-rendered and compared offline.
Field names of ``Assessment`` and what it contains are a public contract: add fields, never rename them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION = "1.1.0"


@dataclass(frozen=True)
class EvidenceFile:
    """One evidence file of a pack: what the recorder wrote (or a pack's manifest says), with its digest.

    Not part of ``assessment.json``: the reports, OSCAL and the seal read it instead of hashing every file
    again. ``purpose`` is "scope" for the calls that established the scan's scope.
    """

    path: str
    sha256: str
    size: int
    collected_at: datetime | None = None
    purpose: str | None = None


class Status(StrEnum):
    """Outcome of one check on one resource."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not-applicable"
    WAIVED = "waived"


class ControlStatus(StrEnum):
    SATISFIED = "satisfied"
    NOT_SATISFIED = "not-satisfied"
    NOT_ASSESSED = "not-assessed"
    NOT_APPLICABLE = "not-applicable"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"

    @property
    def rank(self) -> int:
        """Higher is worse; used to sort what to fix first."""
        return {"critical": 4, "high": 3, "medium": 2, "low": 1, "informational": 0}[self.value]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResourceRef(Strict):
    """The resource a finding judges: its real ARN, its CloudFormation-style type and a readable name.

    Frozen, because one instance is shared by every finding about the same resource (``evaluate``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    arn: str
    type: str
    name: str


class Waiver(Strict):
    """An accepted risk, as written in the config file."""

    check_id: str
    resource: str = Field(description="Glob matched against the finding's resource ARN.")
    justification: str
    approved_by: str
    expires: str = Field(description="ISO date (YYYY-MM-DD); the waiver no longer applies after this day.")
    ticket: str | None = None


class WaiverState(StrEnum):
    ACTIVE = "active"  # in force and matched at least one failing finding
    EXPIRED = "expired"  # past its expiry date: it no longer applies
    STALE = "stale"  # in force but matched nothing


class WaiverStatus(Strict):
    """How one configured waiver fared in this run."""

    waiver: Waiver
    state: WaiverState
    finding_ids: list[str] = Field(default_factory=list, description="Findings it waived (or would have).")


class ControlChange(Strict):
    id: str
    previous: ControlStatus | None
    current: ControlStatus | None


class PriorFinding(Strict):
    """What a finding of the previous run was, for an id this run has no finding for."""

    id: str
    check_id: str
    severity: Severity
    status: Status
    account: str
    region: str
    resource: ResourceRef


class Comparison(Strict):
    """What changed since a previous run: relies on finding ids being stable across runs."""

    previous_run_id: str
    previous_started_at: datetime
    new_failures: list[str] = Field(default_factory=list, description="Finding ids failing now, not before.")
    resolved: list[str] = Field(default_factory=list, description="Finding ids failing before, not now.")
    persisting: list[str] = Field(default_factory=list, description="Finding ids failing in both runs.")
    control_changes: list[ControlChange] = Field(default_factory=list)
    not_assessed: list[str] = Field(
        default_factory=list,
        description="Finding ids failing before that this run could not judge (check errored, or out of scope).",
    )
    prior_findings: list[PriorFinding] = Field(
        default_factory=list,
        description="The compared findings of the previous run that this run has none for (the resource is gone, "
        "or was not judged): what each was, so the comparison reads without the previous pack.",
    )
    scope_differences: list[str] = Field(
        default_factory=list,
        description="How the two runs' scopes differ (accounts, regions, controls, checks, selection), in words: "
        "a failure outside the other run's scope is neither new nor resolved.",
    )


# A plain frozen dataclass with slots rather than a pydantic model: a large account has a hundred thousand
# findings, and a model's per-instance ``__dict__`` was half of each one's memory (docs/performance.md). pydantic
# still validates, serializes and documents it inside ``Assessment`` (``FINDING`` for one alone), with ``extra``
# forbidden as for every model here. Frozen, so that the lists findings share (one ``control_ids`` per check, one
# ``evidence`` list per set of paths) are never changed through one of them: ``dataclasses.replace`` makes a
# changed copy. (The docstring is the schema's description of a finding.)
@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict on one resource in one region."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")

    id: Annotated[str, Field(description="Stable across runs: derived from check id, resource ARN and region.")]
    check_id: str
    status: Status
    severity: Severity
    resource: ResourceRef
    region: str
    account: str
    control_ids: list[str]
    message: str
    remediation: str
    evidence: Annotated[list[str], Field(description="Paths of evidence files, relative to the pack.")] = field(
        default_factory=list)
    details: Annotated[dict[str, Any], Field(
        description="Check-specific facts (masked secrets and fingerprints, ages, ...).")] = field(default_factory=dict)
    waiver: Waiver | None = None

    @staticmethod
    def stable_id(check_id: str, arn: str, region: str) -> str:
        digest = hashlib.sha256(f"{check_id}\x1f{arn}\x1f{region}".encode()).hexdigest()
        return f"{check_id}-{digest[:16]}"


class ParameterValue(Strict):
    """One organization-defined parameter as it was in force for a control."""

    name: str = Field(description="Readable name of the parameter.")
    parameter: str = Field(description="The check parameter this value feeds.")
    value: Any
    source: str = Field(description="'default' (the control file, else the check's own default) or 'config' (the "
                        "organization's config).")
    odp_id: str | None = Field(default=None, description="NIST ODP id, when NIST assigns one.")


class CheckSummary(Strict):
    check_id: str
    title: str
    passed: int = 0
    failed: int = 0
    errors: int = 0
    not_applicable: int = 0
    waived: int = 0


class ControlResult(Strict):
    id: str
    oscal_id: str
    title: str
    family: str
    summary: str
    status: ControlStatus
    checks: list[str]
    parameters: dict[str, ParameterValue] = Field(default_factory=dict, description="Keyed by ODP id or name.")
    check_results: list[CheckSummary] = Field(default_factory=list)
    accounts: dict[str, ControlStatus] = Field(default_factory=dict, description="Status per account.")


class CollectionError(Strict):
    """A read call that failed after retries; the checks that needed it became errors."""

    account: str
    region: str
    service: str
    operation: str
    error_code: str
    message: str
    resource_type: str
    checks: list[str] = Field(default_factory=list)

    @property
    def call(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def reason(self) -> str:
        """Why the read failed, in words a reader acts on: a bare "404" or "AccessDenied" says neither what
        was not read nor what to do about it."""
        return f"{self.call} could not be read in {self.region}: {explain_failure(self.error_code, self.call)}"


# Error codes by what they mean for a read (AWS services spell the same cause many ways).
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
           "AuthorizationError", "AuthorizationErrorException", "Forbidden", "403"}
_THROTTLED = {"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
              "RequestLimitExceeded", "SlowDown", "429"}
_NOT_OFFERED = {"404", "NotFound", "UnknownOperationException", "InvalidAction", "NotImplemented", "501"}
_REGION_OFF = {"OptInRequired", "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId"}


def explain_failure(code: str, call: str) -> str:
    if code in _DENIED:
        return f"access was denied ({code}); the scanning role needs {call} (auditpack permissions prints the policy)"
    if code in _THROTTLED:
        return f"the service kept throttling the calls ({code}) after every retry; scan again, or with fewer regions"
    if code in _NOT_OFFERED:
        return (f"the endpoint answered {code} (not found): it does not offer this operation, as an emulator "
                "or a region without the service may not")
    if code in _REGION_OFF:
        return f"the credentials were refused ({code}): the region may not be enabled for the account"
    if code == "CollectorFailure":
        return "its answer could not be read into the inventory (a fault in auditpack, logged with --debug)"
    if code.isdigit() and code.startswith("5"):
        return f"the service failed ({code}) after every retry"
    return f"the service answered {code}"


class CheckInfo(Strict):
    """What a check is, so that a saved assessment explains itself without the code that made it."""

    id: str
    title: str
    problem: str = ""  # what a failure means, titled for a reader fixing it (empty in packs before 1.x)
    description: str
    severity: Severity
    remediation: str
    resource_types: list[str]
    permissions: list[str]


class Tool(Strict):
    name: str = "auditpack"
    version: str


class Run(Strict):
    id: str
    started_at: datetime
    finished_at: datetime


class Identity(Strict):
    arn: str
    account: str


class Selection(Strict):
    """What a run was narrowed to on the command line; each empty field means no narrowing by it. A narrowed
    run judges each control on the selected checks only, so the selection travels with its results."""

    controls: list[str] = Field(default_factory=list, description="Controls asked for (NIST ids).")
    checks: list[str] = Field(default_factory=list, description="Checks asked for.")
    exclude_checks: list[str] = Field(default_factory=list, description="Checks left out.")
    severity: Severity | None = Field(default=None, description="Only checks of this severity and above.")
    services: list[str] = Field(default_factory=list, description="Only checks reading these AWS services.")

    @property
    def narrowed(self) -> bool:
        return self != Selection()

    def describe(self) -> str:
        """``checks iam_root_mfa; severity high and above``: the selection in words, for the terminal and reports."""
        parts = [f"controls {', '.join(self.controls)}" if self.controls else "",
                 f"checks {', '.join(self.checks)}" if self.checks else "",
                 f"without checks {', '.join(self.exclude_checks)}" if self.exclude_checks else "",
                 f"severity {self.severity.value} and above" if self.severity else "",
                 f"services {', '.join(self.services)}" if self.services else ""]
        return "; ".join(p for p in parts if p) or "the whole library"


class Scope(Strict):
    accounts: list[str]
    regions: list[str]
    identity: Identity
    selection: Selection = Field(default_factory=Selection)


class Organization(Strict):
    """Who the assessment is for; echoed from the config for the report's cover."""

    name: str = ""
    system: str = ""


class MergedRun(Strict):
    """One pack that ``auditpack merge`` combined: which run, by whom, over which accounts."""

    run: Run
    identity: Identity
    accounts: list[str]
    tool_version: str


class Assessment(Strict):
    """The whole result of one run: what ``assessment.json`` holds."""

    schema_version: str = SCHEMA_VERSION
    tool: Tool
    run: Run
    scope: Scope
    organization: Organization = Field(default_factory=Organization)
    parameters: dict[str, Any] = Field(default_factory=dict, description="Effective check parameters by name.")
    controls: list[ControlResult]
    checks: list[CheckInfo] = Field(default_factory=list)
    findings: list[Finding]
    errors: list[CollectionError] = Field(default_factory=list)
    waivers: list[WaiverStatus] = Field(default_factory=list)
    comparison: Comparison | None = None
    config: dict[str, Any] = Field(default_factory=dict, description="Echo of the config that was in force.")
    merged_from: list[MergedRun] = Field(
        default_factory=list, description="The runs ``auditpack merge`` combined into this one (empty for a scan)."
    )


FINDING: TypeAdapter[Finding] = TypeAdapter(Finding)  # validates and serializes one finding on its own
