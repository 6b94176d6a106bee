"""``auditpack demo``: a quarterly assessment of an emulated two-account Organization, end to end.

The emulator runs in this process on loopback (``auditpack.emulator``). The demo seeds last quarter, scans
it, changes the Organization, then scans this quarter with the previous pack and waivers, through the same
code path as ``auditpack scan --org``. No AWS account and no network are needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

from auditpack.commands import command
from auditpack.commands.console import Console


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("auditpack-demo"), metavar="DIR",
                   help="where to write this quarter's pack (last quarter's goes beside it, DIR-previous, and the "
                        "leaked key's incident pack, DIR-incident)")
    p.add_argument("--control", action="append", default=[], metavar="ID",
                   help="assess only this control (NIST or OSCAL id); repeatable")
    p.add_argument("--controls-dir", type=Path, metavar="DIR",
                   help="extra control files; a control with a built-in id replaces the built-in one")
    p.add_argument("--quiet", action="store_true", help="no progress and no summary")


def run_demo(out: Path, console: Console, control_ids: list[str] | None = None,
             controls_dir: Path | None = None) -> int:
    """Both quarters' scans, of the chosen controls; returns this quarter's scan exit code."""
    from auditpack.commands.scan import scan
    from auditpack.emulator import demo
    from auditpack.emulator.seeding.organization import create_organization
    from auditpack.emulator.server import running_emulator
    from auditpack.scan import ScanOptions

    previous = out.parent / f"{out.name}-previous"
    with running_emulator() as emulator, tempfile.TemporaryDirectory(prefix="auditpack-demo-") as scratch:
        emulator.seed(demo.SEED_ORGANIZATION)
        management, members = create_organization(demo.MEMBER)
        config = Path(scratch) / "auditpack.yaml"
        config.write_text(demo.demo_config(members, dt.datetime.now(dt.UTC).date()), encoding="utf-8")

        demo.seed_quarter(management, members, "previous", emulator.seed)
        chosen = {"control_ids": list(control_ids or []), "controls_dir": controls_dir, "config_path": config}
        scan(ScanOptions(out=previous, **chosen), Console(quiet=True))
        demo.seed_quarter(management, members, "current", emulator.seed)
        console.line(f"Last quarter's pack: {previous}\nThis quarter's scan of the Organization "
                     f"({management} and {members[demo.MEMBER]}, {', '.join(demo.DEMO_REGIONS)}):")
        code = scan(ScanOptions(out=out, previous=previous, **chosen), console)
        _print_changes(out, previous, console)
        _investigate(out.parent / f"{out.name}-incident", members[demo.MEMBER], console)
    return code


def _investigate(out: Path, member: str, console: Console) -> None:
    """What a responder runs next: ``auditpack incident`` on the leaked key, with the workload account's
    credentials, every region, and the trail's log files for the older half of the window."""
    from auditpack.emulator import demo
    from auditpack.emulator.seeding.incident import leaked_key
    from auditpack.emulator.seeding.organization import account_environment, in_account
    from auditpack.incident import IncidentOptions, run_incident

    with in_account(member):
        key = leaked_key(demo.DEMO_REGIONS[0])
    console.line(f"\nThe scan found a leaked key; investigating it as a responder would (auditpack incident "
                 f"--access-key-id {key.key_id[:4]}…{key.key_id[-4:]} --days {demo.INCIDENT_DAYS} "
                 f"--trail-bucket s3://{demo.TRAIL_BUCKET}):")
    with account_environment(member):
        incident, pack = run_incident(IncidentOptions(access_key_id=key.key_id, days=demo.INCIDENT_DAYS,
                                                      trail_bucket=f"s3://{demo.TRAIL_BUCKET}", out=out),
                                      lambda line: console.line(f"  {line}"))
    flagged = sum(1 for e in incident.timeline if e.flag)
    console.line(f"Incident pack: {pack} (verdict {incident.verdict.value}: {flagged} flagged call(s), "
                 f"{len(incident.followed)} identities or keys it created; read incident.pdf first)")


def _print_changes(out: Path, previous: Path, console: Console) -> None:
    from auditpack.render.formats.assessment_json import read_assessment

    assessment = read_assessment(out)
    by_state: dict[str, int] = {}
    for status in assessment.waivers:
        by_state[status.state.value] = by_state.get(status.state.value, 0) + 1
    console.line(f"Waivers: {', '.join(f'{n} {state}' for state, n in sorted(by_state.items()))}")
    if assessment.comparison is not None:
        c = assessment.comparison
        console.line(f"Since last quarter: {len(c.new_failures)} new failure(s), {len(c.resolved)} resolved, "
                     f"{len(c.persisting)} persisting, {len(c.control_changes)} control(s) changed status "
                     f"(details: auditpack diff {previous} {out})")


@command("demo", help="scan a seeded, emulated AWS account (no AWS account needed)", arguments=arguments)
def run(args: argparse.Namespace) -> int:
    code = run_demo(args.out, Console(quiet=args.quiet), args.control, args.controls_dir)
    # The sample account fails controls on purpose: for the demo, a written pack is success.
    print(f"Demo pack written to {args.out} (the scan's own exit code was {code}).", file=sys.stderr)
    return 0
