"""The collector contract: a registry of collectors and the read-only context they call AWS through.

A collector is a function ``(ctx) -> list[AwsResource]`` registered under a resource type name such as
``cloudtrail.trails``. It never builds clients itself: ``ctx.call`` and ``ctx.paginate`` are the only way out,
which is how every call is recorded as evidence and why a write call cannot be made by mistake.
"""

from __future__ import annotations

import re
import threading
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from auditpack.models import CollectionError, ResourceRef
from auditpack.registry import Registry

READ_ONLY = re.compile(r"^(List|Get|Describe|BatchGet|GenerateCredentialReport)")
GLOBAL_REGION = "global"


class AwsResource(BaseModel):
    """Base of every collected resource: where it lives and which evidence files show it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    cfn_type: ClassVar[str] = "AWS::Unknown"

    arn: str
    name: str
    account: str
    region: str
    evidence: tuple[str, ...] = ()

    def ref(self) -> ResourceRef:
        return ResourceRef(arn=self.arn, type=self.cfn_type, name=self.name)


class WriteCallRefused(RuntimeError):
    """A collector tried an operation that is not a read; a bug, never reached in a release."""


class CollectionCancelled(RuntimeError):
    """The scan was interrupted: collectors still running stop at their next call instead of finishing."""


class DependencyFailed(RuntimeError):
    """A collector needed a resource type whose collection failed in this partition."""

    def __init__(self, error: CollectionError) -> None:
        super().__init__(f"{error.resource_type}: {error.operation} failed with {error.error_code}")
        self.error = error


@dataclass(frozen=True)
class CollectorSpec:
    resource_type: str
    service: str
    func: Callable[[CollectContext], list[AwsResource]]
    permissions: tuple[str, ...]
    regional: bool
    needs: tuple[str, ...] = ()


COLLECTORS: Registry[CollectorSpec] = Registry("collector", packages=("auditpack.resources",))


def produced_class(spec: CollectorSpec) -> type | None:
    """The resource class named by the collector's return annotation (``list[X]`` gives ``X``), if any."""
    args = typing.get_args(typing.get_type_hints(spec.func).get("return"))
    return args[0] if len(args) == 1 and isinstance(args[0], type) else None


def collector(
    resource_type: str,
    *,
    service: str,
    permissions: list[str],
    regional: bool = True,
    needs: list[str] | None = None,
) -> Callable[[Callable[[CollectContext], list[Any]]], Callable[[CollectContext], list[Any]]]:
    """Register a collector; ``permissions`` are the IAM actions it may call (``service:Operation``)."""

    def register(func: Callable[[CollectContext], list[Any]]) -> Callable[[CollectContext], list[Any]]:
        for perm in permissions:
            action = perm.split(":", 1)[1]
            if not READ_ONLY.match(action):
                raise WriteCallRefused(f"collector {resource_type} declares non-read permission {perm}")
        COLLECTORS.register(resource_type, CollectorSpec(
            resource_type, service, func, tuple(permissions), regional, tuple(needs or ())))
        return func

    return register


def required_collectors(resource_types: Iterable[str]) -> list[CollectorSpec]:
    """The collectors for ``resource_types`` and everything they need, dependencies first."""
    ordered: list[CollectorSpec] = []
    seen: set[str] = set()

    def visit(rtype: str, chain: tuple[str, ...]) -> None:
        if rtype in seen:
            return
        if rtype in chain:
            raise ValueError(f"collector dependency cycle: {' -> '.join((*chain, rtype))}")
        spec = COLLECTORS.get(rtype)
        if spec is None:
            raise KeyError(f"no collector for resource type {rtype!r}")
        for dep in spec.needs:
            visit(dep, (*chain, rtype))
        seen.add(rtype)
        ordered.append(spec)

    for rtype in resource_types:
        visit(rtype, ())
    return ordered


def permissions_for(resource_types: Iterable[str]) -> tuple[str, ...]:
    """The IAM actions the collectors of ``resource_types`` (and of what they need) call, each once, in the
    order they are collected."""
    return tuple(dict.fromkeys(p for spec in required_collectors(resource_types) for p in spec.permissions))


@dataclass
class Response:
    """A response and the evidence file that records it."""

    data: dict[str, Any]
    evidence: str


Redactor = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class CollectContext:
    """What a collector may use: one account and region, a read-only call gate and earlier results."""

    account: str
    region: str
    partition: str
    client_factory: Callable[[str, str], Any]
    recorder: Any  # EvidenceRecorder; typed loosely to keep this module free of I/O imports
    needed: dict[str, list[AwsResource]] = field(default_factory=dict)
    needed_errors: dict[str, CollectionError] = field(default_factory=dict)
    home_region: str = "us-east-1"
    regions: tuple[str, ...] = ()  # every region this scan covers
    calls: list[str] = field(default_factory=list)
    cancelled: threading.Event = field(default_factory=threading.Event)
    fan_out: Callable[[Callable[[Any], Any], list[Any]], list[Any]] | None = None

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

    def _client(self, service: str, region: str | None = None) -> Any:
        return self.client_factory(service, region or self.api_region)

    def call(
        self,
        service: str,
        operation: str,
        *,
        redact: Redactor | None = None,
        in_region: str | None = None,
        **params: Any,
    ) -> Response:
        """Make one read call (``operation`` in boto3's snake_case) and record it as evidence.

        ``in_region`` sends the call to another region than the job's, e.g. to a trail's home region.
        """
        client = self._client(service, in_region)
        api_name = client.meta.method_to_api_mapping.get(operation, operation)
        if not READ_ONLY.match(api_name):
            raise WriteCallRefused(f"{service}:{api_name} is not a read call")
        self._stop_if_cancelled()
        self.calls.append(f"{service}:{api_name}")
        data = getattr(client, operation)(**params)
        data.pop("ResponseMetadata", None)
        where = in_region or self.region
        ref = self.recorder.record(self.account, where, service, api_name, params, data, redact=redact)
        return Response(data, ref)

    def paginate(
        self, service: str, operation: str, *, redact: Redactor | None = None, **params: Any
    ) -> Iterator[Response]:
        """Yield every page of a paginated read call, each recorded as its own evidence file."""
        client = self._client(service)
        api_name = client.meta.method_to_api_mapping.get(operation, operation)
        if not READ_ONLY.match(api_name):
            raise WriteCallRefused(f"{service}:{api_name} is not a read call")
        self._stop_if_cancelled()
        for page in client.get_paginator(operation).paginate(**params):
            self._stop_if_cancelled()
            self.calls.append(f"{service}:{api_name}")
            page.pop("ResponseMetadata", None)
            ref = self.recorder.record(self.account, self.region, service, api_name, params, page, redact=redact)
            yield Response(page, ref)

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

    def failed_needs(self) -> dict[str, CollectionError]:
        """The needed resource types whose collection failed, for collectors that report partial inputs."""
        return dict(self.needed_errors)
