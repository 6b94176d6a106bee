"""Quarter over quarter: what changed between two assessments, matched by stable finding ids.

A finding counts as *failing* when its resource does not comply, whether or not a waiver accepts it
(``fail`` or ``waived``): accepting a risk is not fixing it, so a newly waived finding is not "resolved".
A failure the new run could not judge (its check errored there, or its account or region was not scanned)
is *not assessed*, never resolved: a missing answer must not read as a fix.
"""

from __future__ import annotations

from typing import Any

from auditpack.models import Assessment, Comparison, ControlChange, Finding, Status

FAILING = {Status.FAIL, Status.WAIVED}
RESOLVED = {Status.PASS, Status.NOT_APPLICABLE}


def _unjudged(failure: Finding, new: Assessment, errored: set[tuple[str, str, str]]) -> bool:
    """Whether the new run had no way to see ``failure`` again."""
    if failure.account not in new.scope.accounts:
        return True
    if failure.region != "global" and failure.region not in new.scope.regions:
        return True
    return any(key in errored for key in ((failure.check_id, failure.account, failure.region),
                                          (failure.check_id, failure.account, "global")))


def compare(old: Assessment, new: Assessment) -> Comparison:
    old_by_id = {f.id: f for f in old.findings}
    new_by_id = {f.id: f for f in new.findings}
    errored = {(f.check_id, f.account, f.region) for f in new.findings if f.status == Status.ERROR}
    new_failures, resolved, persisting, not_assessed = [], [], [], []
    for fid, finding in new_by_id.items():
        if finding.status in FAILING:
            before = old_by_id.get(fid)
            (persisting if before is not None and before.status in FAILING else new_failures).append(fid)
    for fid, finding in old_by_id.items():
        if finding.status not in FAILING:
            continue
        now = new_by_id.get(fid)
        if now is not None and now.status in FAILING:
            continue
        if now is not None and now.status in RESOLVED:
            resolved.append(fid)
        elif now is None and not _unjudged(finding, new, errored):
            resolved.append(fid)  # the resource is gone from an account and region that were scanned
        else:
            not_assessed.append(fid)
    old_controls = {c.id: c.status for c in old.controls}
    new_controls = {c.id: c.status for c in new.controls}
    changes = [
        ControlChange(id=cid, previous=old_controls.get(cid), current=new_controls.get(cid))
        for cid in list(new_controls) + [c for c in old_controls if c not in new_controls]
        if old_controls.get(cid) != new_controls.get(cid)
    ]
    return Comparison(
        previous_run_id=old.run.id,
        previous_started_at=old.run.started_at,
        new_failures=sorted(new_failures),
        resolved=sorted(resolved),
        persisting=sorted(persisting),
        not_assessed=sorted(not_assessed),
        control_changes=changes,
    )


def finding_index(comparison: Comparison, old: Assessment, new: Assessment) -> dict[str, dict[str, Any]]:
    """What each compared finding is, so a reader of the ids needs neither pack open."""
    old_by_id = {f.id: f for f in old.findings}
    new_by_id = {f.id: f for f in new.findings}
    out: dict[str, dict[str, Any]] = {}
    for fid in (*comparison.new_failures, *comparison.resolved, *comparison.persisting, *comparison.not_assessed):
        before, now = old_by_id.get(fid), new_by_id.get(fid)
        f = now or before
        assert f is not None
        out[fid] = {
            "check_id": f.check_id,
            "severity": f.severity.value,
            "account": f.account,
            "region": f.region,
            "resource": f.resource.model_dump(),
            "previous_status": before.status.value if before else None,
            "current_status": now.status.value if now else None,
            "message": f.message,
        }
    return out


def render_text(comparison: Comparison, old: Assessment, new: Assessment) -> str:
    index = finding_index(comparison, old, new)
    lines = [
        f"Comparing run {old.run.id} ({old.run.started_at:%Y-%m-%d %H:%M} UTC)",
        f"     with run {new.run.id} ({new.run.started_at:%Y-%m-%d %H:%M} UTC)",
        "",
        f"New failures: {len(comparison.new_failures)}   Resolved: {len(comparison.resolved)}   "
        f"Persisting: {len(comparison.persisting)}   Not assessed now: {len(comparison.not_assessed)}   "
        f"Controls changed: {len(comparison.control_changes)}",
    ]
    sections = (
        ("New failures", comparison.new_failures),
        ("Resolved", comparison.resolved),
        ("Persisting failures", comparison.persisting),
        ("Failing before, not assessed now", comparison.not_assessed),
    )
    for title, ids in sections:
        if not ids:
            continue
        lines += ["", f"{title}:"]
        for fid in sorted(ids, key=lambda i: (index[i]["check_id"], index[i]["account"], index[i]["region"],
                                              index[i]["resource"]["arn"])):
            row = index[fid]
            waived = " (waived)" if row["current_status"] == Status.WAIVED.value else ""
            lines.append(f"  {row['severity']:<8} {row['check_id']}  {row['resource']['arn']}  "
                         f"[{row['account']} {row['region']}]{waived}")
    if comparison.control_changes:
        lines += ["", "Controls whose status changed:"]
        for change in comparison.control_changes:
            before = change.previous.value if change.previous else "(absent)"
            after = change.current.value if change.current else "(absent)"
            lines.append(f"  {change.id:<10} {before} -> {after}")
    return "\n".join(lines) + "\n"
