"""The read-only gate: the one way any part of auditpack calls AWS.

Every call names an operation the gate checks against what it allows (reads only, for collectors), is
refused once the scan is interrupted, is recorded as evidence with the declared secret fields redacted, and
fails as ``CallFailed`` rather than as an SDK exception, so nothing above the collect stage needs boto3.
Collectors get one gate per job (``auditpack.resources.base.Reader``); account planning gets its own, which
also allows ``sts:AssumeRole``.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.redaction import redact_request, redactor, sensitive_fields
from auditpack.collect.session import DownloadFailed
from auditpack.models import CollectionError
from auditpack.resources.base import (
    GLOBAL_REGION,
    READ_ONLY,
    AwsResource,
    CallFailed,
    CollectionCancelled,
    CollectorSpec,
    DependencyFailed,
    Download,
    Response,
    WriteCallRefused,
)

ClientFactory = Callable[[str, str], Any]
Fetch = Callable[[str, int], bytes]  # (url, max bytes) -> the bytes; raises DownloadFailed


class ScanMemo:
    """What collectors read once per scan (``Reader.once``): the first asker computes, the others wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: dict[Any, Future[Any]] = {}

    def once(self, key: Any, read: Callable[[], Any]) -> Any:
        with self._lock:
            known = self._results.get(key)
            if known is None:
                mine: Future[Any] = Future()
                self._results[key] = mine
        if known is not None:
            return known.result()
        try:
            mine.set_result(read())
        except BaseException as exc:
            mine.set_exception(exc)
        return mine.result()


