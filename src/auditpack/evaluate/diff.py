"""Quarter over quarter: what changed between two assessments, matched by stable finding ids.

A finding counts as *failing* when its resource does not comply, whether or not a waiver accepts it
(``fail`` or ``waived``): accepting a risk is not fixing it, so a newly waived finding is not "resolved".
A failure the new run could not judge (its check errored there, or its account or region was not scanned)
is *not assessed*, never resolved: a missing answer must not read as a fix.
"""

from __future__ import annotations

from typing import Any

from auditpack.models import Assessment, Comparison, ControlChange, Finding, PriorFinding, Status

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
    prior = [PriorFinding(id=f.id, check_id=f.check_id, severity=f.severity, status=f.status, account=f.account,
                          region=f.region, resource=f.resource)
             for fid in sorted({*resolved, *not_assessed}) if fid not in new_by_id for f in (old_by_id[fid],)]
    return Comparison(
        previous_run_id=old.run.id,
        previous_started_at=old.run.started_at,
        new_failures=sorted(new_failures),
        resolved=sorted(resolved),
        persisting=sorted(persisting),
        not_assessed=sorted(not_assessed),
        control_changes=changes,
        prior_findings=prior,
        scope_differences=scope_differences(old, new),
    )


def scope_differences(old: Assessment, new: Assessment) -> list[str]:
    """Each way the two runs looked at different things, as a sentence; empty when they looked at the same."""
    out = []

    def differ(what: str, before: list[str], now: list[str]) -> None:
        gone = [x for x in before if x not in now]
        added = [x for x in now if x not in before]
        if gone:
            out.append(f"{what} only in the previous run: {', '.join(gone)}")
        if added:
            out.append(f"{what} only in this run: {', '.join(added)}")

    differ("accounts", old.scope.accounts, new.scope.accounts)
    differ("regions", old.scope.regions, new.scope.regions)
    differ("controls", [c.id for c in old.controls], [c.id for c in new.controls])
    differ("checks", [c.id for c in old.checks], [c.id for c in new.checks])
    before, now = old.scope.selection, new.scope.selection
    if before != now:
        out.append(f"the previous run assessed {before.describe()}; this run assessed {now.describe()}")
    return out


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
    ]
    if comparison.scope_differences:
        lines += ["", "Warning: the two runs' scopes differ, so a failure outside either scope is neither new nor "
                      "resolved:"]
        lines += [f"  {difference}" for difference in comparison.scope_differences]
    lines += [
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
        rows = [index[fid] for fid in ids]
        rows.sort(key=lambda r: (r["check_id"], r["account"], r["region"], r["resource"]["arn"]))
        table = [(r["severity"], r["check_id"], r["account"], r["region"],
                  r["resource"]["arn"] + (" (waived)" if r["current_status"] == Status.WAIVED.value else ""))
                 for r in rows]
        lines += ["", f"{title}:"]
        lines += aligned(table, indent="  ")
    if comparison.control_changes:
        lines += ["", "Controls whose status changed:"]
        lines += aligned([(change.id, change.previous.value if change.previous else "(absent)", "->",
                           change.current.value if change.current else "(absent)")
                          for change in comparison.control_changes], indent="  ")
    return "\n".join(lines) + "\n"


def aligned(rows: list[tuple[str, ...]], indent: str = "") -> list[str]:
    """Rows as columns padded to their widest cell; the last column is left ragged."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    return [indent + "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
            for row in rows]
