"""``auditpack demo``: a scan of a seeded, emulated account through the same path a real account takes.

The emulator runs in this process on loopback; the seeded account fails some controls on purpose so the
pack shows what findings look like. No AWS account and no network are needed.
"""

from __future__ import annotations

from pathlib import Path

import boto3

DEMO_REGIONS = ("us-east-1", "us-west-2")


def seed_logging(region: str = "us-east-1", *, guardduty_regions: tuple[str, ...] = ("us-east-1",)) -> None:
    """A single-region trail without log validation or KMS, and GuardDuty in only some regions."""
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket="demo-cloudtrail-logs")
    cloudtrail = boto3.client("cloudtrail", region_name=region)
    cloudtrail.create_trail(Name="management-events", S3BucketName="demo-cloudtrail-logs",
                            IsMultiRegionTrail=False, EnableLogFileValidation=False)
    cloudtrail.start_logging(Name="management-events")
    for gd_region in guardduty_regions:
        boto3.client("guardduty", region_name=gd_region).create_detector(Enable=True)


def seed_sample_account() -> None:
    seed_logging()


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
