"""GuardDuty detectors per region, and the unarchived high-severity findings of enabled detectors."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from auditpack.resources.base import AwsResource, Reader, collector

HIGH_SEVERITY = 7.0


class Detector(AwsResource):
    cfn_type: ClassVar[str] = "AWS::GuardDuty::Detector"

    detector_id: str
    enabled: bool


class GuardDutyFinding(AwsResource):
    cfn_type: ClassVar[str] = "AWS::GuardDuty::Finding"

    detector_id: str
    finding_type: str
    severity: float
    created_at: datetime
    title: str = ""


@collector("guardduty.detectors", service="guardduty",
           permissions=["guardduty:ListDetectors", "guardduty:GetDetector"])
def detectors(ctx: Reader) -> list[Detector]:
    out = []
    for page in ctx.paginate("guardduty", "list_detectors"):
        for detector_id in page.data.get("DetectorIds", []):
            detail = ctx.call("guardduty", "get_detector", DetectorId=detector_id)
            out.append(Detector(
                arn=ctx.arn("guardduty", f"detector/{detector_id}"),
                name=detector_id,
                account=ctx.account,
                region=ctx.region,
                evidence=(page.evidence, detail.evidence),
                detector_id=detector_id,
                enabled=detail.data.get("Status") == "ENABLED",
            ))
    return out


@collector("guardduty.high_findings", service="guardduty",
           permissions=["guardduty:ListFindings", "guardduty:GetFindings"], needs=["guardduty.detectors"])
def high_findings(ctx: Reader) -> list[GuardDutyFinding]:
    """Only unarchived findings of severity 7 or more are fetched: the check needs nothing else."""
    criteria = {"Criterion": {"severity": {"GreaterThanOrEqual": int(HIGH_SEVERITY)},
                              "service.archived": {"Equals": ["false"]}}}
    out: list[GuardDutyFinding] = []
    for detector in ctx.need("guardduty.detectors"):
        if not isinstance(detector, Detector) or not detector.enabled:
            continue
        ids: list[str] = []
        listing_refs: list[str] = []
        for page in ctx.paginate("guardduty", "list_findings", DetectorId=detector.detector_id,
                                 FindingCriteria=criteria):
            ids.extend(page.data.get("FindingIds", []))
            listing_refs.append(page.evidence)
        for start in range(0, len(ids), 50):
            batch = ctx.call("guardduty", "get_findings", DetectorId=detector.detector_id,
                             FindingIds=ids[start:start + 50])
            for f in batch.data.get("Findings", []):
                out.append(GuardDutyFinding(
                    arn=f.get("Arn") or ctx.arn("guardduty", f"detector/{detector.detector_id}/finding/{f['Id']}"),
                    name=f["Id"],
                    account=ctx.account,
                    region=ctx.region,
                    evidence=(*listing_refs, batch.evidence),
                    detector_id=detector.detector_id,
                    finding_type=f.get("Type", ""),
                    severity=float(f.get("Severity", 0)),
                    created_at=datetime.fromisoformat(f["CreatedAt"].replace("Z", "+00:00")),
                    title=f.get("Title", ""),
                ))
    return out
