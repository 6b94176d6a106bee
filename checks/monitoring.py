"""Logging and monitoring: CloudTrail records, protects and delivers activity; GuardDuty watches it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import ResourceRef, Status
from auditpack.resources.cloudtrail import Trail
from auditpack.resources.guardduty import Detector, GuardDutyFinding
from auditpack.resources.inventory import InventoryView


def _trails(view: InventoryView) -> list[Trail]:
    """Each trail once, by ARN, whatever region listed it."""
    return list({t.arn: t for t in view.get("cloudtrail.trails")}.values())


def _account(view: InventoryView) -> ResourceRef:
    return ResourceRef(arn=view.account_arn, type="AWS::::Account", name=view.account)


def _shortfall(trail: Trail) -> list[str]:
    gaps = []
    if not trail.is_multi_region:
        gaps.append("is single-region")
    if not trail.is_logging:
        gaps.append("is not logging")
    if not trail.management_read:
        gaps.append("does not record read management events")
    if not trail.management_write:
        gaps.append("does not record write management events")
    return gaps


@check(
    id="cloudtrail_multi_region_logging",
    title="A multi-region CloudTrail trail records all management events",
    problem="No multi-region CloudTrail trail records all management events",
    resources=["cloudtrail.trails"],
    severity="high",
    remediation="Create a multi-region trail (or enable IsMultiRegionTrail on an existing one), start logging, "
    "and record both read and write management events.",
)
def cloudtrail_multi_region_logging(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Passes when at least one trail covers every region, is logging, and records read and write management
    events; a trail without custom event selectors records all management events."""
    trails = _trails(view)
    evidence = sorted({e for t in trails for e in t.evidence})
    good = [t for t in trails if not _shortfall(t)]
    if good:
        names = ", ".join(sorted(t.name for t in good))
        yield Result(Status.PASS, _account(view), f"Trail {names} records read and write management events in "
                     "every region and is logging.", "global", evidence)
    elif not trails:
        yield Result(Status.FAIL, _account(view), "The account has no CloudTrail trail in the scanned regions.",
                     "global", evidence)
    else:
        why = "; ".join(f"{t.name} ({t.home_region}) {', '.join(_shortfall(t))}" for t in trails)
        yield Result(Status.FAIL, _account(view),
                     f"No trail records all management events in every region: {why}.", "global", evidence)