def call_failed(exc: ClientError | BotoCoreError, service: str, operation: str) -> CallFailed:
    """The SDK's error as data a finding can show: AWS's code and message, or the transport error's name."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "Unknown"))
        message = str(err.get("Message") or exc)
        if message.lstrip().startswith("<"):  # an HTML error page (an emulator's or a proxy's): keep its title
            title = message.split("<title>", 1)[-1].split("</title>", 1)[0] if "<title>" in message else ""
            message = title.strip() or "HTML error page"
        return CallFailed(service, exc.operation_name or operation, code, message)
    return CallFailed(service, operation, type(exc).__name__, str(exc), answered=False)


@dataclass
class Gate:
    """One account and region's calls, for one collector job (or for account planning)."""

    account: str
    region: str
    partition: str
    client_factory: ClientFactory
    recorder: EvidenceRecorder
    redacted: frozenset[str] = frozenset()  # response fields the evidence must not show (beyond credentials)
    allowed: re.Pattern[str] = READ_ONLY
    purpose: str | None = None  # "scope" for account planning's evidence (see EvidenceRecorder.record)
    needed: dict[str, list[AwsResource]] = field(default_factory=dict)
    needed_errors: dict[str, CollectionError] = field(default_factory=dict)
    home_region: str = "us-east-1"
    regions: tuple[str, ...] = ()  # every region this scan covers
    calls: list[str] = field(default_factory=list)
    cancelled: threading.Event = field(default_factory=threading.Event)
    fan_out: Callable[[Callable[[Any], Any], list[Any]], list[Any]] | None = None
    fetch: Fetch | None = None  # how this account's session downloads a URL a read call handed out
    memo: ScanMemo = field(default_factory=ScanMemo)  # shared by every job of a scan
    parameters: Mapping[str, Any] = field(default_factory=dict)  # check parameters in force, by name

    def once(self, key: Any, read: Callable[[], Any]) -> Any:
        return self.memo.once(key, read)

    def parameter(self, name: str) -> Any:
        if name not in self.parameters:
            raise KeyError(f"no check in this scan declares the parameter {name!r}")
        return self.parameters[name]

    def each(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``[fn(item) for item in items]``, run on the scheduler's fan-out pool when it lends one.

        For per-resource calls (the versions of each function, the user data of each instance): inside one
        collector job they would otherwise run one after another while the pool idles. ``fn`` must not call
        ``each`` itself. Results keep the order of ``items``; the first exception is raised.
        """
        listed = list(items)
        if self.fan_out is None or len(listed) < 2:
            return [fn(item) for item in listed]
        return self.fan_out(fn, listed)

    @property
    def api_region(self) -> str:
        """Region to send calls to: global services are called in the home region."""
        return self.home_region if self.region == GLOBAL_REGION else self.region

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        reg = self.region if region is None else region
        reg = "" if reg == GLOBAL_REGION else reg
        acct = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{reg}:{acct}:{resource}"

    def client(self, service: str, region: str | None = None) -> Any:
        return self.client_factory(service, region or self.api_region)

    def _admit(self, client: Any, service: str, operation: str) -> str:
        api_name = client.meta.method_to_api_mapping.get(operation, operation)
        if not self.allowed.match(api_name):
            raise WriteCallRefused(f"{service}:{api_name} is not a read call")
        self._stop_if_cancelled()
        return api_name

    def _record(self, where: str, service: str, api_name: str, params: dict[str, Any], data: dict[str, Any],
                as_text: tuple[str, ...] = (), account: str | None = None, streams: tuple[str, ...] = ()) -> str:
        data.pop("ResponseMetadata", None)
        body = redactor(self.redacted)(_digests(_as_text(data, as_text), streams))
        return self.recorder.record(account or self.account, where, service, api_name,
                                    redact_request(params, self.redacted), body, purpose=self.purpose)

    def call(self, service: str, operation: str, *, in_region: str | None = None, absent: tuple[str, ...] = (),
             as_text: tuple[str, ...] = (), account_field: str | None = None, streams: tuple[str, ...] = (),
             **params: Any) -> Response:
        """Make one read call (``operation`` in boto3's snake_case) and record it as evidence.

        ``in_region`` sends the call to another region than the job's, e.g. to a trail's home region.
        An error whose code is in ``absent`` means "there is none" (``NoSuchEntity``): it is recorded and
        returned as ``Response.absent`` instead of failing the collector. ``account_field`` names the response
        field that says whose evidence it is, for the one call made before the account is known (who am I).
        ``streams`` names streamed fields (an S3 object's ``Body``): they are read whole and returned as bytes,
        and the evidence records their size and SHA-256, not their content.
        """
        client = self.client(service, in_region)
        api_name = self._admit(client, service, operation)
        self.calls.append(f"{service}:{api_name}")
        where = in_region or self.region
        try:
            data = _read_streams(getattr(client, operation)(**params), streams)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in absent:
                ref = self._record(where, service, api_name, params, {"Error": exc.response.get("Error", {})})
                return Response({}, ref, absent=code)
            raise call_failed(exc, service, api_name) from None
        except BotoCoreError as exc:
            raise call_failed(exc, service, api_name) from None
        owner = str(data.get(account_field) or "") if account_field else None
        for key, value in list(data.items()):
            if hasattr(value, "read") and hasattr(value, "close"):  # a streamed body (GetObject): read, bounded by
                try:                                                 # the request's Range; evidence keeps its size
                    data[key] = value.read()
                except BotoCoreError as exc:
                    raise call_failed(exc, service, api_name) from None
                finally:
                    value.close()
        return Response(data, self._record(where, service, api_name, params, data, as_text, owner, streams))

    def download(self, service: str, url: str, *, handed_out_by: str, max_bytes: int,
                 sha256: str | None = None) -> Download:
        """Fetch what ``handed_out_by`` (a read call of ``service``) gave a URL for, through this account's session.

        Only an HTTPS URL, or one on the service's own endpoint (an emulator), is fetched. Evidence records where
        from (without the query: a presigned URL's signature is a credential), the size and the SHA-256, checked
        against ``sha256`` (AWS's base64 digest); never the content.
        """
        parts = urlsplit(url)
        endpoint = urlsplit(str(self.client(service).meta.endpoint_url))
        if parts.scheme != "https" and (parts.scheme, parts.hostname, parts.port) != (
                endpoint.scheme, endpoint.hostname, endpoint.port):
            raise CallFailed(service, "Download", "UntrustedLocation",
                             f"{handed_out_by} handed out a URL that is neither HTTPS nor the service's endpoint")
        if self.fetch is None:
            raise CallFailed(service, "Download", "NoDownloader", "this gate cannot download")
        self._stop_if_cancelled()
        try:
            data = self.fetch(url, max_bytes)
        except DownloadFailed as exc:
            raise CallFailed(service, "Download", exc.code, exc.message) from None
        digest = hashlib.sha256(data).digest()
        matches = sha256 is None or base64.b64encode(digest).decode("ascii") == sha256
        evidence = self.recorder.record(
            self.account, self.region, service, "Download",
            {"url": f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{parts.path}", "handed_out_by": handed_out_by},
            {"bytes": len(data), "sha256": digest.hex(), "expected_sha256": sha256, "matches": matches},
            purpose=self.purpose)
        if not matches:
            raise CallFailed(service, "Download", "ChecksumMismatch",
                             f"what {handed_out_by} pointed to does not match its digest")
        return Download(data, evidence)

    def paginate(self, service: str, operation: str, *, in_region: str | None = None,
                 **params: Any) -> Iterator[Response]:
        """Yield every page of a paginated read call, each recorded as its own evidence file; ``in_region``
        as for ``call``."""
        client = self.client(service, in_region)
        api_name = self._admit(client, service, operation)
        pages = iter(client.get_paginator(operation).paginate(**params))
        while True:
            self._stop_if_cancelled()
            try:
                page = next(pages)
            except StopIteration:
                return
            except (ClientError, BotoCoreError) as exc:
                raise call_failed(exc, service, api_name) from None
            self.calls.append(f"{service}:{api_name}")
            yield Response(page, self._record(in_region or self.region, service, api_name, params, page))

    def _stop_if_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise CollectionCancelled("the scan was interrupted")

    def need(self, resource_type: str, *, optional: bool = False) -> list[AwsResource]:
        """Results of a collector this one declared in ``needs`` (same account; same region if regional).

        If that collection failed, this collector fails with the same cause, unless ``optional``: then the
        failed input reads as empty, for enrichments that must not fail because one of several sources did.
        """
        if resource_type in self.needed_errors and not optional:
            raise DependencyFailed(self.needed_errors[resource_type])
        return self.needed.get(resource_type, [])

    def need_matching(self, pattern: str) -> list[AwsResource]:
        """Results of every collector this one reads ``after`` whose type matches ``pattern``; failed ones read
        as empty (what comes after others is an enrichment of whatever they found)."""
        return [r for rtype in sorted(self.needed) if fnmatch.fnmatchcase(rtype, pattern)
                for r in self.need(rtype, optional=True)]


def collector_gate(spec: CollectorSpec, **fields: Any) -> Gate:
    """The gate one job of ``spec`` calls through: a collector that declares secret or sensitive fields has
    every declared field redacted from its evidence (another service's secret field can appear in its
    responses too); the others have credentials redacted."""
    return Gate(redacted=sensitive_fields() if spec.redacted_fields else frozenset(), **fields)


def _read_streams(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    for name in fields:
        if hasattr(data.get(name), "read"):
            data[name] = data[name].read()
    return data


def _digests(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Evidence of a streamed body is its size and digest: a log file's content is the bucket's to keep."""
    if not fields:
        return data
    return {k: ({"size": len(v), "sha256": hashlib.sha256(v).hexdigest()}
                if k in fields and isinstance(v, bytes | bytearray) else v) for k, v in data.items()}


def _as_text(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Evidence keeps these bytes fields readable (a credential report's CSV) rather than as a byte count."""
    if not fields:
        return data
    return {k: (v.decode("utf-8", errors="replace") if k in fields and isinstance(v, bytes | bytearray) else v)
            for k, v in data.items()}
