"""What an access key did: its CloudTrail events in a window, and which of them a responder must look at.

Events are read from CloudTrail's event history (``LookupEvents`` with the ``AccessKeyId`` attribute, region by
region: each region keeps its own history, and IAM's events are kept in the partition's first region, so that
one is always read) or from a trail's delivered log files (``trail_logs``). Both give CloudTrail records, which
``assess`` turns into a summary and flagged events:

- identity creation: a user, role, access key, console password, or a policy attached or put (persistence);
- compute in a region where the account otherwise launches none: RunInstances or CreateFunction there, and no
  other identity did the same in the window (asked of the region's own history, one event name at a time);
- defense evasion: StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors, DeleteDetector;
- GetCallerIdentity (what a bot asks first) from an address the key had not used earlier in the window; the
  key's first event sets the baseline, so it is never flagged on this ground alone.

A region whose history could not be read is reported (``RegionGap``), never read as "no activity".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from auditpack.leak import ActivityEvent, Flag, KeyActivity, RegionGap
from auditpack.resources.base import CallFailed, Reader
from auditpack.resources.secret_source import ACCESS_KEY_ID, mask

LOOKBACK_DAYS = 90  # the default of the leaked_key_lookback_days ODP: all the event history AWS keeps
EVENT_HISTORY = timedelta(days=90)  # how far back LookupEvents reaches
PERMISSIONS = ("cloudtrail:LookupEvents",)
MAX_FLAGGED_LISTED = 50  # in a scan's finding; an incident lists every one
MAX_PROBE_PAGES = 4  # pages read to learn whether other identities launch compute in a region

IDENTITY_CREATION = frozenset({
    "CreateUser", "CreateAccessKey", "CreateLoginProfile", "CreateRole", "AttachUserPolicy", "AttachRolePolicy",
    "AttachGroupPolicy", "PutUserPolicy", "PutRolePolicy", "PutGroupPolicy",
})
COMPUTE = frozenset({"RunInstances", "CreateFunction"})
DEFENSE_EVASION = frozenset({"StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "DeleteDetector"})
RECON = "GetCallerIdentity"
GLOBAL_EVENTS_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
_VERSIONED = re.compile(r"\d{8}(v\d+)?$")  # Lambda's CloudTrail names: CreateFunction20150331


def base_name(event_name: str) -> str:
    """An event name without the API version some services append (``CreateFunction20150331``)."""
    return _VERSIONED.sub("", event_name)


def scrub(text: str | None) -> str | None:
    """Free text from a record (a user agent) with any access key id in it masked."""
    return None if text is None else ACCESS_KEY_ID.sub(lambda m: mask(m.group(1)), text)


# -- reading -------------------------------------------------------------------------------------------------


def regions_to_read(regions: Iterable[str], partition: str = "aws") -> list[str]:
    """The regions to ask, the one holding IAM's events included."""
    home = GLOBAL_EVENTS_REGION.get(partition, "us-east-1")
    return list(dict.fromkeys([*regions, home]))


def lookup(reader: Reader, region: str, key: str, value: str, start: datetime, end: datetime,
           max_pages: int | None = None, evidence: list[str] | None = None) -> list[dict[str, Any]]:
    """CloudTrail records of one region's event history whose ``key`` attribute is ``value``, in the window;
    the evidence file of each page read is appended to ``evidence``."""
    records: list[dict[str, Any]] = []
    pages = reader.paginate("cloudtrail", "lookup_events", in_region=region, StartTime=start, EndTime=end,
                            LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])
    for n, page in enumerate(pages, start=1):
        if evidence is not None:
            evidence.append(page.evidence)
        for event in page.data.get("Events", []):
            try:
                records.append(json.loads(event.get("CloudTrailEvent") or "{}"))
            except ValueError:
                continue
        if max_pages is not None and n >= max_pages:
            break
    return records


@dataclass
class History:
    """Records read for one key, and where reading failed."""

    records: list[dict[str, Any]]
    regions_read: list[str]
    unread: list[RegionGap]
    evidence: list[str]


