"""``auditpack demo``: a scan of a seeded, emulated account through the same path a real account takes.

The emulator runs in this process on loopback; the seeded account fails some controls on purpose so the
pack shows what findings look like. No AWS account and no network are needed.
"""

from __future__ import annotations

from pathlib import Path

from auditpack.seeding import monitoring, secrets

DEMO_REGIONS = ("us-east-1", "us-west-2")


def seed_sample_account() -> None:
    monitoring.seed_logging()
    secrets.seed_secrets()


def run_demo(out: Path, quiet: bool = False) -> int:
    from auditpack.cli import main
    from auditpack.emulator import running_emulator

    with running_emulator():
        seed_sample_account()
        args = ["scan", "--out", str(out)]
        for region in DEMO_REGIONS:
            args += ["--region", region]
        if quiet:
            args.append("--quiet")
        code = main(args)
    return code
