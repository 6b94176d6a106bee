"""Seeds for the logging and monitoring family: CloudTrail trails, GuardDuty detectors and their findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3

from auditpack.emulator.seeding import guard


def trail(name: str = "management-events", region: str = "us-east-1", *, multi_region: bool = False,
          log_validation: bool = False, kms: bool = False, logging: bool = True) -> str:
    guard()
    s3 = boto3.client("s3", region_name=region)
    bucket = f"{name}-logs"
    s3.create_bucket(Bucket=bucket, **({} if region == "us-east-1" else
                                         {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    kwargs = {}
    if kms:
        kwargs["KmsKeyId"] = boto3.client("kms", region_name=region).create_key()["KeyMetadata"]["Arn"]
    cloudtrail = boto3.client("cloudtrail", region_name=region)
    arn = cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region,
                                  EnableLogFileValidation=log_validation, **kwargs)["TrailARN"]
    if logging:
        cloudtrail.start_logging(Name=name)
    return arn


def guardduty(*regions: str, enabled: bool = True) -> None:
    guard()
    for region in regions:
        boto3.client("guardduty", region_name=region).create_detector(Enable=enabled)


def stale_finding(region: str, finding_type: str, *, age_days: int) -> None:
    """A GuardDuty finding of ``finding_type`` left open for ``age_days`` (the region's detector must exist)."""
    guard()
    from freezegun import freeze_time  # the emulator shares this process' clock

    client = boto3.client("guardduty", region_name=region)
    [detector] = client.list_detectors()["DetectorIds"][:1]
    with freeze_time(datetime.now(UTC) - timedelta(days=age_days)):
        client.create_sample_findings(DetectorId=detector, FindingTypes=[finding_type])


def seed_logging(region: str = "us-east-1", *, guardduty_regions: tuple[str, ...] = ("us-east-1",)) -> None:
    """A single-region trail without log validation or KMS, and GuardDuty in only some regions."""
    trail("management-events", region)
    guardduty(*guardduty_regions)
