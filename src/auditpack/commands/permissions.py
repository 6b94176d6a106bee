"""``auditpack permissions``: the least-privilege IAM policy, derived from what the checks declare."""

from __future__ import annotations

import argparse
import json

from auditpack.commands import command
from auditpack.commands.scan import add_library_args


def arguments(p: argparse.ArgumentParser) -> None:
    add_library_args(p)
    p.add_argument("--control", action="append", default=[], metavar="ID", help="only what these controls need")
    p.add_argument("--org", action="store_true",
                   help="also what the caller needs to list the Organization's accounts and assume roles in them")
    p.add_argument("--role-name", metavar="NAME", help="role assumed in other accounts (for --org)")
    p.add_argument("--account-role", dest="account_roles", action="append", default=[], metavar="ARN",
                   help="also allow assuming this role ARN; repeatable")
    p.add_argument("--incident", action="store_true",
                   help="instead, what 'auditpack incident' needs (with --trail-bucket: reading that location)")
    p.add_argument("--trail-bucket", metavar="s3://B/prefix", help="with --incident: the trail's log location")


def policy(checks, *, org: bool = False, role_arns: list[str] | None = None) -> dict:
    """The read-only statement every scanned account's role needs; with ``org`` or ``role_arns``, a second
    statement the caller needs to reach the other accounts."""
    from auditpack.collect.accounts import ASSUME_PERMISSIONS, ORG_PERMISSIONS
    actions = sorted({perm for spec in checks.values() for perm in spec.permissions} | {"sts:GetCallerIdentity",
                                                                                       "ec2:DescribeRegions"})
    statements = [{"Sid": "AuditpackReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}]
    if org:
        statements.append({"Sid": "AuditpackListOrganization", "Effect": "Allow",
                           "Action": list(ORG_PERMISSIONS), "Resource": "*"})
    if role_arns:
        statements.append({"Sid": "AuditpackAssumeScanRoles", "Effect": "Allow",
                           "Action": list(ASSUME_PERMISSIONS), "Resource": sorted(role_arns)})
    return {"Version": "2012-10-17", "Statement": statements}


def incident_policy(trail_bucket: str | None) -> int:
    from auditpack.errors import NotATrailLocation
    from auditpack.incident import policy as incident
    from auditpack.resources.trail_logs import parse_location

    location = parse_location(trail_bucket) if trail_bucket else None
    if trail_bucket and location is None:
        raise NotATrailLocation(trail_bucket)
    print(json.dumps(incident(location), indent=2))
    return 0


@command("permissions", help="print the read-only IAM policy a scan needs (--incident: what auditpack incident needs)",
         description="Print the IAM policy a scan needs, derived from what each check's collectors call: only "
         "read operations. With --org, also what the management account needs to list the Organization and "
         "assume the role in each account. With --incident, the policy of 'auditpack incident' instead.",
         examples=("auditpack permissions > auditpack-policy.json", "auditpack permissions --control 'IA-5(7)'",
                   "auditpack permissions --org --role-name AuditRole",
                   "auditpack permissions --incident --trail-bucket s3://org-trail-logs"),
         arguments=arguments)
def run(args: argparse.Namespace) -> int:
    if args.incident:
        return incident_policy(args.trail_bucket)
    from auditpack.collect.accounts import parse_role_arns
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS

    library = load_library(args.controls_dir, args.config, formats=FORMATS.names()).select(args.control)
    scope = library.config.scope
    org = args.org or scope.org
    role_name = args.role_name or scope.role_name
    role_arns = list(parse_role_arns(args.account_roles or scope.account_roles))
    if org or scope.accounts:
        role_arns.append(f"arn:aws:iam::*:role/{role_name}")
    print(json.dumps(policy(library.checks, org=org, role_arns=role_arns), indent=2))
    return 0
