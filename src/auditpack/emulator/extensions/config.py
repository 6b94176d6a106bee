"""AWS Config delivery: moto 5.2.5 keeps a started recorder's ``lastStatus`` at PENDING for ever and has no
``DescribeDeliveryChannelStatus`` (500).

A recording recorder with a delivery channel reports ``Success``, as AWS does once its first records are
delivered; a channel reports ``Success`` while a recorder records and its bucket exists, ``Failure``
(``NoSuchBucket``) when the bucket does not, and ``Not_Applicable`` while nothing records.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from auditpack.emulator.extensions import extension


def _recording(backend: Any) -> bool:
    return any(r.status.recording for r in backend.recorders.values())


def _bucket_exists(account: str, bucket: str | None) -> bool:
    from moto.s3.models import s3_backends

    return bool(bucket) and bucket in s3_backends[account]["aws"].buckets


def recorder_status(original: Any) -> Any:
    def describe(self: Any) -> str:
        answer = json.loads(original(self))
        if self.config_backend.delivery_channels:
            for status in answer.get("ConfigurationRecordersStatus", []):
                if status.get("recording"):
                    status["lastStatus"] = "Success"
        return json.dumps(answer)

    return describe


def describe_delivery_channel_status(self: Any) -> str:
    backend = self.config_backend
    now = datetime.now(UTC).timestamp()
    out = []
    for name, channel in backend.delivery_channels.items():
        if not _recording(backend):
            info = {"lastStatus": "Not_Applicable"}
        elif _bucket_exists(self.current_account, getattr(channel, "s3_bucket_name", None)):
            info = {"lastStatus": "Success", "lastAttemptTime": now, "lastSuccessfulTime": now}
        else:
            info = {"lastStatus": "Failure", "lastErrorCode": "NoSuchBucket", "lastAttemptTime": now,
                    "lastErrorMessage": "The specified bucket does not exist"}
        out.append({"name": name, "configSnapshotDeliveryInfo": info, "configHistoryDeliveryInfo": info,
                    "configStreamDeliveryInfo": {"lastStatus": "NOT_APPLICABLE"}})
    return json.dumps({"DeliveryChannelsStatus": out})


@extension("config-delivery-status", service="config",
           operations=("DescribeDeliveryChannelStatus", "DescribeConfigurationRecorderStatus"),
           reason="moto 5.2.5 leaves a recorder's lastStatus PENDING and has no DescribeDeliveryChannelStatus")
def install() -> None:
    from moto.config.responses import ConfigResponse

    ConfigResponse.describe_configuration_recorder_status = recorder_status(  # type: ignore[method-assign]
        ConfigResponse.describe_configuration_recorder_status)
    ConfigResponse.describe_delivery_channel_status = describe_delivery_channel_status  # type: ignore[method-assign]
