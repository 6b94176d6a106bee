"""A run's closing summary, computed once: the terminal prints it, ``--summary-json`` writes it for CI.

It is what someone who just ran a scan needs next: what the exit code meant, which reports to open, what to
fix first and where the report lists what could not be evaluated. It names resources and counts, never a
resource's values; a finding's message is the check's own sentence, which shows secrets only masked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from auditpack.commands.exitcodes import meaning
from auditpack.evaluate.outcome import Outcome
from auditpack.models import ControlStatus, Finding, Severity

SUMMARY_VERSION = "1"
REPORTS = {"pdf": "report.pdf", "html": "report.html"}
NOT_EVALUATED_SECTION = ("What could not be assessed", "limitations")  # the report's heading and its anchor


@dataclass(frozen=True)
class TopFailure:
    severity: str
    check_id: str
    account: str
    region: str
    resource_arn: str
    resource_name: str
    message: str


@dataclass(frozen=True)
class Summary:
    summary_version: str
    run_id: str
    exit_code: int
    result: str
    pack: str
    reports: dict[str, str]
    elapsed_seconds: float
    organization: str  # empty when the config names none (the report's cover then reads "Not set")
    system: str
    accounts: list[str]
    regions: list[str]
    selection: str | None  # the narrowing in words, None for the whole library
    controls: dict[str, int]
    failures_by_severity: dict[str, int]
    not_evaluated: int
    unreachable_accounts: dict[str, str]  # account -> why its role could not be assumed
    top_failures: list[TopFailure]
    not_evaluated_section: str | None  # where the report lists what could not be evaluated

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def summarize(outcome: Outcome, pack: Path, exit_code: int, elapsed_seconds: float) -> Summary:
    controls = Counter(outcome.control_statuses)
    reports = {kind: str(pack / name) for kind, name in REPORTS.items() if (pack / name).is_file()}
    selection = outcome.scope.selection
    return Summary(
        summary_version=SUMMARY_VERSION,
        run_id=outcome.run.id,
        exit_code=exit_code,
        result=meaning(exit_code),
        pack=str(pack),
        reports=reports,
        elapsed_seconds=round(elapsed_seconds, 1),
        organization=outcome.organization.name,
        system=outcome.organization.system,
        accounts=list(outcome.scope.accounts),
        regions=list(outcome.scope.regions),
        selection=selection.describe() if selection.narrowed else None,
        controls={status.value: controls.get(status, 0) for status in ControlStatus},
        failures_by_severity={s.value: outcome.failures_by_severity.get(s, 0) for s in Severity},
        not_evaluated=outcome.not_evaluated,
        unreachable_accounts=dict(outcome.unreachable_accounts),
        top_failures=[_top(f) for f in outcome.worst_failures],
        not_evaluated_section=(_where_listed(reports) if outcome.not_evaluated or outcome.failed_calls
                               else None),
    )


def _top(finding: Finding) -> TopFailure:
    return TopFailure(severity=finding.severity.value, check_id=finding.check_id, account=finding.account,
                      region=finding.region, resource_arn=finding.resource.arn,
                      resource_name=finding.resource.name or finding.resource.arn, message=finding.message)


def _where_listed(reports: dict[str, str]) -> str:
    heading, anchor = NOT_EVALUATED_SECTION
    if "pdf" in reports:
        return f"section '{heading}' of {reports['pdf']}"
    if "html" in reports:
        return f"{reports['html']}#{anchor}"
    return "errors in assessment.json"


def write_summary_json(summary: Summary, destination: str) -> None:
    """``-`` is stdout, for a pipeline that reads it straight away; anything else is a file path."""
    text = summary.to_json() + "\n"
    if destination == "-":
        print(text, end="")
    else:
        Path(destination).write_text(text, encoding="utf-8")
