"""A fault-injecting HTTP proxy on loopback, in front of the emulator, for resilience tests.

A scan pointed at the proxy (``AWS_ENDPOINT_URL``) reaches moto through it; a seeded ``FaultPlan`` decides, per
request, whether to forward it or to answer with a fault: the service's own throttling error in its protocol's
format, a server error, an answer slower than the client's read timeout, a dropped connection, or AccessDenied.
The proxy names each request ``service:Operation`` from botocore's service models, the same way IAM names the
permission, so a plan reads like the least-privilege policy.

The proxy cannot outlive a test: it serves a bounded number of requests and stops after a bounded lifetime.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import re
import socket
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.session

FAULTS = ("throttle", "server_error", "unavailable", "slow", "drop", "deny")
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Rule:
    """Inject ``fault`` on requests matching ``operation`` (``service:Operation``, ``service:*`` or ``*``).

    ``rate`` is the share of matching requests affected (1.0: every one); ``first`` limits the rule to the
    first N matching requests of each operation, so that retries eventually get through.
    """

    fault: str
    operation: str = "*"
    rate: float = 1.0
    first: int | None = None

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; choose from {FAULTS}")

    def matches(self, operation: str) -> bool:
        if self.operation == "*":
            return True
        service, _, name = self.operation.partition(":")
        req_service, _, req_name = operation.partition(":")
        return service == req_service and name in ("*", req_name)


@dataclass
class FaultPlan:
    """Rules tried in order; the first whose dice say yes decides. Decisions depend only on the seed, the
    operation and how many times that operation was seen, so a plan replays the same way run after run."""

    rules: list[Rule] = field(default_factory=list)
    seed: int = 0
    slow_seconds: float = 2.0

    def decide(self, operation: str, nth: int) -> str | None:
        for index, rule in enumerate(self.rules):
            if not rule.matches(operation):
                continue
            if rule.first is not None and nth >= rule.first:
                continue
            dice = random.Random(f"{self.seed}:{index}:{operation}:{nth}").random()
            if dice < rule.rate:
                return rule.fault
        return None


# --- naming requests --------------------------------------------------------------------------------------


@cache
def _models() -> dict[str, Any]:
    """botocore service models keyed by signing name (what SigV4's credential scope carries), for every service
    a collector or account planning calls: derived from the collector registry, so a new service needs no
    edit here."""
    from auditpack.collect.accounts import ASSUME_PERMISSIONS, ORG_PERMISSIONS
    from auditpack.resources.base import COLLECTORS

    declared = [p for spec in COLLECTORS.values() for p in spec.permissions]
    planning = ["sts:GetCallerIdentity", "ec2:DescribeRegions", *ORG_PERMISSIONS, *ASSUME_PERMISSIONS]
    session = botocore.session.get_session()
    by_signing: dict[str, Any] = {}
    for name in sorted({p.split(":", 1)[0] for p in [*declared, *planning]}):
        try:
            model = session.get_service_model(name)
        except Exception:  # a service this botocore does not know: requests to it keep the raw name
            continue
        by_signing.setdefault(model.signing_name or name, model)
    return by_signing


@cache
def _rest_routes(signing_name: str) -> list[tuple[str, re.Pattern[str], int, str]]:
    model = _models()[signing_name]
    routes = []
    for op_name in model.operation_names:
        http = model.operation_model(op_name).http
        path = http.get("requestUri", "/").split("?", 1)[0]
        literal = len(re.sub(r"\{[^}]+\}", "", path))
        pattern = re.sub(r"\\\{[^}]+?\\\+\\\}", ".+", re.escape(path))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        routes.append((http.get("method", "POST"), re.compile(f"^{pattern}/?$"), literal, op_name))
    return routes


def operation_of(method: str, path: str, headers: Any, body: bytes) -> tuple[str, str]:
    """(``service:Operation``, protocol) of a signed AWS request. A presigned GET (a code package's Location) carries
    its scope in the query and is named ``<service>:PresignedGetObject``: it needs no permission of the caller's, so
    no deny rule names it, but transient faults apply to it as to any request."""
    query = parse_qs(urlsplit(path).query)
    if "Authorization" not in headers and "X-Amz-Credential" in query:
        parts = query["X-Amz-Credential"][0].split("/")
        service = parts[3] if len(parts) > 3 else "unknown"
        model = _models().get(service)
        return f"{service}:PresignedGetObject", model.protocol if model else "rest-xml"
    scope = _CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
    signing = scope.group(2) if scope else "unknown"
    model = _models().get(signing)
    protocol = model.protocol if model else "unknown"
    target = headers.get("X-Amz-Target")
    if target:  # the JSON protocol, whatever the model lists first (CodeBuild's lists RPC v2 CBOR first)
        return f"{signing}:{target.rsplit('.', 1)[-1]}", "json"
    rpc_v2 = re.search(r"/service/[^/]+/operation/([A-Za-z0-9]+)$", urlsplit(path).path)
    if rpc_v2:  # Smithy RPC v2: the operation is in the path, the body is CBOR
        return f"{signing}:{rpc_v2.group(1)}", "smithy-rpc-v2-cbor"
    if protocol in ("query", "ec2"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", ["Unknown"])[0]
        return f"{signing}:{action}", protocol
    if model is not None:
        route = urlsplit(path).path
        best = max(
            ((literal, op) for verb, pattern, literal, op in _rest_routes(signing)
             if verb == method and pattern.match(route)),
            default=(0, "Unknown"),
        )
        return f"{signing}:{best[1]}", protocol
    return f"{signing}:Unknown", protocol


# --- error bodies in each protocol's format ----------------------------------------------------------------

_CODES = {
    # fault: (status, json code, query/xml code, ec2 code)
    "throttle": (400, "ThrottlingException", "Throttling", "RequestLimitExceeded"),
    "server_error": (500, "InternalFailure", "InternalFailure", "InternalError"),
    "unavailable": (503, "ServiceUnavailableException", "ServiceUnavailable", "Unavailable"),
    "deny": (403, "AccessDeniedException", "AccessDenied", "UnauthorizedOperation"),
}


def _cbor_text_map(pairs: dict[str, str]) -> bytes:
    """A CBOR map of short text strings (RFC 8949 major types 5 and 3): all an RPC v2 error body needs."""

    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        if length < 256:
            return bytes([major << 5 | 24, length])
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")

    out = head(5, len(pairs))
    for key, value in pairs.items():
        for text in (key, value):
            raw = text.encode()
            out += head(3, len(raw)) + raw
    return out


def error_response(fault: str, protocol: str, operation: str) -> tuple[int, dict[str, str], bytes]:
    status, json_code, xml_code, ec2_code = _CODES[fault]
    message = f"injected {fault} on {operation}"
    request_id = str(uuid.uuid4())
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": json_code, "message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": json_code,
                        "x-amzn-RequestId": request_id}, body
    if protocol == "smithy-rpc-v2-cbor":  # e.g. CodeBuild in current botocore
        body = _cbor_text_map({"__type": json_code, "message": message})
        return status, {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor",
                        "x-amzn-RequestId": request_id}, body
    if protocol == "ec2":
        if fault == "throttle":
            status = 503  # EC2 answers RequestLimitExceeded with 503
        body = (f"<Response><Errors><Error><Code>{ec2_code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>").encode()
        return status, {"Content-Type": "text/xml"}, body
    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{xml_code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>").encode()
    return status, {"Content-Type": "text/xml"}, body


# --- the proxy -------------------------------------------------------------------------------------------

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "trailer"}


class FaultProxy:
    """``with FaultProxy(upstream, plan) as proxy:`` then point ``AWS_ENDPOINT_URL`` at ``proxy.endpoint``."""

    def __init__(self, upstream: str, plan: FaultPlan | None = None, *, max_requests: int = 5000,
                 lifetime: float = 120.0) -> None:
        self.upstream = urlsplit(upstream)
        self.plan = plan or FaultPlan()
        self.max_requests = max_requests
        self.lifetime = lifetime
        self.seen: Counter[str] = Counter()  # requests by operation
        self.injected: Counter[tuple[str, str]] = Counter()  # (operation, fault)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._first_seen: dict[str, threading.Event] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._threads: list[threading.Thread] = []

    # lifecycle
    def start(self) -> FaultProxy:
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                 name="faultproxy", daemon=True)
        watchdog = threading.Thread(target=self._expire, name="faultproxy-watchdog", daemon=True)
        self._threads = [serve, watchdog]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if not self._stopping.is_set():
            self._stopping.set()
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _expire(self) -> None:
        if not self._stopping.wait(self.lifetime):
            self.stop()

    # observations
    def wait_for(self, operation: str, timeout: float = 30.0) -> bool:
        """Block until a request for ``operation`` arrived (True) or ``timeout`` passed (False)."""
        with self._lock:
            event = self._first_seen.setdefault(operation, threading.Event())
            if self.seen[operation]:
                event.set()
        return event.wait(timeout)

    def faults(self) -> Counter[str]:
        """How many times each fault was injected, whatever the operation."""
        out: Counter[str] = Counter()
        for (_op, fault), n in self.injected.items():
            out[fault] += n
        return out

    def _note(self, operation: str) -> tuple[int, int]:
        with self._lock:
            nth = self.seen[operation]
            self.seen[operation] += 1
            total = sum(self.seen.values())
            event = self._first_seen.setdefault(operation, threading.Event())
        event.set()
        return nth, total

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures itself
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                operation, protocol = operation_of(self.command, self.path, self.headers, body)
                nth, total = proxy._note(operation)
                if total > proxy.max_requests:
                    proxy._stopping.set()
                    threading.Thread(target=proxy.stop, daemon=True).start()
                    self._drop()
                    return
                fault = proxy.plan.decide(operation, nth)
                if fault:
                    with proxy._lock:
                        proxy.injected[(operation, fault)] += 1
                if fault == "drop":
                    self._drop()
                    return
                if fault in _CODES:
                    self._reply(*error_response(fault, protocol, operation))
                    return
                if fault == "slow" and proxy._stopping.wait(proxy.plan.slow_seconds):
                    self._drop()
                    return
                self._forward(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _forward(self, body: bytes) -> None:
                upstream = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    reply = upstream.getresponse()
                    data = reply.read()
                    out = {k: v for k, v in reply.getheaders()
                           if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"}
                    self._reply(reply.status, out, data)
                finally:
                    upstream.close()

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (its read timeout)
                    self.close_connection = True

        return Handler

