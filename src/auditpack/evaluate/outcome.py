"""What a finished run tells whoever ran it: enough for the closing summary and the exit code, no more.

A scan hands this back instead of its assessment. The findings are in the pack by then, and letting them go
before the PDF is laid out keeps a large account's findings and the PDF's layout out of memory at the same
time (docs/performance.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from auditpack.models import Assessment, ControlStatus, Finding, Organization, Run, Scope, Severity, Status, Tool

WORST_KEPT = 3  # the failures the summary names, worst first


@dataclass(frozen=True)
class Outcome:
    run: Run
    tool: Tool
    organization: Organization
    scope: Scope
    control_statuses: tuple[ControlStatus, ...]
    failures_by_severity: dict[Severity, int]
    worst_failures: tuple[Finding, ...]  # at most WORST_KEPT, worst first
    not_evaluated: int  # findings that are errors: checks that could not judge what they read
    failed_calls: int  # collection errors, unreachable accounts included
    unreachable_accounts: dict[str, str]  # account -> why its role could not be assumed


def outcome_of(assessment: Assessment) -> Outcome:
    failures = [f for f in assessment.findings if f.status == Status.FAIL]
    return Outcome(
        run=assessment.run,
        tool=assessment.tool,
        organization=assessment.organization,
        scope=assessment.scope,
        control_statuses=tuple(c.status for c in assessment.controls),
        failures_by_severity=dict(Counter(f.severity for f in failures)),
        worst_failures=tuple(sorted(failures, key=worst_first)[:WORST_KEPT]),
        not_evaluated=sum(1 for f in assessment.findings if f.status == Status.ERROR),
        failed_calls=len(assessment.errors),
        unreachable_accounts={e.account: e.error_code for e in sorted(assessment.errors, key=lambda e: e.account)
                              if e.operation == "AssumeRole"},
    )


def worst_first(finding: Finding) -> tuple[Any, ...]:
    return -finding.severity.rank, finding.check_id, finding.account, finding.region, finding.resource.arn
