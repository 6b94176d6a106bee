"""``auditpack demo``: a quarterly assessment of an emulated two-account Organization, end to end.

The emulator runs in this process on loopback (``auditpack.emulator``). The demo seeds last quarter, scans
it, changes the Organization, then scans this quarter with the previous pack and waivers, through the same
code path as ``auditpack scan --org``. No AWS account and no network are needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from auditpack.commands import command
from auditpack.commands.console import Console
from auditpack.commands.exitcodes import meaning
from auditpack.commands.summary import REPORTS
from auditpack.progress import Progress


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
    from auditpack.scan import ScanOptions, run_scan

    previous = out.parent / f"{out.name}-previous"
    console.line("Starting the AWS emulator (moto, in this process, on loopback)...")
    with running_emulator() as emulator, tempfile.TemporaryDirectory(prefix="auditpack-demo-") as scratch:
        chosen = {"control_ids": list(control_ids or []), "controls_dir": controls_dir,
                  "config_path": Path(scratch) / "auditpack.yaml",
                  "overwrite": True,  # the demo's packs are its own: a second demo replaces the first
                  "apart": True}  # as the command line scans
        with console.progress() as progress:
            progress.phase("Seeding last quarter's emulated Organization")
            emulator.seed(demo.SEED_ORGANIZATION)
            management, members = create_organization(demo.MEMBER)
            chosen["config_path"].write_text(demo.demo_config(members, dt.datetime.now(dt.UTC).date()),
                                             encoding="utf-8")
            demo.seed_quarter(management, members, "previous", emulator.seed, progress)
            run_scan(ScanOptions(out=previous, **chosen), _Prefixed(progress, "Last quarter: "))
            progress.phase("Seeding this quarter's changes")
            demo.seed_quarter(management, members, "current", emulator.seed, progress)
        console.line(f"Last quarter's pack: {previous}\nThis quarter's scan of the Organization "
                     f"({management} and {members[demo.MEMBER]}, {', '.join(demo.DEMO_REGIONS)}):")
        code = scan(ScanOptions(out=out, previous=previous, **chosen), console)
        _investigate(out.parent / f"{out.name}-incident", members[demo.MEMBER], console)
    _print_changes(out, previous, console)
    _print_next_steps(out, code, console)
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
                                                      trail_bucket=f"s3://{demo.TRAIL_BUCKET}", out=out,
                                                      overwrite=True),
                                      lambda line: console.line(f"  {line}"))
    flagged = sum(1 for e in incident.timeline if e.flag)
    console.line(f"Incident pack: {pack} (verdict {incident.verdict.value}: {flagged} flagged call(s), "
                 f"{len(incident.followed)} identities or keys it created; read incident.pdf first)")


class _Prefixed:
    """Last quarter's scan, shown as phases of the demo's own progress."""

    def __init__(self, progress: Progress, prefix: str) -> None:
        self.progress, self.prefix = progress, prefix

    def phase(self, name: str) -> None:
        self.progress.phase(self.prefix + name)

    def advance(self, done: int, total: int, what: str) -> None:
        self.progress.advance(done, total, what)

    def notice(self, text: str) -> None:
        self.progress.notice(text)


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


def _print_next_steps(out: Path, code: int, console: Console) -> None:
    """What a first-time user does next: open the report, read the exit code, verify the pack."""
    reports = [out / name for name in REPORTS.values() if (out / name).is_file()]
    console.line("")
    console.line(f"Demo pack written to {out}.")
    if reports:
        console.line(f"Open {' or '.join(str(r) for r in reports)} to read the assessment.")
    console.line(f"The scan's exit code was {code}: {meaning(code)}. The demo account fails controls on purpose, "
                 "so the demo itself exits 0; a pipeline gates on 'auditpack scan'.")
    console.line(f"Verify the pack has not changed since it was sealed: auditpack verify {out}")


@command("demo", help="scan a seeded, emulated AWS Organization (no AWS account needed)",
         description="Seed an emulated two-account AWS Organization in this process (no AWS account, no "
         "network), scan last quarter, change the Organization, then scan this quarter with the previous "
         "pack and the demo's waivers, writing a full evidence pack. Exits 0 once the pack is written.",
         examples=("auditpack demo", "auditpack demo --out /tmp/demo --control 'IA-5(7)'"),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    run_demo(args.out, Console(quiet=args.quiet), args.control, args.controls_dir)
    return 0
