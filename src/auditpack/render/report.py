"""The report's content, built once from an ``Assessment`` and rendered by one template family.

``build_report`` turns the assessment into what a reader needs (ordering, counts, the worst findings
first, charts, the evidence index) and ``render_report`` fills ``reports/report.html.j2`` with it, for the
browser (``medium="html"``: every finding, sortable tables) or for WeasyPrint (``medium="pdf"``: print
styles, at most ``pdf_findings_per_control`` failing resources per control). Keeping the decisions here and
only layout in the template is what makes the two reports say the same thing.

Finding ``details`` are check-specific and may one day hold something sensitive; only what
``auditpack.render.disclosure`` allows (a safe key with a value of that shape) is ever rendered.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from markupsafe import Markup

from auditpack.library.config import Config, ReportSettings, config_from_echo
from auditpack.models import (
    Assessment,
    CheckInfo,
    CheckSummary,
    ControlResult,
    ControlStatus,
    EvidenceFile,
    Finding,
    PriorFinding,
    Severity,
    Status,
    Waiver,
)
from auditpack.render import charts
from auditpack.render.disclosure import shareable_details

FIX_FIRST = 5
PDF_EVIDENCE_PER_CHECK = 6
# The PDF's evidence index is printed like SHA256SUMS (a monospaced block is about four times cheaper to lay out
# than table rows); past this many files it points to SHA256SUMS, manifest.json and report.html for the rest.
PDF_EVIDENCE_INDEX_MAX = 5000

CONTROL_STATUS_LABEL = {
    ControlStatus.SATISFIED: "Satisfied",
    ControlStatus.NOT_SATISFIED: "Not satisfied",
    ControlStatus.NOT_ASSESSED: "Not assessed",
    ControlStatus.NOT_APPLICABLE: "Not applicable",
}
CONTROL_STATUS_COLOR = {
    ControlStatus.SATISFIED: "#2f855a",
    ControlStatus.NOT_SATISFIED: "#c53030",
    ControlStatus.NOT_ASSESSED: "#b7791f",
    ControlStatus.NOT_APPLICABLE: "#a0aec0",
}
SEVERITY_COLOR = {
    Severity.CRITICAL: "#822727",
    Severity.HIGH: "#c53030",
    Severity.MEDIUM: "#dd6b20",
    Severity.LOW: "#d69e2e",
    Severity.INFORMATIONAL: "#718096",
}
# The overall findings table (report.html): what needs attention first, what is fine last.
FINDING_STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.WAIVED, Status.PASS, Status.NOT_APPLICABLE)
FINDING_STATUS_LABEL = {
    Status.PASS: "Pass",
    Status.FAIL: "Fail",
    Status.ERROR: "Error",
    Status.NOT_APPLICABLE: "Not applicable",
    Status.WAIVED: "Waived",
}

# -- which finding details may be shown --------------------------------------------------------------------


def safe_details(details: dict[str, Any]) -> list[tuple[str, str]]:
    """What ``auditpack.render.disclosure`` lets a reader see of a finding's details, with readable labels."""
    return [(key.replace("_", " "), text) for key, text in shareable_details(details).items()]


# -- the view ----------------------------------------------------------------------------------------------


@dataclass
class CheckRow:
    """One check as it bears on one control: counts, what it is, and the files it rests on."""

    summary: CheckSummary
    info: CheckInfo | None
    failing: list[Finding]
    evidence: list[str]

    @property
    def severity(self) -> str:
        return self.info.severity.value if self.info else ""


@dataclass(frozen=True)
class WorkloadLine:
    """One instance's answer to "does this workload use a role or a user's key?"."""

    name: str
    place: str
    sentence: str
    uses_static_key: bool  # its user data holds a credential
    has_role: bool


ROLE_CHECK, USER_DATA_CHECK = "ec2_instance_profile_attached", "ec2_user_data_no_secrets"


