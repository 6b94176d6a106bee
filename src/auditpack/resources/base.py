"""The collector contract: resources, the collectors that make them, and what a collector may call.

A collector is a function ``(reader) -> list[AwsResource]`` registered under a resource type name such as
``cloudtrail.trails``. It never builds clients: ``Reader.call`` and ``Reader.paginate`` are its only way out,
which is how every call is recorded as evidence and why a write call cannot be made by mistake. The reader
is the collect stage's gate; this module only says what it offers, so that resources need no AWS SDK.

A collector that reads values which may hold secrets declares them (``secrets=``, the response fields that
carry them). Everything else follows from that declaration: the list of secret sources the detector reads
and waits for, the redaction of those fields in evidence, and the lookup of who owns a leaked key
(``<type>.key_owners``).
"""

from __future__ import annotations

import fnmatch
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from auditpack.models import CollectionError, ResourceRef
from auditpack.registry import Registry

# Reads by name; CloudTrail's LookupEvents (its event history) and the credential report's generation are the
# two reads whose names do not say so.
READ_ONLY = re.compile(r"^(List|Get|Describe|BatchGet|GenerateCredentialReport$|LookupEvents$)")
GLOBAL_REGION = "global"
# API calls whose IAM action is not "<service>:<Operation>" (AWS's Service Authorization Reference), keyed by the
# call as the gate makes it (boto3's service name, the API operation): the policy names the action.
IAM_ACTIONS = {
    "apigateway:GetRestApis": "apigateway:GET",
    "apigateway:GetStages": "apigateway:GET",
    "resourcegroupstaggingapi:GetResources": "tag:GetResources",
    "stepfunctions:ListStateMachines": "states:ListStateMachines",
    "stepfunctions:DescribeStateMachine": "states:DescribeStateMachine",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
    "budgets:DescribeBudgets": "budgets:ViewBudget",
    "budgets:DescribeNotificationsForBudget": "budgets:ViewBudget",
    "budgets:DescribeSubscribersForNotification": "budgets:ViewBudget",
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action that allows a call (``lambda``, ``GetFunction`` -> ``lambda:GetFunction``)."""
    return IAM_ACTIONS.get(f"{service}:{operation}", f"{service}:{operation}")


def calls_allowed_by(permission: str, service: str) -> list[tuple[str, str]]:
    """The API calls (service, operation) that ``permission`` allows a collector of ``service`` to make."""
    mapped = [tuple(call.split(":", 1)) for call, action in IAM_ACTIONS.items() if action == permission]
    own = [c for c in mapped if c[0] == service]
    prefix, action = permission.split(":", 1)  # unmapped: the action names the call (sts:GetAccessKeyInfo from iam)
    return own or mapped or [(prefix, action)]  # type: ignore[return-value]


def is_read_permission(permission: str) -> bool:
    """A read action by name, or one that only allows read calls (``apigateway:GET``)."""
    action = permission.split(":", 1)[1]
    mapped = [call for call, allowed in IAM_ACTIONS.items() if allowed == permission]
    return bool(READ_ONLY.match(action)) or (bool(mapped) and all(
        READ_ONLY.match(call.split(":", 1)[1]) for call in mapped))


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


class CallFailed(Exception):
    """An AWS call failed after its retries: AccessDenied, throttling, an unreachable endpoint.

    The gate raises it in place of the SDK's own exceptions, with what a finding needs to say why a check
    could not be evaluated. ``code`` is AWS's error code (or the transport error's name); ``message`` never
    repeats request values.
    """

    def __init__(self, service: str, operation: str, code: str, message: str, *, answered: bool = True) -> None:
        super().__init__(f"{service}:{operation} failed with {code}: {message}")
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.answered = answered  # AWS answered with an error, as opposed to no answer (no credentials, network)


class DependencyFailed(RuntimeError):
    """A collector needed a resource type whose collection failed in this partition."""

    def __init__(self, error: CollectionError) -> None:
        super().__init__(f"{error.resource_type}: {error.operation} failed with {error.error_code}")
        self.error = error


@dataclass
class Download:
    """A file fetched from a URL a read call handed out (a code package's presigned ``Location``): its bytes, in
    memory only, and the evidence file that records the fetch (size and digest, never the content)."""

    data: bytes = field(repr=False)
    evidence: str


@dataclass
class Response:
    """A response and the evidence file that records it; ``absent`` is the error code of a call that found
    nothing to return (``NoSuchEntity``) when the collector said that is an answer, not a failure."""

    data: dict[str, Any]
    evidence: str
    absent: str | None = None


class Reader(Protocol):
    """What a collector may use: one account and region, the read-only calls, and earlier results."""

    account: str
    region: str
    partition: str
    home_region: str
    regions: tuple[str, ...]
    parameters: Mapping[str, Any]  # organization-defined parameter values, by name (for a window to read)

    def call(self, service: str, operation: str, *, in_region: str | None = None,
             absent: tuple[str, ...] = (), as_text: tuple[str, ...] = (), streams: tuple[str, ...] = (),
             **params: Any) -> Response:
        """One read call (boto3's snake_case name), recorded as evidence; ``in_region`` sends it elsewhere
        than the job's region, ``absent`` names error codes that mean "there is none", ``as_text`` names
        bytes fields the evidence keeps as text, ``streams`` streamed fields read whole (evidence: a digest)."""
        ...

    def paginate(self, service: str, operation: str, *, in_region: str | None = None,
                 **params: Any) -> Iterator[Response]:
        """Every page of a paginated read call, each recorded as its own evidence file."""
        ...

    def download(self, service: str, url: str, *, handed_out_by: str, max_bytes: int,
                 sha256: str | None = None) -> Download:
        """Fetch what a read call of ``service`` handed out a URL for (``handed_out_by``: GetFunction), at most
        ``max_bytes``; ``sha256`` is the digest AWS gave (base64), checked. Fails as ``CallFailed``."""
        ...

    def parameter(self, name: str) -> Any:
        """The value in force of a check parameter that bounds collection (a size cap, keys listed)."""
        ...

    def each(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``[fn(item) for item in items]``, on the scheduler's fan-out pool (per-resource calls)."""
        ...

    def once(self, key: Any, read: Callable[[], Any]) -> Any:
        """``read()``, made once per scan for ``key``: later askers, in any partition, get the first one's result
        (or its failure)."""
        ...

    def need(self, resource_type: str, *, optional: bool = False) -> list[AwsResource]:
        """Results of a collector named in ``needs``: this account, and this region if regional."""
        ...

    def need_matching(self, pattern: str) -> list[AwsResource]:
        """Results of the collectors named by an ``after`` pattern that this scan runs (failed ones: empty)."""
        ...

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        ...

    @property
    def api_region(self) -> str:
        ...


Collect = Callable[[Reader], list[Any]]


@dataclass(frozen=True)
class CollectorSpec:
    resource_type: str
    service: str
    func: Collect
    permissions: tuple[str, ...]
    regional: bool
    needs: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()  # response fields that hold secret values: its resources are secret sources
    redact: tuple[str, ...] = ()  # other response fields that evidence must not show (a looked-up key id)
    after: tuple[str, ...] = ()  # type patterns read if the scan collects them, never collected for this one

    def comes_after(self, resource_types: Iterable[str]) -> list[str]:
        """Which of ``resource_types`` (those a scan collects) this collector waits for and reads."""
        return sorted(t for t in resource_types if t != self.resource_type
                      and any(fnmatch.fnmatchcase(t, pattern) for pattern in self.after))

    @property
    def is_secret_source(self) -> bool:
        return bool(self.secrets)

    @property
    def redacted_fields(self) -> frozenset[str]:
        return frozenset(self.secrets) | frozenset(self.redact)

    @cached_property
    def produced(self) -> type[AwsResource] | None:
        """The resource class named by the collector's return annotation (``list[X]`` gives ``X``), if any."""
        args = typing.get_args(typing.get_type_hints(self.func).get("return"))
        return args[0] if len(args) == 1 and isinstance(args[0], type) else None


COLLECTORS: Registry[CollectorSpec] = Registry("collector", packages=("auditpack.resources",))


def collector(
    resource_type: str,
    *,
    service: str,
    permissions: list[str],
    regional: bool = True,
    needs: list[str] | None = None,
    secrets: tuple[str, ...] = (),
    redact: tuple[str, ...] = (),
    after: tuple[str, ...] = (),
) -> Callable[[Collect], Collect]:
    """Register a collector; ``permissions`` are the IAM actions it may call (``service:Operation``).

    ``after`` names resource types (``fnmatch`` patterns) it enriches: when a scan collects them for other
    reasons, this collector waits for them and reads them (``Reader.need_matching``); they are never collected
    for its sake, so a check that reads it pulls in nothing more than its own sources.

    ``secrets`` declares the resource type a secret source: its resources offer candidate values to the
    detector (``secret_candidates``), the named response fields are redacted in evidence, and a companion
    collector ``<resource_type>.key_owners`` looks up who owns each AWS access key id found in them
    (``auditpack.resources.key_owners`` adds it once every collector has registered).
    """

    def register(func: Collect) -> Collect:
        for perm in permissions:
            if not is_read_permission(perm):
                raise WriteCallRefused(f"collector {resource_type} declares non-read permission {perm}")
        COLLECTORS.register(resource_type, CollectorSpec(
            resource_type, service, func, tuple(permissions), regional, tuple(needs or ()), tuple(secrets),
            tuple(redact), tuple(after)))
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


def secret_source_types(specs: Iterable[CollectorSpec] | None = None) -> frozenset[str]:
    """The resource types whose resources the detector reads: every collector that declares ``secrets``."""
    return frozenset(s.resource_type for s in (COLLECTORS.values() if specs is None else specs)
                     if s.is_secret_source)


def secret_fields() -> frozenset[str]:
    """Every response field any collector declares secret or sensitive: the redaction's whole vocabulary."""
    return frozenset(f for spec in COLLECTORS.values() for f in spec.redacted_fields)


def collector_problems(spec: CollectorSpec) -> list[str]:
    """What is wrong with a collector's declaration: a resource class that offers candidate values without
    the collector naming the fields that hold them would put those values into evidence unredacted."""
    where = f"collector {spec.resource_type} ({spec.func.__module__})"
    cls = spec.produced
    if cls is None or not issubclass(cls, AwsResource):
        return [f"{where}: annotate its return as list[<an AwsResource class>]"]
    offers = callable(getattr(cls, "secret_candidates", None))
    if offers and not spec.secrets:
        return [f"{where}: {cls.__name__} offers secret candidates, so the collector must declare secrets="]
    if spec.secrets and not offers:
        return [f"{where}: declares secrets= but {cls.__name__} has no secret_candidates()"]
    return []
