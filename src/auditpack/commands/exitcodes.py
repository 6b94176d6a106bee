"""Exit codes a pipeline gates on: 0 satisfied, 1 not satisfied, 2 bad input, 3 could not assess."""

from __future__ import annotations

from auditpack.models import Assessment, ControlStatus, Status

OK, NOT_SATISFIED, USAGE, NOT_ASSESSED = 0, 1, 2, 3


def exit_code(assessment: Assessment) -> int:
    statuses = {c.status for c in assessment.controls}
    if ControlStatus.NOT_SATISFIED in statuses:
        return NOT_SATISFIED
    if ControlStatus.NOT_ASSESSED in statuses or any(f.status == Status.ERROR for f in assessment.findings):
        return NOT_ASSESSED
    return OK