def workload_credentials(findings: Iterable[Finding]) -> list[WorkloadLine]:
    """Join, per instance, whether it has a role (instance profile) with what its user data holds.

    Neither check alone answers the auditor's question: a role does not prove no key is also shipped in the
    user data, and clean user data does not prove the instance has a role. Instances that carry a static key
    come first, then those without a role.
    """
    role: dict[str, Finding] = {}
    user_data: dict[str, Finding] = {}
    for f in findings:
        if f.check_id == ROLE_CHECK and f.status in (Status.PASS, Status.FAIL, Status.WAIVED):
            role[f.resource.arn] = f
        elif f.check_id == USER_DATA_CHECK and f.resource.type == "AWS::EC2::Instance":
            user_data[f.resource.arn] = f
    lines = []
    for arn, profile in role.items():
        has_role = profile.status == Status.PASS
        data = user_data.get(arn)
        if data is None or data.status == Status.ERROR:
            data_clause, leaks = "its user data could not be examined", False
        elif data.status in (Status.FAIL, Status.WAIVED):
            data_clause, leaks = "its user data holds a static credential", True
        else:
            data_clause, leaks = "its user data holds no static credential", False
        if has_role and not leaks:
            sentence = f"uses short-lived role credentials from its instance profile, and {data_clause}."
        elif has_role:
            sentence = f"has a role, yet {data_clause}: remove it and let the workload use the role."
        elif leaks:
            sentence = f"has no role and {data_clause}: it runs on a long-lived key instead of a role."
        else:
            sentence = (f"has no role, and {data_clause}; if it calls AWS, its credentials come from elsewhere "
                        "on the host: attach a role.")
        lines.append(WorkloadLine(profile.resource.name, f"{profile.region}, {profile.account}", sentence,
                                  leaks, has_role))
    return sorted(lines, key=lambda w: (not w.uses_static_key, w.has_role, w.name))


@dataclass
class ControlView:
    result: ControlResult
    anchor: str
    checks: list[CheckRow]
    failing: list[Finding]  # worst first
    errors: list[Finding]
    waived: list[Finding]
    workloads: list[WorkloadLine] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return CONTROL_STATUS_LABEL[self.result.status]

    def failing_groups(self, cap: int | None) -> list[tuple[CheckRow, list[Finding]]]:
        """The worst ``cap`` failing findings (all when None), grouped by check, most severe check first.

        Grouping lets the remediation be said once per check instead of once per resource.
        """
        chosen = self.failing if cap is None else self.failing[:cap]
        by_check: dict[str, list[Finding]] = defaultdict(list)
        for f in chosen:
            by_check[f.check_id].append(f)
        rows = {row.summary.check_id: row for row in self.checks}
        order = list(dict.fromkeys(f.check_id for f in chosen))  # already worst first
        return [(rows[cid], by_check[cid]) for cid in order if cid in rows]


@dataclass
class FixFirst:
    check: CheckInfo | None
    check_id: str
    severity: Severity
    count: int
    controls: list[str]
    accounts: int


@dataclass
class ErrorGroup:
    """The results of one check that could not be evaluated, with where and why (distinct reasons)."""

    check_id: str
    title: str
    count: int
    places: list[str]
    reasons: list[str]


@dataclass
class WaiverGroup:
    """Findings accepted under one waiver: its terms once, then the resources it covers."""

    waiver: Waiver
    check: CheckInfo | None
    severity: Severity
    findings: list[Finding]


@dataclass
class AccountRow:
    account: str
    counts: dict[ControlStatus, int]
    not_satisfied: list[str]
    failing_findings: int


@dataclass
class EvidenceGroup:
    """Evidence files of one account and region: shorter lines for the index, and easier to find."""

    folder: str
    files: list[tuple[str, EvidenceFile]]


