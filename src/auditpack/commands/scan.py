"""``auditpack scan``: assess an account and write the evidence pack."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from auditpack.commands import command
from auditpack.commands.console import Console
from auditpack.commands.exitcodes import MEANINGS
from auditpack.errors import UserError
from auditpack.library.config import DEFAULT_ROLE_NAME
from auditpack.models import Severity
from auditpack.render import FORMATS

if TYPE_CHECKING:
    from auditpack.scan import ScanOptions  # the engine is imported when a command runs, not to parse flags


def add_library_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--controls-dir", type=Path, metavar="DIR",
                        help="extra control files; a control with a built-in id replaces the built-in one")
    parser.add_argument("--config", type=Path, metavar="FILE", help="organization config (auditpack.yaml)")


def add_account_args(parser: argparse.ArgumentParser) -> None:
    """Which accounts to scan; each falls back to the config's ``scope`` section."""
    parser.add_argument("--org", action="store_true",
                        help="scan every ACTIVE account of the Organization (run from the management account)")
    parser.add_argument("--role-name", metavar="NAME",
                        help=f"role to assume in other accounts (default: {DEFAULT_ROLE_NAME})")
    parser.add_argument("--account-role", dest="account_roles", action="append", default=[], metavar="ARN",
                        help="assume this role ARN and scan its account; repeatable")
    parser.add_argument("--accounts", action="append", default=[], metavar="IDS",
                        help="scan only these account ids: comma-separated and/or repeated; without --org, "
                             "--role-name is assumed in each one that is not the caller's")


def add_selection_args(parser: argparse.ArgumentParser) -> None:
    """What to assess, narrower than the whole library; a narrowed run records its selection."""
    parser.add_argument("--control", action="append", default=[], metavar="ID",
                        help="assess only this control (NIST or OSCAL id, e.g. 'IA-5(7)' or ia-5.7); repeatable")
    parser.add_argument("--check", dest="checks", action="append", default=[], metavar="ID",
                        help="run only this check; repeatable (auditpack checks lists them)")
    parser.add_argument("--exclude-check", dest="exclude_checks", action="append", default=[], metavar="ID",
                        help="leave this check out; repeatable")
    parser.add_argument("--severity", choices=[s.value for s in Severity], metavar="LEVEL",
                        help="run only checks of this severity and above "
                             f"({', '.join(s.value for s in Severity)})")
    parser.add_argument("--service", dest="services", action="append", default=[], metavar="NAME",
                        help="run only checks that read this AWS service (iam, lambda, ...); repeatable")


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", metavar="P", help="AWS profile (default: the standard credential chain)")
    p.add_argument("--region", action="append", default=[], metavar="R",
                   help="region to scan; repeat for more (default: every region enabled for the account)")
    add_selection_args(p)
    add_library_args(p)
    p.add_argument("--out", type=Path, default=Path("auditpack-out"), metavar="DIR",
                   help="where to write the pack (default: ./auditpack-out)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a pack already at --out (without it, an earlier pack is never replaced)")
    p.add_argument("--format", dest="formats", metavar="LIST",
                   help=f"comma-separated outputs ({','.join(FORMATS.names())}); default: all, or the config's")
    add_account_args(p)
    p.add_argument("--previous", type=Path, metavar="DIR",
                   help="a previous pack: the report adds what changed since (same as 'auditpack diff'), the "
                        "manifest records it (auditpack verify --chain), OSCAL includes its result")
    p.add_argument("--summary-json", metavar="FILE",
                   help="also write the closing summary as JSON to FILE ('-' for stdout), for CI")
    add_sign_key(p)
    p.add_argument("--quiet", action="store_true", help="no progress and no summary")


def add_sign_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sign-key", type=Path, metavar="FILE",
                        help="sign the pack with this Ed25519 private key (auditpack keygen): writes pack.sig.json")


def parse_formats(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UserError(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS.names())}")
    return names


def scan(options: ScanOptions, console: Console, summary_json: str | None = None) -> int:
    """A scan as a person sees it: its phases as they run, then the summary; returns the exit code."""
    from auditpack.commands.exitcodes import exit_code
    from auditpack.commands.summary import summarize, write_summary_json
    from auditpack.scan import run_scan

    started = time.monotonic()
    with console.progress() as progress:
        outcome, pack = run_scan(options, progress=progress)
    code = exit_code(outcome)
    summary = summarize(outcome, pack, code, time.monotonic() - started)
    console.summary(summary)
    if summary_json is not None:
        write_summary_json(summary, summary_json)
    return code


@command("scan", help="assess an AWS account and write the evidence pack", arguments=arguments,
         description="Read the configuration of an AWS account (or every account of an Organization) through "
         "read-only API calls, judge it with the checks each NIST SP 800-53 control cites, and write the "
         "evidence pack to --out: assessment.json, OSCAL, OCSF, ASFF, CSV, the HTML and PDF reports, the API "
         "responses as evidence, and a SHA-256 manifest. Credentials come from the standard AWS chain "
         "(--profile, SSO, environment variables, AWS_ENDPOINT_URL).\n\n"
         "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in MEANINGS.items()),
         examples=(
             "auditpack scan --profile audit --out q4-pack",
             "auditpack scan --org --config auditpack.yaml --out org-q4 --previous org-q3",
             "auditpack scan --control 'IA-5(7)' --region us-east-1 --out secrets-only",
             "auditpack scan --severity high --service iam --summary-json - --quiet",
             "auditpack permissions > auditpack-policy.json   # the read-only policy the scan needs",
         ))
def run(args: argparse.Namespace) -> int:
    from auditpack.scan import ScanOptions

    options = ScanOptions(
        profile=args.profile,
        regions=args.region,
        control_ids=args.control,
        check_ids=args.checks,
        exclude_check_ids=args.exclude_checks,
        severity=args.severity,
        services=args.services,
        controls_dir=args.controls_dir,
        config_path=args.config,
        out=args.out,
        formats=parse_formats(args.formats),
        org=args.org,
        role_name=args.role_name,
        account_roles=args.account_roles,
        accounts=args.accounts,
        previous=args.previous,
        overwrite=args.overwrite,
        sign_key=args.sign_key,
        apart=True,  # the scan's memory goes back to the system before the PDF is laid out (auditpack.apart)
    )
    return scan(options, Console(quiet=args.quiet), args.summary_json)
