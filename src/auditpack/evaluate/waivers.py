"""Accepted risks: waivers from the config turn matching failures into ``waived`` findings, until they expire.

A waiver names one check and a glob over resource ARNs. It applies between evaluation and assessment, so a
waived finding keeps everything the check said about it (message, evidence) and only its status changes; the
control then counts it like a pass. Auditors ask for three things scanners rarely give: that an exception
ends on a date (an expired waiver stops applying and is listed as expired), that it names who approved it,
and that exceptions nobody needs any more are visible (a waiver in force that matched nothing is stale).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from fnmatch import fnmatchcase

from auditpack.models import Finding, Status, Waiver, WaiverState, WaiverStatus


def is_expired(waiver: Waiver, on: dt.date) -> bool:
    """A waiver holds through its expiry day and stops applying the day after."""
    return dt.date.fromisoformat(waiver.expires) < on


def matches(waiver: Waiver, finding: Finding) -> bool:
    return waiver.check_id == finding.check_id and fnmatchcase(finding.resource.arn, waiver.resource)


def apply_waivers(
    findings: list[Finding], waivers: list[Waiver], on: dt.date
) -> tuple[list[Finding], list[WaiverStatus]]:
    """Findings with waived failures marked, and how each waiver fared; the first waiver in force wins.

    Only failures are waived: a passing resource needs no exception and an error is not a known risk (it is
    an unknown one), so a waiver never turns an error into something that satisfies a control.
    """
    in_force = [w for w in waivers if not is_expired(w, on)]
    matched: dict[int, list[str]] = {i: [] for i in range(len(waivers))}
    out: list[Finding] = []
    for finding in findings:
        if finding.status != Status.FAIL:
            out.append(finding)
            continue
        for i, waiver in enumerate(waivers):
            if matches(waiver, finding):
                matched[i].append(finding.id)
        chosen = next((w for w in in_force if matches(w, finding)), None)
        out.append(replace(finding, status=Status.WAIVED, waiver=chosen) if chosen else finding)
    statuses = []
    for i, waiver in enumerate(waivers):
        if is_expired(waiver, on):
            state = WaiverState.EXPIRED
        elif matched[i]:
            state = WaiverState.ACTIVE
        else:
            state = WaiverState.STALE
        statuses.append(WaiverStatus(waiver=waiver, state=state, finding_ids=sorted(matched[i])))
    return out, statuses