@check(
    id="cloudtrail_log_file_validation",
    title="CloudTrail trails validate their log files",
    problem="CloudTrail trails do not validate their log files",
    resources=["cloudtrail.trails"],
    severity="medium",
    remediation="Enable log file integrity validation on the trail (EnableLogFileValidation).",
)
def cloudtrail_log_file_validation(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Each trail writes signed digest files, so that a change to or deletion of a log file can be detected."""
    for trail in _trails(view):
        if trail.log_file_validation:
            yield Result.of(Status.PASS, trail, f"Trail {trail.name} validates its log files.")
        else:
            yield Result.of(Status.FAIL, trail, f"Trail {trail.name} ({trail.home_region}) does not validate its "
                            "log files: altered or deleted logs would go unnoticed.")


@check(
    id="cloudtrail_kms_encrypted",
    title="CloudTrail trails encrypt logs with a KMS key",
    problem="CloudTrail trails do not encrypt logs with a KMS key",
    resources=["cloudtrail.trails"],
    severity="medium",
    remediation="Configure the trail with a customer-managed KMS key (KmsKeyId) whose policy lets CloudTrail "
    "encrypt and only log readers decrypt.",
)
def cloudtrail_kms_encrypted(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Each trail encrypts its log files with a KMS key, so reading them needs decrypt rights on the key."""
    for trail in _trails(view):
        if trail.kms_key_id:
            yield Result.of(Status.PASS, trail, f"Trail {trail.name} encrypts logs with KMS key {trail.kms_key_id}.")
        else:
            yield Result.of(Status.FAIL, trail, f"Trail {trail.name} ({trail.home_region}) does not encrypt its logs "
                            "with a KMS key.")


@check(
    id="cloudtrail_cloudwatch_delivery",
    title="Multi-region trails deliver to CloudWatch Logs",
    problem="Multi-region trails do not deliver to CloudWatch Logs",
    resources=["cloudtrail.trails"],
    severity="medium",
    remediation="Configure the multi-region trail to deliver to a CloudWatch Logs log group "
    "(CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn) and fix any delivery error it reports.",
    params={"cloudwatch_delivery_max_hours": {"type": "integer", "min": 1, "max": 720, "default": 24}},
)
def cloudtrail_cloudwatch_delivery(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Each multi-region trail sends events to a CloudWatch Logs group, with a delivery within the last
    ``cloudwatch_delivery_max_hours``, so that activity can be reviewed and alarmed on as it happens."""
    limit = timedelta(hours=params["cloudwatch_delivery_max_hours"])
    multi = [t for t in _trails(view) if t.is_multi_region]
    if not multi:
        yield Result(Status.FAIL, _account(view), "No multi-region trail exists, so account activity does not "
                     "reach CloudWatch Logs for review.", "global",
                     sorted({e for t in _trails(view) for e in t.evidence}))
        return
    for trail in multi:
        if not trail.cloudwatch_log_group_arn:
            yield Result.of(Status.FAIL, trail, f"Trail {trail.name} does not deliver to CloudWatch Logs.")
        elif trail.latest_cloudwatch_delivery is None:
            yield Result.of(Status.FAIL, trail, f"Trail {trail.name} is configured for CloudWatch Logs but has "
                            "never delivered" + (f" ({trail.latest_cloudwatch_delivery_error})"
                                                  if trail.latest_cloudwatch_delivery_error else "") + ".")
        elif view.now - trail.latest_cloudwatch_delivery > limit:
            age = view.now - trail.latest_cloudwatch_delivery
            yield Result.of(Status.FAIL, trail, f"Trail {trail.name} last delivered to CloudWatch Logs "
                            f"{age.days} day(s) {age.seconds // 3600} hour(s) ago, beyond the "
                            f"{params['cloudwatch_delivery_max_hours']}-hour limit.")
        else:
            yield Result.of(Status.PASS, trail, f"Trail {trail.name} delivers to CloudWatch Logs "
                            f"({trail.cloudwatch_log_group_arn}).")


@check(
    id="guardduty_enabled",
    title="GuardDuty is enabled in every scanned region",
    problem="GuardDuty is off in scanned regions",
    resources=["guardduty.detectors"],
    severity="high",
    remediation="Enable GuardDuty in the region (create a detector, or enable the existing one); in an "
    "organization, enable it for all accounts from the delegated administrator.",
    scope="region",
)
def guardduty_enabled(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """In each scanned region a GuardDuty detector exists and is enabled; one result per region."""
    region = view.region or "global"
    detectors: list[Detector] = view.get("guardduty.detectors")
    enabled = [d for d in detectors if d.enabled]
    if enabled:
        yield Result.of(Status.PASS, enabled[0], f"GuardDuty detector {enabled[0].detector_id} is enabled in "
                        f"{region}.")
    elif detectors:
        yield Result.of(Status.FAIL, detectors[0], f"GuardDuty detector {detectors[0].detector_id} in {region} "
                        "is disabled.")
    else:
        yield Result(Status.FAIL, _account(view), f"GuardDuty has no detector in {region}.", region)


@check(
    id="guardduty_no_high_findings",
    title="No high-severity GuardDuty finding is left unresolved",
    problem="High-severity GuardDuty findings are left unresolved",
    resources=["guardduty.detectors", "guardduty.high_findings"],
    severity="high",
    remediation="Investigate and resolve each high-severity GuardDuty finding, then archive it; track "
    "incidents in the incident-response process.",
    params={"high_finding_max_age_days": {"type": "integer", "min": 0, "max": 365, "default": 7}},
    scope="region",
)
def guardduty_no_high_findings(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """For each enabled detector, no unarchived finding of severity 7 or more is older than
    ``high_finding_max_age_days``: high findings are being handled, not piling up."""
    max_age = timedelta(days=params["high_finding_max_age_days"])
    findings: list[GuardDutyFinding] = view.get("guardduty.high_findings")
    for detector in (d for d in view.get("guardduty.detectors") if d.enabled):
        mine = [f for f in findings if f.detector_id == detector.detector_id]
        stale = sorted((f for f in mine if view.now - f.created_at > max_age), key=lambda f: f.created_at)
        evidence = sorted({*detector.evidence, *(e for f in mine for e in f.evidence)})
        if stale:
            oldest = stale[0]
            yield Result.of(Status.FAIL, detector,
                            f"{len(stale)} unarchived high-severity GuardDuty finding(s) in {detector.region} are "
                            f"older than {max_age.days} day(s); the oldest, {oldest.finding_type} "
                            f"(severity {oldest.severity:g}), dates from {oldest.created_at:%Y-%m-%d}.",
                            evidence=evidence,
                            details={"stale_findings": [f.name for f in stale[:50]]})
        else:
            yield Result.of(Status.PASS, detector,
                            f"No unarchived high-severity GuardDuty finding in {detector.region} is older than "
                            f"{max_age.days} day(s) ({len(mine)} recent).", evidence=evidence)