def key_history(reader: Reader, regions: Iterable[str], key_id: str, start: datetime, end: datetime,
                attribute: str = "AccessKeyId") -> History:
    """Every region's event history for one key (or user name, ``attribute="Username"``), regions in parallel;
    the pacer keeps each region within its quota."""

    def one(region: str) -> tuple[str, list[dict[str, Any]] | RegionGap, list[str]]:
        refs: list[str] = []
        try:
            return region, lookup(reader, region, attribute, key_id, start, end, evidence=refs), refs
        except CallFailed as exc:  # the message may quote the request: only the code and operation are kept
            return region, RegionGap(region=region, error_code=exc.code, message=f"cloudtrail:{exc.operation}"), refs

    found = reader.each(one, list(regions))
    records = [r for _region, got, _refs in found if isinstance(got, list) for r in got]
    gaps = [got for _region, got, _refs in found if isinstance(got, RegionGap)]
    return History(records, [region for region, got, _refs in found if isinstance(got, list)], gaps,
                   [ref for _region, _got, refs in found for ref in refs])


def compute_elsewhere(reader: Reader, start: datetime, end: datetime,
                      own: Callable[[dict[str, Any]], bool]) -> Callable[[str, str], bool | str]:
    """A probe: did any identity ``own`` does not claim make ``event`` calls in ``region`` in the window?

    True or False, or the error code when the region's history could not be asked (then the event is flagged,
    with the doubt said). Each (region, event) is asked once.
    """
    asked: dict[tuple[str, str], bool | str] = {}

    def probe(region: str, event: str) -> bool | str:
        if (region, event) not in asked:
            try:
                records = lookup(reader, region, "EventName", event, start, end, max_pages=MAX_PROBE_PAGES)
                asked[(region, event)] = any(not own(r) for r in records)
            except CallFailed as exc:
                asked[(region, event)] = exc.code
        return asked[(region, event)]

    return probe


# -- what the records say ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Creation:
    """A principal or key a call created; ``key_id`` is in memory only (it is looked up, never written)."""

    kind: str  # "user", "role", "access key", "console password"
    name: str
    user: str | None
    at: datetime
    event_id: str
    key_id: str = ""

    def words(self) -> str:
        if self.kind == "access key":
            return f"access key {mask(self.key_id)} of user {self.user}"
        if self.kind == "console password":
            return f"console password of user {self.user}"
        return f"{self.kind} {self.name}"


def when(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(record.get("eventTime", "")).replace("Z", "+00:00"))


def creations(record: dict[str, Any]) -> list[Creation]:
    """What a successful call created, from its request parameters and response elements."""
    if record.get("errorCode"):
        return []
    name = base_name(str(record.get("eventName", "")))
    request = record.get("requestParameters") or {}
    response = record.get("responseElements") or {}
    at, event_id = when(record), str(record.get("eventID", ""))
    if name == "CreateUser" and request.get("userName"):
        return [Creation("user", request["userName"], request["userName"], at, event_id)]
    if name == "CreateRole" and request.get("roleName"):
        return [Creation("role", request["roleName"], None, at, event_id)]
    if name == "CreateAccessKey":
        key = response.get("accessKey") or {}
        if key.get("accessKeyId"):
            user = key.get("userName") or request.get("userName")
            return [Creation("access key", mask(key["accessKeyId"]), user, at, event_id, key["accessKeyId"])]
    if name == "CreateLoginProfile" and request.get("userName"):
        return [Creation("console password", request["userName"], request["userName"], at, event_id)]
    return []


def acted_on(record: dict[str, Any]) -> list[str]:
    """What a successful call changed or launched, in words, from the parameters CloudTrail records."""
    if record.get("errorCode"):
        return []
    name = base_name(str(record.get("eventName", "")))
    request = record.get("requestParameters") or {}
    response = record.get("responseElements") or {}
    target = next((f"{noun} {request[k]}" for k, noun in (("userName", "user"), ("roleName", "role"),
                                                          ("groupName", "group")) if request.get(k)), "")
    if name.startswith("Attach") and request.get("policyArn"):
        return [f"policy {str(request['policyArn']).rsplit('/', 1)[-1]} attached to {target}"]
    if name.startswith("Put") and name.endswith("Policy") and request.get("policyName"):
        return [f"inline policy {request['policyName']} put on {target}"]
    if name == "RunInstances":
        items = (response.get("instancesSet") or {}).get("items") or []
        kinds = sorted({str(i.get("instanceType") or request.get("instanceType") or "") for i in items} - {""})
        return [f"{len(items)} instance{'s' if len(items) != 1 else ''}" + (f" ({', '.join(kinds)})" if kinds else "")]
    if name == "CreateFunction" and request.get("functionName"):
        return [f"function {request['functionName']}"]
    if name in ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors") and request.get("name"):
        return [f"trail {request['name']}"]
    if name == "DeleteDetector" and request.get("detectorId"):
        return [f"detector {request['detectorId']}"]
    return []


