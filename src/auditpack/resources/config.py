"""AWS Config in each region: its recorders (what they record, whether they are recording and succeeding) and
its delivery channels (where the records go, whether delivery fails). Four listing calls per region."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from auditpack.resources.base import AwsResource, Reader, collector

ALL_SUPPORTED = "ALL_SUPPORTED_RESOURCE_TYPES"


class Recorder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    all_supported: bool = False  # records every supported resource type (allSupported, or that strategy)
    recording: bool = False
    last_status: str | None = None  # Pending, Success, Failure
    last_error: str | None = None


class DeliveryChannel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    bucket: str | None = None
    last_status: str | None = None  # of the configuration history delivery: Success, Failure, Not_Applicable
    last_error: str | None = None


class ConfigSetup(AwsResource):
    """Config's recorders and delivery channels in one region (both empty when Config was never set up)."""

    cfn_type: ClassVar[str] = "AWS::::Account"

    recorders: tuple[Recorder, ...] = ()
    channels: tuple[DeliveryChannel, ...] = ()


def _records_everything(group: dict[str, Any]) -> bool:
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    return bool(group.get("allSupported")) and strategy in (None, ALL_SUPPORTED)


@collector("config.setup", service="config", permissions=[
    "config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus",
    "config:DescribeDeliveryChannels", "config:DescribeDeliveryChannelStatus"])
def setup(ctx: Reader) -> list[ConfigSetup]:
    recorders = ctx.call("config", "describe_configuration_recorders")
    statuses = ctx.call("config", "describe_configuration_recorder_status")
    channels = ctx.call("config", "describe_delivery_channels")
    channel_statuses = ctx.call("config", "describe_delivery_channel_status")
    status = {s["name"]: s for s in statuses.data.get("ConfigurationRecordersStatus", [])}
    delivery = {s["name"]: (s.get("configHistoryDeliveryInfo") or {})
                for s in channel_statuses.data.get("DeliveryChannelsStatus", [])}
    return [ConfigSetup(
        arn=ctx.arn("config", "configuration-recorder"), name="AWS Config", account=ctx.account, region=ctx.region,
        evidence=(recorders.evidence, statuses.evidence, channels.evidence, channel_statuses.evidence),
        recorders=tuple(Recorder(
            name=r["name"], all_supported=_records_everything(r.get("recordingGroup") or {}),
            recording=bool(status.get(r["name"], {}).get("recording")),
            last_status=status.get(r["name"], {}).get("lastStatus"),
            last_error=status.get(r["name"], {}).get("lastErrorCode"))
            for r in recorders.data.get("ConfigurationRecorders", [])),
        channels=tuple(DeliveryChannel(
            name=c["name"], bucket=c.get("s3BucketName"), last_status=delivery.get(c["name"], {}).get("lastStatus"),
            last_error=delivery.get(c["name"], {}).get("lastErrorCode"))
            for c in channels.data.get("DeliveryChannels", [])),
    )]