@dataclass
class Report:
    assessment: Assessment
    settings: ReportSettings
    title: str
    subject: str
    header: str
    controls: list[ControlView]
    control_counts: dict[ControlStatus, int]
    severity_counts: dict[Severity, int]
    findings_total: int
    failing_total: int
    error_findings: list[Finding]
    error_groups: list[ErrorGroup]
    waiver_groups: list[WaiverGroup]
    fix_first: list[FixFirst]
    chart_controls: Markup
    chart_severity: Markup
    checks: list[CheckInfo]
    permissions: list[str]
    waived: list[Finding]
    accounts: list[AccountRow]
    evidence: list[EvidenceFile]
    findings_by_id: dict[str, Finding | PriorFinding]  # this run's, and the compared ones of the previous run
    prior_ids: frozenset[str]  # ids in findings_by_id this run has no finding for
    all_findings: list[Finding]  # every finding, for the overall table: by status, then worst first
    finding_filters: list[FindingFilter]

    def evidence_groups_upto(self, limit: int) -> tuple[list[EvidenceGroup], int]:
        """The evidence groups holding at most ``limit`` files in all, and how many files were left out."""
        kept: list[EvidenceGroup] = []
        room = limit
        for group in self.evidence_groups:
            if room <= 0:
                break
            kept.append(EvidenceGroup(group.folder, group.files[:room]))
            room -= len(kept[-1].files)
        return kept, max(0, len(self.evidence) - limit)

    @property
    def evidence_groups(self) -> list[EvidenceGroup]:
        groups: dict[str, list[tuple[str, EvidenceFile]]] = defaultdict(list)
        for e in self.evidence:
            parts = e.path.split("/")
            cut = 3 if len(parts) > 3 else len(parts) - 1
            groups["/".join(parts[:cut])].append(("/".join(parts[cut:]), e))
        return [EvidenceGroup(folder, files) for folder, files in groups.items()]


@dataclass
class FindingFilter:
    """One choice above the overall findings table: the row attribute it matches, and each value with its
    count (so a reader sees how many findings a choice leaves before making it)."""

    name: str
    label: str
    options: list[tuple[str, str, int]]  # value, label, findings


def finding_filters(findings: list[Finding], checks: Mapping[str, CheckInfo]) -> list[FindingFilter]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        counts["status"][f.status.value] += 1
        counts["severity"][f.severity.value] += 1
        counts["account"][f.account] += 1
        counts["region"][f.region] += 1
        counts["check"][f.check_id] += 1
        counts["control"].update(f.control_ids)

    def options(name: str, order: Iterable[str], label: Callable[[str], str] = str) -> list[tuple[str, str, int]]:
        return [(value, label(value), counts[name][value]) for value in order if counts[name][value]]

    return [
        FindingFilter("status", "Status", options("status", (s.value for s in FINDING_STATUS_ORDER),
                                                  lambda v: FINDING_STATUS_LABEL[Status(v)])),
        FindingFilter("severity", "Severity", options("severity", (s.value for s in sorted(
            Severity, key=lambda s: -s.rank)))),
        FindingFilter("account", "Account", options("account", sorted(counts["account"]))),
        FindingFilter("region", "Region", options("region", sorted(counts["region"]))),
        FindingFilter("check", "Check", options("check", sorted(counts["check"]),
                                                lambda v: checks[v].title if v in checks else v)),
        FindingFilter("control", "Control", options("control", sorted(counts["control"], key=control_sort_key))),
    ]


def control_sort_key(control_id: str) -> tuple[str, int, int]:
    """NIST order: AU-2 before AU-12, AU-2 before AU-2(1)."""
    match = re.match(r"^([A-Z]+)-(\d+)(?:\((\d+)\))?", control_id)
    if not match:
        return (control_id, 0, 0)
    return (match.group(1), int(match.group(2)), int(match.group(3) or 0))


def worst_first(findings: Iterable[Finding], check_order: dict[str, int]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, check_order.get(f.check_id, 0), f.account, f.region,
                                           f.resource.name, f.resource.arn))


def anchor_for(control_id: str) -> str:
    return "control-" + re.sub(r"[^a-z0-9]+", "-", control_id.lower()).strip("-")



def _findings_by_id(assessment: Assessment) -> dict[str, Finding | PriorFinding]:
    """This run's findings, and what each compared finding of the previous run was when this run has none
    for it (a resolved resource that is gone still names its account and region)."""
    found: dict[str, Finding | PriorFinding] = {f.id: f for f in assessment.findings}
    for prior in assessment.comparison.prior_findings if assessment.comparison else []:
        found.setdefault(prior.id, prior)
    return found

