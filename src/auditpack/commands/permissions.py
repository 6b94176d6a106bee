"""``auditpack permissions``: the least-privilege IAM policy, derived from what the checks declare."""

from __future__ import annotations

import argparse
import json

from auditpack.commands.scan import add_library_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("permissions", help="print the read-only IAM policy a scan needs")
    add_library_args(p)
    p.add_argument("--control", action="append", default=[], metavar="ID", help="only what these controls need")
    p.set_defaults(func=run)


def policy(checks) -> dict:
    actions = sorted({perm for spec in checks.values() for perm in spec.permissions} | {"sts:GetCallerIdentity",
                                                                                       "ec2:DescribeRegions"})
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AuditpackReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def run(args: argparse.Namespace) -> int:
    from auditpack.scan import select_controls
    from auditpack.validation import load_library

    library = select_controls(load_library(args.controls_dir, args.config), args.control)
    print(json.dumps(policy(library.checks), indent=2))
    return 0
