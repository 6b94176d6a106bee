"""Pure evaluation: checks over the inventory give findings (``assessment`` turns them into control results).

Nothing here calls AWS, so a saved inventory can be judged again offline. A check that cannot see its
inputs (a failed call) or that raises yields an ``error`` finding: never a pass, never a crash. Every
result carries the account of the partition it was judged in (``run_check`` stamps it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from auditpack.library.checks import CheckSpec, Result
from auditpack.library.controls import ResolvedParameters
from auditpack.models import (
    CollectionError,
    Finding,
    ResourceRef,
    Status,
)
from auditpack.resources.inventory import Inventory

log = logging.getLogger(__name__)


def _partitions(spec: CheckSpec, inventory: Inventory) -> Iterable[tuple[str, str | None]]:
    for account in inventory.accounts:
        if spec.scope == "region":
            for region in inventory.regions:
                yield account, region
        else:
            yield account, None


def _account_ref(inventory: Inventory, account: str) -> ResourceRef:
    return ResourceRef(arn=inventory.view(account, None).account_arn, type="AWS::::Account", name=account)


def _error_result(inventory: Inventory, account: str, region: str | None, message: str) -> Result:
    return Result(Status.ERROR, _account_ref(inventory, account), message, region or "global", account=account)


def run_check(spec: CheckSpec, inventory: Inventory, params: dict) -> Iterator[Result]:
    """Each result of ``spec`` in every partition, as it is made: a check over every user of a large account
    says tens of thousands of things, and the findings made from them need not wait beside the whole list."""
    for account, region in _partitions(spec, inventory):
        errors = inventory.errors_for(spec.resources, account, region)
        if errors:
            for err in errors:
                if spec.id not in err.checks:
                    err.checks.append(spec.id)
            causes = "; ".join(e.reason for e in errors)
            yield _error_result(inventory, account, region, f"Could not be evaluated: {causes}.")
            continue
        try:
            for result in spec.run(inventory.view(account, region), params):
                # the partition names the account: some ARNs carry none (S3 buckets), and with several
                # accounts in one inventory the ARN alone cannot say whose resource it was
                result.account = result.account or account
                yield result
        except Exception as exc:  # a bug in one check must not take the assessment down with it
            log.exception("check %s failed in %s/%s", spec.id, account, region)
            yield _error_result(inventory, account, region,
                                f"Check failed while evaluating: {type(exc).__name__}: {exc}")


def evaluate(
    inventory: Inventory,
    checks: dict[str, CheckSpec],
    params: ResolvedParameters,
    controls_by_check: dict[str, list[str]],
    *,
    consume: bool = False,
) -> list[Finding]:
    """Every check's findings, in ``finding_order``.

    With ``consume``, each resource type leaves the inventory after the last check that reads it, so the
    findings made after it reuse its memory: a scan's peak is its inventory and its findings together, and a
    scan needs no resource once its findings are made (docs/performance.md).
    """
    last_reader = {rtype: spec.id for spec in checks.values() for rtype in spec.reads}
    findings: dict[str, Finding] = {}
    # Shared between findings, never copied per finding (``Finding`` is frozen): one reference per resource (a
    # user is judged by half a dozen checks), one control list per check, one list per set of evidence paths.
    refs: dict[tuple[str, str, str], ResourceRef] = {}
    evidence: dict[tuple[str, ...], list[str]] = {}
    for spec in checks.values():
        control_ids = list(controls_by_check.get(spec.id, []))
        for result in run_check(spec, inventory, params.by_check.get(spec.id, {})):
            ref = result.resource
            ref = refs.setdefault((ref.arn, ref.type, ref.name), ref)
            paths = tuple(sorted(set(result.evidence)))
            finding = Finding(
                id=Finding.stable_id(spec.id, ref.arn, result.region),
                check_id=spec.id,
                status=result.status,
                severity=result.severity or spec.severity,
                resource=ref,
                region=result.region,
                account=result.account,
                control_ids=control_ids,
                message=result.message,
                remediation=spec.remediation,
                evidence=evidence.setdefault(paths, list(paths)),
                details=result.details,
            )
            if finding.id in findings:
                log.warning("check %s judged %s twice in %s; keeping the first",
                            spec.id, result.resource.arn, result.region)
                continue
            findings[finding.id] = finding
        if consume:
            inventory.release([rtype for rtype in spec.reads if last_reader[rtype] == spec.id])
    return sorted(findings.values(), key=finding_order)


def finding_order(finding: Finding) -> tuple[str, str, str, str]:
    """The order findings are listed in everywhere: by check, account, region, resource."""
    return finding.check_id, finding.account, finding.region, finding.resource.arn


def error_order(error: CollectionError) -> tuple[str, str, str, str]:
    """The order failed calls are listed in everywhere: by account, region, service, operation."""
    return error.account, error.region, error.service, error.operation


def _account_of(result: Result, inventory: Inventory) -> str:
    return inventory.accounts[0] if len(inventory.accounts) == 1 else "unknown"