def build_report(assessment: Assessment, config: Config | None = None,
                 evidence: Mapping[str, EvidenceFile] | None = None) -> Report:
    """The report's content. ``config`` is the config in force (by default the one the assessment echoes);
    ``evidence`` is the pack's evidence index (paths and digests, see RenderContext)."""
    settings = (config or config_from_echo(assessment.config)).report
    checks_by_id = {c.id: c for c in assessment.checks}
    check_order = {c.id: i for i, c in enumerate(assessment.checks)}
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in assessment.findings:
        by_check[f.check_id].append(f)

    controls = []
    for result in sorted(assessment.controls, key=lambda c: control_sort_key(c.id)):
        mine = [f for c in result.checks for f in by_check.get(c, [])]
        rows = []
        for summary in result.check_results:
            of_check = by_check.get(summary.check_id, [])
            rows.append(CheckRow(
                summary=summary,
                info=checks_by_id.get(summary.check_id),
                failing=[f for f in of_check if f.status == Status.FAIL],
                evidence=sorted({e for f in of_check for e in f.evidence}),
            ))
        controls.append(ControlView(
            result=result,
            anchor=anchor_for(result.id),
            checks=rows,
            failing=worst_first((f for f in mine if f.status == Status.FAIL), check_order),
            errors=[f for f in mine if f.status == Status.ERROR],
            waived=[f for f in mine if f.status == Status.WAIVED],
            workloads=(workload_credentials([*by_check.get(ROLE_CHECK, []), *by_check.get(USER_DATA_CHECK, [])])
                       if ROLE_CHECK in result.checks else []),
        ))

    control_counts = Counter(c.status for c in assessment.controls)
    failing = [f for f in assessment.findings if f.status == Status.FAIL]
    severity_counts = Counter(f.severity for f in failing)

    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in failing:
        groups[f.check_id].append(f)
    fix_first = sorted(
        (FixFirst(check=checks_by_id.get(cid), check_id=cid, severity=fs[0].severity, count=len(fs),
                  controls=sorted({c for f in fs for c in f.control_ids}, key=control_sort_key),
                  accounts=len({f.account for f in fs}))
         for cid, fs in groups.items()),
        key=lambda x: (-x.severity.rank, -x.count, check_order.get(x.check_id, 0)),
    )[:FIX_FIRST]

    accounts = []
    for account in assessment.scope.accounts:
        statuses = Counter(c.accounts.get(account, ControlStatus.NOT_APPLICABLE) for c in assessment.controls)
        accounts.append(AccountRow(
            account=account,
            counts={s: statuses.get(s, 0) for s in ControlStatus},
            not_satisfied=sorted((c.id for c in assessment.controls
                                  if c.accounts.get(account) == ControlStatus.NOT_SATISFIED), key=control_sort_key),
            failing_findings=sum(1 for f in failing if f.account == account),
        ))

    errors_by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in assessment.findings:
        if f.status == Status.ERROR:
            errors_by_check[f.check_id].append(f)
    error_groups = [
        ErrorGroup(check_id=cid, title=checks_by_id[cid].title if cid in checks_by_id else cid, count=len(fs),
                   places=sorted({f"{f.account} / {f.region}" for f in fs}),
                   reasons=list(dict.fromkeys(f.message for f in fs)))
        for cid, fs in sorted(errors_by_check.items(), key=lambda kv: check_order.get(kv[0], 0))
    ]

    waived_by: dict[str, list[Finding]] = defaultdict(list)
    for f in assessment.findings:
        if f.status == Status.WAIVED and f.waiver is not None:
            waived_by[f.waiver.model_dump_json()].append(f)
    waiver_groups = sorted(
        (WaiverGroup(waiver=fs[0].waiver, check=checks_by_id.get(fs[0].check_id), severity=fs[0].severity,
                     findings=worst_first(fs, check_order)) for fs in waived_by.values() if fs[0].waiver),
        key=lambda g: (-g.severity.rank, -len(g.findings), g.waiver.check_id),
    )

    org = assessment.organization
    accounts_text = (f"Account {assessment.scope.accounts[0]}" if len(assessment.scope.accounts) == 1
                     else f"{len(assessment.scope.accounts)} accounts")
    subject = org.name or accounts_text
    date = assessment.run.finished_at.strftime("%Y-%m-%d")
    header = " · ".join(x for x in (org.name, org.system, accounts_text, date) if x)

    chart_controls = Markup(charts.donut(
        [charts.Slice(CONTROL_STATUS_LABEL[s], control_counts.get(s, 0), CONTROL_STATUS_COLOR[s])
         for s in ControlStatus],
        title="Controls by status", center_label="controls"))
    chart_severity = Markup(charts.bars(
        [charts.Slice(s.value.capitalize(), severity_counts.get(s, 0), SEVERITY_COLOR[s]) for s in Severity],
        title="Failing findings by severity"))

    return Report(
        assessment=assessment,
        settings=settings,
        title="Security Control Assessment Report",
        subject=subject,
        header=header,
        controls=controls,
        control_counts={s: control_counts.get(s, 0) for s in ControlStatus},
        severity_counts={s: severity_counts.get(s, 0) for s in Severity},
        findings_total=len(assessment.findings),
        failing_total=len(failing),
        error_findings=[f for f in assessment.findings if f.status == Status.ERROR],
        error_groups=error_groups,
        waiver_groups=waiver_groups,
        fix_first=fix_first,
        chart_controls=chart_controls,
        chart_severity=chart_severity,
        checks=sorted(assessment.checks, key=lambda c: c.id),
        permissions=sorted({p for c in assessment.checks for p in c.permissions}),
        waived=worst_first((f for f in assessment.findings if f.status == Status.WAIVED), check_order),
        accounts=accounts,
        evidence=[evidence[rel] for rel in sorted(evidence or {})],
        findings_by_id=(by_id := _findings_by_id(assessment)),
        prior_ids=frozenset(fid for fid, f in by_id.items() if isinstance(f, PriorFinding)),
        all_findings=sorted(assessment.findings, key=lambda f: (
            FINDING_STATUS_ORDER.index(f.status), -f.severity.rank, check_order.get(f.check_id, 0), f.account,
            f.region, f.resource.name, f.resource.arn)),
        finding_filters=finding_filters(assessment.findings, checks_by_id),
    )


