"""CloudTrail records of a story's calls: the event history ``LookupEvents`` answers from, and trail log files.

A record is what CloudTrail writes for one call (``userIdentity``, ``eventTime``, ``eventName``, the caller's
address and user agent, request parameters and response elements), built here in CloudTrail's own field names
so that what auditpack reads in the emulator is shaped like what it reads in AWS. ``seed_history`` puts records
in the emulator's event history (in process: the emulator runs in this process); ``deliver_log_files`` writes
them to S3 as a trail delivers them: gzip JSON ``{"Records": [...]}`` under
``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/``, one file per region and five minutes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from auditpack.emulator.seeding import guard

DELIVERY = timedelta(minutes=5)  # CloudTrail writes a file per region about every five minutes


@dataclass(frozen=True)
class Caller:
    """Who makes a story's calls: one IAM user's access key, from one address, with one tool."""

    account: str
    user: str
    access_key_id: str
    source_ip: str
    user_agent: str
    principal_id: str = ""
    partition: str = "aws"

    def identity(self) -> dict[str, Any]:
        return {"type": "IAMUser", "principalId": self.principal_id,
                "arn": f"arn:{self.partition}:iam::{self.account}:user/{self.user}", "accountId": self.account,
                "accessKeyId": self.access_key_id, "userName": self.user}


def _stable_uuid(*parts: object) -> str:
    """A UUID (version 4 in shape) that is the same on every run of the same story."""
    return str(uuid.UUID(bytes=hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:16], version=4))


def record(caller: Caller, event_name: str, *, source: str, region: str, when: datetime,
           request: dict[str, Any] | None = None, response: dict[str, Any] | None = None,
           resources: Iterable[tuple[str, str]] = (), read_only: bool = False,
           error: str | None = None) -> dict[str, Any]:
    """One CloudTrail record of ``caller`` calling ``event_name`` at ``when``; ``resources`` are (type, ARN)."""
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out: dict[str, Any] = {
        "eventVersion": "1.09", "userIdentity": caller.identity(), "eventTime": stamp,
        "eventSource": f"{source}.amazonaws.com", "eventName": event_name, "awsRegion": region,
        "sourceIPAddress": caller.source_ip, "userAgent": caller.user_agent,
        "requestParameters": request, "responseElements": response,
        "requestID": _stable_uuid("request", caller.access_key_id, stamp, event_name, region),
        "eventID": _stable_uuid("event", caller.access_key_id, stamp, event_name, region),
        "readOnly": read_only, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": caller.account, "eventCategory": "Management",
    }
    if resources:
        out["resources"] = [{"accountId": caller.account, "type": kind, "ARN": arn} for kind, arn in resources]
    if error:
        out["errorCode"], out["errorMessage"] = error, f"{caller.user} is not authorized to perform {event_name}"
        out["responseElements"] = None
    return out


def seed_history(records: Iterable[dict[str, Any]]) -> None:
    """Put records in the emulator's event history, each in its account and region."""
    guard()
    from auditpack.emulator.extensions.cloudtrail import record_events

    for item in records:
        record_events(item["recipientAccountId"], item["awsRegion"], [item])


def log_file_key(account: str, region: str, delivered: datetime, *, prefix: str = "",
                 organization: str | None = None, salt: str = "") -> str:
    """Where CloudTrail puts a log file (``<prefix>/AWSLogs/[<org>/]<account>/CloudTrail/<region>/Y/M/D/...``)."""
    at = delivered.astimezone(UTC)
    base = f"{prefix.rstrip('/')}/" if prefix else ""
    org = f"{organization}/" if organization else ""
    suffix = hashlib.sha256(f"{account}{region}{at.isoformat()}{salt}".encode()).hexdigest()[:16].upper()
    return (f"{base}AWSLogs/{org}{account}/CloudTrail/{region}/{at:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{at:%Y%m%dT%H%MZ}_{suffix}.json.gz")


def deliver_log_files(bucket: str, records: Iterable[dict[str, Any]], *, prefix: str = "",
                      organization: str | None = None, region: str = "us-east-1") -> list[str]:
    """Write ``records`` to ``bucket`` as a trail delivers them; returns the object keys written."""
    guard()
    files: dict[tuple[str, str, datetime], list[dict[str, Any]]] = {}
    for item in records:
        when = datetime.fromisoformat(item["eventTime"].replace("Z", "+00:00"))
        slot = datetime.fromtimestamp((when.timestamp() // DELIVERY.total_seconds() + 1) * DELIVERY.total_seconds(),
                                      UTC)
        files.setdefault((item["recipientAccountId"], item["awsRegion"], slot), []).append(item)
    s3 = boto3.client("s3", region_name=region)
    keys = []
    for (account, where, slot), batch in sorted(files.items()):
        key = log_file_key(account, where, slot, prefix=prefix, organization=organization)
        body = gzip.compress(json.dumps({"Records": batch}).encode(), mtime=0)
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", ContentEncoding="gzip")
        keys.append(key)
    return keys
