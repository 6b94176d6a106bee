"""A trail's delivered log files: CloudTrail history beyond the 90 days of LookupEvents, and data events.

A trail writes gzip JSON files (``{"Records": [...]}``) under
``<prefix>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`` (an organization trail under
``<prefix>/AWSLogs/<org id>/<account>/CloudTrail/...``). Only the window's date prefixes are listed, region by
region, and only regions present in the bucket: a bucket holding years of logs is never listed whole. Each
file read is evidence by its size and SHA-256; its records stay in the bucket, and only those of the
identities followed are kept in memory.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from auditpack.leak import RegionGap
from auditpack.resources.base import CallFailed, Reader
from auditpack.resources.key_activity import when

PERMISSIONS = ("s3:ListBucket", "s3:GetObject")
BUCKET_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<prefix>.*))?$")
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class TrailLocation:
    """Where a trail delivers: a bucket and the trail's key prefix (empty when it has none)."""

    bucket: str
    prefix: str = ""

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def logs(self) -> str:
        return f"{self.prefix.rstrip('/')}/AWSLogs/" if self.prefix.strip("/") else "AWSLogs/"


def parse_location(url: str) -> TrailLocation | None:
    """``s3://bucket/prefix`` as a location, or None when it is not an S3 URL with a valid bucket name."""
    match = BUCKET_URL.match(url.strip())
    if not match or ".." in match.group("bucket"):
        return None
    return TrailLocation(match.group("bucket"), (match.group("prefix") or "").strip("/"))


@dataclass
class TrailRead:
    """Records kept, and what could not be read; ``files`` counts the log files read."""

    records: list[dict[str, Any]] = field(default_factory=list)
    unread: list[RegionGap] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    files: int = 0
    regions: list[str] = field(default_factory=list)


def _children(reader: Reader, bucket: str, prefix: str, evidence: list[str]) -> list[str]:
    found = []
    for page in reader.paginate("s3", "list_objects_v2", Bucket=bucket, Prefix=prefix, Delimiter="/"):
        evidence.append(page.evidence)
        found += [p["Prefix"] for p in page.data.get("CommonPrefixes", [])]
    return found


def log_roots(reader: Reader, location: TrailLocation, account: str, evidence: list[str]) -> list[str]:
    """The account's ``.../CloudTrail/`` folders: its own trail's, and an organization trail's."""
    roots = []
    for child in _children(reader, location.bucket, location.logs, evidence):
        name = child[len(location.logs):].strip("/")
        if name == account:
            roots.append(f"{child}CloudTrail/")
        elif name.startswith("o-"):
            roots.append(f"{child}{account}/CloudTrail/")
    return roots


def days(start: datetime, end: datetime) -> list[date]:
    first, last = start.date(), end.date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _records(body: bytes) -> list[dict[str, Any]]:
    text = gzip.decompress(body) if body[:2] == GZIP_MAGIC else body
    document = json.loads(text)
    return [r for r in document.get("Records", []) if isinstance(r, dict)] if isinstance(document, dict) else []


def _within(record: dict[str, Any], start: datetime, end: datetime) -> bool:
    try:
        return start <= when(record) <= end
    except ValueError:  # a record without a readable time cannot be placed in the window
        return False


def read_trail(reader: Reader, location: TrailLocation, account: str, regions: list[str], start: datetime,
               end: datetime, match: Callable[[dict[str, Any]], bool]) -> TrailRead:
    """The records ``match`` keeps, from the log files delivered in the window for ``regions``.

    A missing bucket raises ``CallFailed`` (the location is wrong); a denied listing or object is a gap.
    """
    result = TrailRead()
    roots = log_roots(reader, location, account, result.evidence)
    folders: list[tuple[str, str]] = []
    for root in roots:
        present = {p[len(root):].strip("/") for p in _children(reader, location.bucket, root, result.evidence)}
        result.regions += sorted(present & set(regions))
        folders += [(region, f"{root}{region}/{day:%Y/%m/%d}/") for region in sorted(present & set(regions))
                    for day in days(start, end)]

    def listing(folder: tuple[str, str]) -> tuple[str, list[str], list[str], RegionGap | None]:
        region, prefix = folder
        keys, refs = [], []
        try:
            for page in reader.paginate("s3", "list_objects_v2", Bucket=location.bucket, Prefix=prefix):
                refs.append(page.evidence)
                keys += [o["Key"] for o in page.data.get("Contents", []) if o["Key"].endswith((".json.gz", ".json"))]
        except CallFailed as exc:
            return region, [], refs, RegionGap(region=region, error_code=exc.code, message=f"{location.url} {prefix}")
        return region, keys, refs, None

    def reading(item: tuple[str, str]) -> tuple[list[dict[str, Any]], str | None, RegionGap | None]:
        region, key = item
        try:
            got = reader.call("s3", "get_object", Bucket=location.bucket, Key=key, streams=("Body",))
        except CallFailed as exc:
            return [], None, RegionGap(region=region, error_code=exc.code, message=f"s3://{location.bucket}/{key}")
        try:
            records = _records(got.data["Body"])
        except (OSError, ValueError, EOFError):
            return [], got.evidence, RegionGap(region=region, error_code="NotALogFile",
                                               message=f"s3://{location.bucket}/{key}")
        return [r for r in records if _within(r, start, end) and match(r)], got.evidence, None

    files: list[tuple[str, str]] = []
    for region, keys, refs, gap in reader.each(listing, folders):
        result.evidence += refs
        files += [(region, k) for k in keys]
        if gap:
            result.unread.append(gap)
    for records, ref, gap in reader.each(reading, files):
        result.records += records
        result.evidence += [ref] if ref else []
        if gap:
            result.unread.append(gap)
    result.files = len(files)
    return result