# -- rendering ---------------------------------------------------------------------------------------------


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M:%S")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _is_local_evidence(path: str) -> bool:
    """Only pack-relative evidence paths become links: never a scheme, an absolute path or a way out."""
    return path.startswith("evidence/") and ".." not in path.split("/") and ":" not in path


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _inline(text: str) -> Markup:
    """Docstring text for the report: escaped, with reStructuredText ``literals`` shown as code."""
    escaped = str(Markup.escape(text))
    return Markup(re.sub(r"``(.+?)``", r"<code>\1</code>", escaped))


def check_id_of(finding_id: str) -> str:
    return finding_id.rsplit("-", 1)[0]


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = resources.files("auditpack.reports")
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=_when, value=_value, size=_size, details=safe_details, inline=_inline)
    env.globals.update(
        CONTROL_STATUS_LABEL=CONTROL_STATUS_LABEL,
        FINDING_STATUS_LABEL=FINDING_STATUS_LABEL,
        FINDING_STATUS_ORDER=FINDING_STATUS_ORDER,
        ControlStatus=ControlStatus,
        Severity=Severity,
        is_local_evidence=_is_local_evidence,
        check_id_of=check_id_of,
        PDF_EVIDENCE_PER_CHECK=PDF_EVIDENCE_PER_CHECK,
        PDF_EVIDENCE_INDEX_MAX=PDF_EVIDENCE_INDEX_MAX,
    )
    return env


def render_report(report: Report, medium: str) -> str:
    """The report as one self-contained HTML document for ``medium`` "html" (browser) or "pdf" (WeasyPrint)."""
    return "".join(render_report_pieces(report, medium))


def render_report_pieces(report: Report, medium: str) -> Iterator[str]:
    """The same document in pieces, for writing it without holding it (the browser report lists every finding:
    tens of MB at 60,000 findings)."""
    if medium not in ("html", "pdf"):
        raise ValueError(f"unknown medium {medium!r}")
    template = _environment().get_template("report.html.j2")
    return template.generate(r=report, a=report.assessment, medium=medium, pdf=medium == "pdf",
                             cap=report.settings.pdf_findings_per_control)
