"""CloudTrail trails with their logging status and event selectors.

``DescribeTrails`` lists a multi-region trail in every region. Each trail is collected once, by the job of
its home region (or, when the home region is not scanned, by the first scanned region's job), and its status
and selectors are read in its home region, so a trail is never counted twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from auditpack.resources.base import AwsResource, Reader, collector


class Trail(AwsResource):
    cfn_type: ClassVar[str] = "AWS::CloudTrail::Trail"

    home_region: str
    is_multi_region: bool
    log_file_validation: bool = False
    kms_key_id: str | None = None
    cloudwatch_log_group_arn: str | None = None
    is_logging: bool = False
    latest_cloudwatch_delivery: datetime | None = None
    latest_cloudwatch_delivery_error: str | None = None
    management_read: bool = False
    management_write: bool = False


def management_coverage(selectors: dict[str, Any]) -> tuple[bool, bool]:
    """(read, write): which management events a trail records, from basic or advanced selectors.

    A trail without custom selectors logs all management events, which is AWS's default.
    """
    basic = selectors.get("EventSelectors") or []
    advanced = selectors.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return True, True
    read = write = False
    for sel in basic:
        if sel.get("IncludeManagementEvents", True):
            rw = sel.get("ReadWriteType", "All")
            read |= rw in ("All", "ReadOnly")
            write |= rw in ("All", "WriteOnly")
    for sel in advanced:
        fields = {f.get("Field"): f for f in sel.get("FieldSelectors", [])}
        category = fields.get("eventCategory", {})
        if "Management" not in (category.get("Equals") or []):
            continue
        read_only = fields.get("readOnly")
        if read_only is None:
            read = write = True
        else:
            values = [v.lower() for v in read_only.get("Equals") or []]
            read |= "true" in values
            write |= "false" in values
    return read, write


def _owned(trail: dict[str, Any], ctx: Reader) -> bool:
    home = trail.get("HomeRegion", ctx.region)
    if home == ctx.region:
        return True
    return home not in ctx.regions and bool(ctx.regions) and ctx.region == ctx.regions[0]


@collector(
    "cloudtrail.trails",
    service="cloudtrail",
    permissions=["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"],
)
def trails(ctx: Reader) -> list[Trail]:
    listing = ctx.call("cloudtrail", "describe_trails", includeShadowTrails=True)
    out = []
    for raw in listing.data.get("trailList", []):
        if not _owned(raw, ctx):
            continue
        home = raw.get("HomeRegion", ctx.region)
        arn = raw["TrailARN"]
        status = ctx.call("cloudtrail", "get_trail_status", in_region=home, Name=arn)
        selectors = ctx.call("cloudtrail", "get_event_selectors", in_region=home, TrailName=arn)
        read, write = management_coverage(selectors.data)
        out.append(Trail(
            arn=arn,
            name=raw["Name"],
            account=ctx.account,
            region=home,
            evidence=(listing.evidence, status.evidence, selectors.evidence),
            home_region=home,
            is_multi_region=bool(raw.get("IsMultiRegionTrail")),
            log_file_validation=bool(raw.get("LogFileValidationEnabled")),
            kms_key_id=raw.get("KmsKeyId"),
            cloudwatch_log_group_arn=raw.get("CloudWatchLogsLogGroupArn"),
            is_logging=bool(status.data.get("IsLogging")),
            latest_cloudwatch_delivery=status.data.get("LatestCloudWatchLogsDeliveryTime"),
            latest_cloudwatch_delivery_error=status.data.get("LatestCloudWatchLogsDeliveryError"),
            management_read=read,
            management_write=write,
        ))
    return out
