"""``auditpack incident``: investigate one leaked access key and write the incident pack, read-only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditpack.commands import command
from auditpack.commands.console import Console

DAYS = 90  # CloudTrail's event history; more needs --trail-bucket


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("the window must be at least one day")
    return number


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--access-key-id", required=True, metavar="AKIA...", help="the reported access key id")
    p.add_argument("--days", type=positive, default=DAYS, metavar="N",
                   help=f"how far back to read (default: {DAYS}, all of CloudTrail's event history; more needs "
                        "--trail-bucket)")
    p.add_argument("--region", action="append", default=[], metavar="R",
                   help="region to read; repeat for more (default: every region enabled for the account)")
    p.add_argument("--trail-bucket", metavar="s3://B/prefix",
                   help="also read the trail's delivered log files there (older history, data events)")
    p.add_argument("--out", type=Path, default=Path("auditpack-incident"), metavar="DIR",
                   help="where to write the incident pack (default: ./auditpack-incident)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an incident pack already at --out (never a folder that is not one)")
    p.add_argument("--profile", metavar="P", help="AWS profile of the key's account (default: the standard chain)")
    p.add_argument("--quiet", action="store_true", help="print the containment checklist only")


def print_checklist(incident, stream=None) -> None:
    """The containment steps with their exact commands: printed for a person to run, never run here."""
    out = stream or sys.stdout
    print(f"Containment checklist for access key {incident.key} (auditpack ran none of these commands):", file=out)
    for n, step in enumerate(incident.checklist, start=1):
        print(f"\n{n}. {step.title}\n   {step.why}", file=out)
        for line in step.commands:
            print(f"     {line}", file=out)


@command("incident", help="investigate a leaked access key: owner, blast radius, activity, containment",
         description="Investigate one reported AWS access key, read-only: its owner, what its principal can do, "
         "what it did in every region (and in the trail's log files with --trail-bucket), what it created, and "
         "the containment steps; writes a sealed incident pack. Exit 0 nothing flagged, 1 flagged activity, 2 bad "
         "input (a malformed key id, a key of another account, a bad bucket URL), 3 the activity could not be "
         "read in full.",
         examples=("auditpack incident --access-key-id AKIA... --out incident-2026-11-28",
                   "auditpack incident --access-key-id AKIA... --days 180 --trail-bucket s3://org-trail-logs",
                   "auditpack permissions --incident > incident-policy.json"),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.commands.exitcodes import incident_exit_code
    from auditpack.incident import IncidentOptions, run_incident

    console = Console(quiet=args.quiet)
    options = IncidentOptions(access_key_id=args.access_key_id, days=args.days, regions=args.region,
                              trail_bucket=args.trail_bucket, out=args.out, profile=args.profile,
                              overwrite=args.overwrite)
    incident, pack = run_incident(options, console.line)
    console.line(f"\nVerdict: {incident.verdict.value}: {incident.activity.event_count} call(s) of {incident.key} "
                 f"read, {incident.activity.flagged_count} flagged"
                 + (f"; {len(incident.followed)} identities or keys it created followed" if incident.followed else "")
                 + (f"; not read: {len(incident.unread)} item(s), see incident.json" if incident.unread else ""))
    console.line(f"Incident pack: {pack}")
    print_checklist(incident)
    return incident_exit_code(incident)
