"""Exit codes a pipeline gates on: 0 satisfied, 1 not satisfied, 2 bad input, 3 could not assess.

Light to import (the models are imported when a code is computed): ``auditpack --version`` reads these too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditpack.evaluate.outcome import Outcome
    from auditpack.leak import Incident

OK, NOT_SATISFIED, USAGE, NOT_ASSESSED = 0, 1, 2, 3
INTERRUPTED = 130  # the shell's code for a process ended by Ctrl-C (128 + SIGINT)
BROKEN_PIPE = 141  # the shell's code for a process whose reader went away (128 + SIGPIPE)

# What each code tells the person or pipeline that ran the command: help text, the demo and the summary say it.
MEANINGS = {
    OK: "every control assessed is satisfied",
    NOT_SATISFIED: "at least one control is not satisfied",
    USAGE: "bad input: a flag, a control or config file, or the output folder",
    NOT_ASSESSED: "nothing failed, but something could not be assessed (an AWS call failed)",
    INTERRUPTED: "interrupted; no pack was written",
}


def meaning(code: int) -> str:
    return MEANINGS.get(code, "unexpected")


def exit_code(outcome: Outcome) -> int:
    from auditpack.models import ControlStatus

    statuses = set(outcome.control_statuses)
    if ControlStatus.NOT_SATISFIED in statuses:
        return NOT_SATISFIED
    if ControlStatus.NOT_ASSESSED in statuses or outcome.not_evaluated:
        return NOT_ASSESSED
    return OK


def incident_exit_code(incident: Incident) -> int:
    """0 nothing flagged, 1 flagged activity, 3 the activity could not be read in full (never a clean 0)."""
    from auditpack.leak import Verdict

    return {Verdict.CLEAN: OK, Verdict.FLAGGED: NOT_SATISFIED, Verdict.INCOMPLETE: NOT_ASSESSED}[incident.verdict]