def event_of(record: dict[str, Any]) -> ActivityEvent:
    identity = record.get("userIdentity") or {}
    key = str(identity.get("accessKeyId") or "")
    return ActivityEvent(
        time=when(record), name=str(record.get("eventName", "")),
        service=str(record.get("eventSource", "")).removesuffix(".amazonaws.com"),
        region=str(record.get("awsRegion", "")), key=mask(key) if key else "",
        principal=identity.get("arn"), source_ip=record.get("sourceIPAddress"),
        user_agent=scrub(record.get("userAgent")), event_id=str(record.get("eventID", "")),
        read_only=str(record.get("readOnly", "")).lower() == "true", error=record.get("errorCode"),
        created=[c.words() for c in creations(record)], acted_on=acted_on(record),
    )


def _flag(event: ActivityEvent, known_ips: set[str], first: bool,
          elsewhere: Callable[[str, str], bool | str]) -> ActivityEvent:
    name = base_name(event.name)
    failed = f" (it failed: {event.error})" if event.error else ""
    if name in IDENTITY_CREATION:
        what = "granted a policy" if "Policy" in name else "created an identity or a credential"
        return event.model_copy(update={"flag": Flag.IDENTITY, "reason": f"{event.name} {what}{failed}."})
    if name in DEFENSE_EVASION:
        return event.model_copy(update={"flag": Flag.EVASION,
                                        "reason": f"{event.name} stops or narrows logging or detection{failed}."})
    if name in COMPUTE:
        others = elsewhere(event.region, event.name)
        if others is not True:
            doubt = "" if others is False else f" (whether others launch compute there could not be read: {others})"
            return event.model_copy(update={"flag": Flag.COMPUTE, "reason": (
                f"{event.name} in {event.region}, where no other identity launched compute in the window{doubt}"
                f"{failed}.")})
    if name == RECON and not first and event.source_ip and event.source_ip not in known_ips:
        return event.model_copy(update={"flag": Flag.RECON, "reason": (
            f"GetCallerIdentity from {event.source_ip}, an address the key had not used before in the window.")})
    return event


def timeline(records: Iterable[dict[str, Any]], elsewhere: Callable[[str, str], bool | str]) -> list[ActivityEvent]:
    """Every record as an event, oldest first, each flagged or not (duplicates, by event id, once)."""
    unique = {str(r.get("eventID") or id(r)): r for r in records}
    ordered = sorted(unique.values(), key=lambda r: (when(r), str(r.get("eventID", ""))))
    events: list[ActivityEvent] = []
    known: dict[str, set[str]] = {}  # per key: the addresses it used so far
    for record in ordered:
        event = event_of(record)
        first = event.key not in known
        seen = known.setdefault(event.key, set())
        events.append(_flag(event, seen, first, elsewhere))
        if event.source_ip:
            seen.add(event.source_ip)
    return events


def summary(key: str, events: list[ActivityEvent], *, window_days: int, start: datetime, end: datetime,
            sources: list[str], regions_read: list[str], unread: list[RegionGap],
            max_listed: int | None = MAX_FLAGGED_LISTED) -> KeyActivity:
    """The activity of one key (masked ``key``) from its events, oldest first."""
    flagged = [e for e in events if e.flag]
    return KeyActivity(
        key=key, window_days=window_days, start=start, end=end, sources=sources,
        regions_read=sorted(regions_read), unread=sorted(unread, key=lambda g: g.region),
        event_count=len(events), first_seen=events[0].time if events else None,
        last_seen=events[-1].time if events else None, regions=sorted({e.region for e in events}),
        source_ips=sorted({e.source_ip for e in events if e.source_ip}),
        user_agents=sorted({e.user_agent for e in events if e.user_agent}),
        flagged_count=len(flagged), flagged=flagged if max_listed is None else flagged[:max_listed],
    )
