"""Benchmark: an ``--org`` scan of an emulated Organization, then the same accounts as two shards merged.

    .venv/bin/python bench/organization.py [--members 20]

Prints wall time, accounts per second and read calls for the one-machine scan, and the time of the two
``--accounts`` shards plus ``auditpack merge``. The emulator (one core, the GIL) is the floor of every figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--control", action="append", default=[],
                        help="limit to these controls (the emulator lacks GuardDuty ListFindings, whose HTTP 500s "
                             "are retried with back-off: IR-4 and SI-4 measure botocore's retry delays)")
    args = parser.parse_args()
    controls = [arg for c in args.control for arg in ("--control", c)]

    from auditpack.cli import main as cli
    from auditpack.emulator.seeding import monitoring
    from auditpack.emulator.seeding.organization import create_organization, in_account
    from auditpack.emulator.server import running_emulator
    from auditpack.pack.merge import seal_pack
    from auditpack.render.formats.assessment_json import read_assessment

    regions = ["--region", "us-east-1", "--region", "us-west-2"]
    with running_emulator(), tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        _, members = create_organization(*(f"member{i}" for i in range(args.members)))
        monitoring.seed_logging()
        for account in members.values():
            with in_account(account):  # S3 bucket names are global, hence one trail name per account
                monitoring.trail(f"org-trail-{account}", multi_region=True)
                monitoring.guardduty("us-east-1")

        started = time.perf_counter()
        cli(["scan", "--org", *regions, *controls, "--quiet", "--format", "json", "--out", str(out / "whole")])
        whole = time.perf_counter() - started
        assessment = read_assessment(out / "whole")
        accounts = len(assessment.scope.accounts)
        evidence = sum(1 for _ in (out / "whole" / "evidence").rglob("*.json"))
        print(f"--org scan: {accounts} accounts x 2 regions in {whole:.2f} s "
              f"({accounts / whole:.1f} accounts/s, {evidence} recorded read calls, "
              f"{len(assessment.findings)} findings)")

        ids = sorted(assessment.scope.accounts)
        halves = [ids[: len(ids) // 2], ids[len(ids) // 2:]]
        started = time.perf_counter()
        for i, half in enumerate(halves):
            cli(["scan", "--org", "--accounts", ",".join(half), *regions, *controls, "--quiet", "--format", "json",
                 "--out", str(out / f"shard{i}")])
            seal_pack(out / f"shard{i}")
        shards = time.perf_counter() - started
        started = time.perf_counter()
        cli(["merge", str(out / "shard0"), str(out / "shard1"), "--out", str(out / "merged"), "--quiet",
             "--format", "json"])
        merge = time.perf_counter() - started
        print(f"two --accounts shards, one after the other: {shards:.2f} s; merge: {merge:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
