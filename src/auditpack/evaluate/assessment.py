"""From findings to the assessment: each control's status, overall and per account, and ``assessment.json``.

A failure decides a control; else an error leaves it unassessed; else a pass (or waiver) satisfies it. The
same rules judge a scan's findings and the combined findings of a merge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from auditpack import __version__
from auditpack.evaluate.diff import compare
from auditpack.evaluate.evaluation import error_order, evaluate
from auditpack.evaluate.waivers import apply_waivers
from auditpack.library.checks import CheckSpec
from auditpack.library.controls import Control, ResolvedParameters
from auditpack.library.validation import Library
from auditpack.models import (
    Assessment,
    CheckInfo,
    CheckSummary,
    ControlResult,
    ControlStatus,
    Finding,
    Identity,
    Organization,
    ParameterValue,
    Run,
    Scope,
    Status,
    Tool,
)
from auditpack.resources.inventory import Inventory


def control_status(findings: Iterable[Finding]) -> ControlStatus:
    """A failure decides; else an error leaves it unassessed; else any pass (or waiver) satisfies it."""
    statuses = {f.status for f in findings}
    if Status.FAIL in statuses:
        return ControlStatus.NOT_SATISFIED
    if Status.ERROR in statuses:
        return ControlStatus.NOT_ASSESSED
    if statuses & {Status.PASS, Status.WAIVED}:
        return ControlStatus.SATISFIED
    return ControlStatus.NOT_APPLICABLE


def check_summary(check_id: str, title: str, findings: Iterable[Finding]) -> CheckSummary:
    """Counts of one check's findings by status (also used by ``merge`` to re-judge combined packs)."""
    counts: dict[Status, int] = defaultdict(int)
    for f in findings:
        counts[f.status] += 1
    return CheckSummary(
        check_id=check_id,
        title=title,
        passed=counts[Status.PASS],
        failed=counts[Status.FAIL],
        errors=counts[Status.ERROR],
        not_applicable=counts[Status.NOT_APPLICABLE],
        waived=counts[Status.WAIVED],
    )


def assess(
    controls: list[Control],
    checks: dict[str, CheckSpec],
    findings: list[Finding],
    params: ResolvedParameters,
    accounts: list[str],
) -> list[ControlResult]:
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_check[finding.check_id].append(finding)
    results = []
    for control in controls:
        mine = [f for c in control.checks for f in by_check.get(c, [])]
        summaries = [check_summary(c, checks[c].title, by_check.get(c, [])) for c in control.checks]
        results.append(ControlResult(
            id=control.id,
            oscal_id=control.oscal_id,
            title=control.title,
            family=control.family,
            summary=control.summary,
            status=control_status(mine),
            checks=list(control.checks),
            parameters={
                p.key: ParameterValue(
                    name=p.name, parameter=p.feeds, value=params.values.get(p.feeds, p.default),
                    source=params.sources.get(p.feeds, "default"), odp_id=p.odp_id,
                )
                for p in control.parameters
            },
            check_results=summaries,
            accounts={a: control_status(f for f in mine if f.account == a) for a in accounts},
        ))
    return results


def build_assessment(
    library: Library, inventory: Inventory, identity: Identity, started: datetime, run_id: str,
    previous: Assessment | None = None, *, consume: bool = False,
) -> Assessment:
    """The assessment of an inventory whose secret sources have been judged; with ``consume`` its resources are
    dropped as the checks finish with them (``evaluate``)."""
    checks = library.checks
    config = library.config
    findings = evaluate(inventory, checks, library.params, library.controls_by_check(), consume=consume)
    findings, waiver_statuses = apply_waivers(findings, config.waivers, started.date())
    results = assess(list(library.controls.values()), checks, findings, library.params, inventory.accounts)
    errors = sorted((err for by_part in inventory.errors.values() for err in by_part.values()), key=error_order)
    assessment = Assessment(
        tool=Tool(version=__version__),
        run=Run(id=run_id, started_at=started, finished_at=datetime.now(UTC)),
        scope=Scope(accounts=inventory.accounts, regions=inventory.regions, identity=identity,
                    selection=library.selection),
        organization=Organization.model_validate(config.organization.model_dump()),
        parameters={k: library.params.values[k] for k in sorted(library.params.values)
                    if any(k in checks[c].params for c in checks)},
        controls=results,
        checks=[
            CheckInfo(id=s.id, title=s.title, problem=s.problem, description=s.description, severity=s.severity,
                      remediation=s.remediation, resource_types=list(s.reads), permissions=list(s.permissions))
            for s in checks.values()
        ],
        findings=findings,
        errors=errors,
        waivers=waiver_statuses,
        config=config.echo(),
    )
    if previous is not None:
        assessment.comparison = compare(previous, assessment)
    return assessment
