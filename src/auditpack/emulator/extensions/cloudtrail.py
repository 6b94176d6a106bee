"""CloudTrail ``LookupEvents``: moto 5.2.5 keeps no event history and answers the call with HTTP 500.

Event history here is a store of CloudTrail records (the JSON a trail delivers, one dict per event) kept on
moto's backend object of each account and region, so ``/moto-api/reset`` clears it. Seeders fill it in process
with ``record_events``; nothing else writes it (the emulator does not log its own traffic, so a story's events
are exactly the ones it seeds). ``LookupEvents`` answers like AWS: newest first, at most one lookup attribute,
a time range, pages of at most 50 events, and only the last 90 days of history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from auditpack.emulator.extensions import extension

RETENTION = timedelta(days=90)  # how far back AWS's event history goes
PAGE = 50
ATTRIBUTES = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
              "AccessKeyId")


def _store(account: str, region: str) -> list[dict[str, Any]]:
    from moto.cloudtrail.models import cloudtrail_backends

    backend = cloudtrail_backends[account][region]
    return backend.__dict__.setdefault("auditpack_events", [])


def record_events(account: str, region: str, records: Iterable[dict[str, Any]]) -> None:
    """Add CloudTrail records (as a trail delivers them) to one account and region's event history."""
    _store(account, region).extend(records)


def _time(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(record["eventTime"]).replace("Z", "+00:00"))


def _username(record: dict[str, Any]) -> str:
    identity = record.get("userIdentity") or {}
    if identity.get("userName"):
        return str(identity["userName"])
    return str(identity.get("arn", "")).rsplit("/", 1)[-1]


def _resources(record: dict[str, Any]) -> list[dict[str, str]]:
    return [{"ResourceType": r.get("type", ""), "ResourceName": r.get("ARN", "")}
            for r in record.get("resources") or []]


def _attribute(record: dict[str, Any], key: str) -> list[str]:
    """The values a record has for a lookup attribute (several for its resources)."""
    if key == "ResourceType":
        return [r["ResourceType"] for r in _resources(record)]
    if key == "ResourceName":
        return [r["ResourceName"] for r in _resources(record)]
    return [{
        "EventId": str(record.get("eventID", "")),
        "EventName": str(record.get("eventName", "")),
        "ReadOnly": str(record.get("readOnly", False)).lower(),
        "Username": _username(record),
        "EventSource": str(record.get("eventSource", "")),
        "AccessKeyId": str((record.get("userIdentity") or {}).get("accessKeyId", "")),
    }[key]]


def _event(record: dict[str, Any]) -> dict[str, Any]:
    """A record as LookupEvents returns it: a few fields lifted, the whole record as a JSON string."""
    return {
        "EventId": record.get("eventID"), "EventName": record.get("eventName"),
        "ReadOnly": str(record.get("readOnly", False)).lower(),
        "AccessKeyId": (record.get("userIdentity") or {}).get("accessKeyId"),
        "EventTime": _time(record).timestamp(), "EventSource": record.get("eventSource"),
        "Username": _username(record), "Resources": _resources(record), "CloudTrailEvent": json.dumps(record),
    }


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def lookup_events(self: Any) -> str:
    attributes = self._get_param("LookupAttributes") or []
    if len(attributes) > 1:
        raise _error("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in ATTRIBUTES:
            raise _error("InvalidLookupAttributesException", "Unknown lookup attribute key.")
    now = datetime.now(UTC)
    start = max(_moment(self._get_param("StartTime")) or now - RETENTION, now - RETENTION)
    end = _moment(self._get_param("EndTime")) or now
    if start > end:
        raise _error("InvalidTimeRangeException", "StartTime must be before EndTime.")
    size = int(self._get_param("MaxResults") or PAGE)
    if not 1 <= size <= PAGE:
        raise _error("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    token = self._get_param("NextToken")
    try:
        offset = int(token) if token else 0
    except ValueError:
        raise _error("InvalidNextTokenException", "Invalid NextToken.") from None
    found = [r for r in _store(self.current_account, self.region) if start <= _time(r) <= end
             and all(a.get("AttributeValue") in _attribute(r, a["AttributeKey"]) for a in attributes)]
    found.sort(key=_time, reverse=True)
    page = found[offset:offset + size]
    answer: dict[str, Any] = {"Events": [_event(r) for r in page]}
    if offset + size < len(found):
        answer["NextToken"] = str(offset + size)
    return json.dumps(answer)


@extension("cloudtrail-lookup-events", service="cloudtrail", operations=("LookupEvents",),
           reason="moto 5.2.5 keeps no CloudTrail event history: LookupEvents answers HTTP 500")
def install() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse

    CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]
