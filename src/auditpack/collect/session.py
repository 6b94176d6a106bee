"""One account's AWS access: a boto3 session with the standard chain, and clients tuned for a scan.

Clients honour every standard setting (profiles, SSO, environment, ``AWS_ENDPOINT_URL`` and per-service
endpoint variables) because we only ever pass region and retry/timeout config; endpoints are never set here.
"""

from __future__ import annotations

import logging
import os
import random
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.loaders import Loader

from auditpack.collect.ratelimit import Pacer, pace
from auditpack.errors import ProfileNotFound
from auditpack.library.config import CollectionSettings

log = logging.getLogger(__name__)

# Connections kept per client: above the default pool size, enough for the scheduler's workers to share one.
MAX_POOL_CONNECTIONS = 32


def client_config(settings: CollectionSettings) -> Config:
    """botocore's settings for every client of a scan: adaptive retries and the configured timeouts."""
    return Config(
        retries={"mode": "adaptive", "max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=MAX_POOL_CONNECTIONS,
        user_agent_extra="auditpack",
    )


# Set in a request's context when its endpoint is one the user configured (AWS_ENDPOINT_URL, endpoint_url).
CUSTOM_ENDPOINT = "auditpack_custom_endpoint"
ACCOUNT_ID_LENGTH = 12


def _note_custom_endpoint(builtins: dict[str, Any], context: dict[str, Any], **_kwargs: Any) -> None:
    """botocore's ``SDK::Endpoint`` built-in is the endpoint the user configured, if any."""
    if builtins.get("SDK::Endpoint"):
        context[CUSTOM_ENDPOINT] = True


def _no_account_host_prefix(request: Any, **_kwargs: Any) -> None:
    """S3 Control's endpoint rules put the account id in front of the host (``<account>.s3-control...``), which
    AWS's DNS answers but a custom endpoint (an emulator or proxy on ``127.0.0.1``, a VPC endpoint's name)
    cannot. For a custom endpoint only, send the request to the configured host as it is; botocore's
    ``inject_host_prefix`` setting does not reach this prefix, which the rules add, not the service model."""
    if not request.context.get(CUSTOM_ENDPOINT):
        return
    parts = urlsplit(request.url)
    prefix, _, rest = parts.netloc.partition(".")
    if rest and prefix.isdigit() and len(prefix) == ACCOUNT_ID_LENGTH:
        request.url = parts._replace(netloc=rest).geturl()


def disable_account_prefix_for_custom_endpoints(client: Any) -> None:
    """Register the S3 Control host fix on one client (``_no_account_host_prefix``)."""
    client.meta.events.register("before-endpoint-resolution.s3-control", _note_custom_endpoint)
    client.meta.events.register("before-sign.s3-control", _no_account_host_prefix)


Notify = Callable[[str], None]


class RetryWatch:
    """Tells ``notify`` each time botocore retries a call, and why the attempt before failed.

    botocore retries quietly, backing off for up to seconds at a time; for a person watching a scan, a run of
    throttled calls looks like a hang. Only the service, operation, attempt and the error code or HTTP status
    are said, never anything from the request or the response body.
    """

    REASON = "auditpack_retry_reason"  # where the failed attempt's reason waits for the next attempt

    def __init__(self, notify: Notify, max_attempts: int) -> None:
        self.notify = notify
        self.max_attempts = max_attempts

    def attach(self, client: Any) -> None:
        client.meta.events.register("needs-retry", self._failed)
        client.meta.events.register("before-send", self._sending)

    def _failed(self, response: Any = None, caught_exception: BaseException | None = None,
                request_dict: dict[str, Any] | None = None, **_: Any) -> None:
        if request_dict is None:
            return None
        reason = None
        if caught_exception is not None:
            reason = type(caught_exception).__name__
        elif response is not None:
            http, parsed = response
            code = (parsed or {}).get("Error", {}).get("Code")
            if code or http.status_code >= 500:
                reason = f"{code or 'error'} (HTTP {http.status_code})"
        if reason:
            request_dict["context"][self.REASON] = reason
        return None  # botocore's own handler decides whether to retry

    def _sending(self, request: Any, event_name: str = "", **_: Any) -> None:
        context = getattr(request, "context", None) or {}
        attempt = context.get("retries", {}).get("attempt", 1)
        if attempt > 1:
            _, service, operation = [*event_name.split("."), "", ""][:3]
            why = context.get(self.REASON, "a failed attempt")
            self.notify(f"retrying {service} {operation} after {why}: attempt {attempt} of {self.max_attempts}")
        return None


class CallsCancelled(RuntimeError):
    """The scan was interrupted; raised before any further HTTP attempt, retries included."""


class DownloadFailed(Exception):
    """A URL handed out by a read call could not be fetched: ``code`` names why (HTTP status, S3 error code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# S3 answers a throttled GET with one of these codes (a 503 SlowDown mostly); they are retried like 5xx answers.
THROTTLED = frozenset({"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests"})
_ERROR_CODE = re.compile(rb"<Code>([^<]+)</Code>|\"__type\"\s*:\s*\"([^\"]+)\"")


def _error_code(body: bytes) -> str:
    match = _ERROR_CODE.search(body)
    return (match.group(1) or match.group(2)).decode("utf-8", "replace") if match else ""


@dataclass
class AccountSession:
    """A boto3 session for one account and a thread-safe cache of its clients."""

    session: boto3.session.Session
    account: str
    identity_arn: str
    settings: CollectionSettings = field(default_factory=CollectionSettings)
    # Set when the scan is interrupted: botocore's retry loop would otherwise go on for every attempt left.
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    on_retry: Notify | None = field(default=None, repr=False)  # told of each retried call (RetryWatch)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Quotas are per account and region: every client of this account in a region shares one pacer per operation.
    _pacers: dict[tuple[str, str, str], Pacer] = field(default_factory=dict, repr=False)
    _opener: urllib.request.OpenerDirector | None = field(default=None, repr=False)
    released: set[str] = field(default_factory=set, repr=False)  # services let go of (``release``)

    def _refuse_if_cancelled(self, **_kwargs: Any) -> None:
        if self.cancelled.is_set():
            raise CallsCancelled("the scan was interrupted")

    def client(self, service: str, region: str) -> Any:
        # boto3 sessions are not thread-safe while creating clients; the clients themselves are.
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                if service in self.released:  # correct, only slower: its model is parsed again
                    log.debug("a client of %s is made again after the scan let it go", service)
                client = self.session.client(service, region_name=region, config=client_config(self.settings))
                client.meta.events.register("before-send", self._refuse_if_cancelled)
                pace(client, service, self._pacers, region)
                if service == "s3control":
                    disable_account_prefix_for_custom_endpoints(client)
                if self.on_retry is not None:
                    RetryWatch(self.on_retry, self.settings.max_attempts).attach(client)
                self._clients[key] = client
            return self._clients[key]

    def release(self, service: str) -> None:
        """The scan has no more calls for ``service``: drop this account's clients of it, and the models the
        session's loader parsed for it (``ServiceModels``). A client asked for again is simply made again."""
        log.debug("the scan lets go of %s in %s", service, self.account)
        with self._lock:
            self.released.add(service)
            for key in [key for key in self._clients if key[0] == service]:
                del self._clients[key]
        models = self.session._session.get_component("data_loader")  # boto3 has no public accessor for it
        if isinstance(models, ServiceModels):
            models.forget(service)

    def fetch(self, url: str, max_bytes: int) -> bytes:
        """GET a presigned URL (a code package's ``Location``) with the scan's timeouts and attempts: transport
        errors, 5xx and throttling answers are retried with jittered backoff; AccessDenied and an expired URL are
        not. The standard proxy variables and ``AWS_CA_BUNDLE`` apply, as for the clients."""
        opener = self._downloader()
        last = DownloadFailed("NotAttempted", "no attempt was made")
        for attempt in range(self.settings.max_attempts):
            self._refuse_if_cancelled()
            if attempt:
                time.sleep(random.uniform(0, min(2.0, 0.1 * 2 ** attempt)))
            try:
                with opener.open(url, timeout=self.settings.read_timeout) as reply:
                    data = reply.read(max_bytes + 1)
                if len(data) > max_bytes:
                    raise DownloadFailed("TooLarge", f"larger than {max_bytes} bytes")
                return data
            except urllib.error.HTTPError as exc:
                code = _error_code(exc.read()) or f"HTTP{exc.code}"
                last = DownloadFailed(code, f"HTTP {exc.code}")
                if exc.code < 500 and exc.code != 429 and code not in THROTTLED:
                    raise last from None
            except (urllib.error.URLError, OSError) as exc:  # refused, reset, timed out
                last = DownloadFailed(type(getattr(exc, "reason", exc)).__name__, "no answer")
        raise last

    def _downloader(self) -> urllib.request.OpenerDirector:
        """One opener for every download: a TLS context loads the whole CA store (about half a MB each, and
        the opener's handlers refer back to it, so a discarded one waits for the cyclic collector)."""
        with self._lock:
            if self._opener is None:
                context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
                self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
            return self._opener

    @property
    def partition(self) -> str:
        region = self.session.region_name or "us-east-1"
        return self.session.get_partition_for_region(region)


class ServiceModels(Loader):
    """botocore's loader of service models, which can forget the models of a service the scan is done with.

    botocore keeps every model file it parsed for the life of the session, and each client parses its own
    copy of the service's shapes on top: at the end of a large scan's collection, the models of every service
    it read were most of botocore's memory, beside the inventory (docs/performance.md). The cache it
    forgets from is the one botocore's ``instance_cache`` documents: a ``_cache`` dictionary on the loader,
    keyed by the method's name and its arguments, the first of which names the service (``ec2``, or a path
    such as ``ec2/2016-11-15/service-2``). ``tests/test_session.py`` holds botocore to it.
    """

    def forget(self, service: str) -> None:
        folder = f"{service}/"
        for key in list(self._cache):
            named = key[1] if len(key) > 1 else None
            if isinstance(named, str) and (named == service or named.startswith(folder)):
                self._cache.pop(key, None)


def open_session(profile: str | None = None, region: str | None = None) -> boto3.session.Session:
    """A boto3 session from the standard chain, whose loader can forget the models of the services a scan is
    done with (``ServiceModels``; ``AWS_DATA_PATH`` still applies); a missing profile is the user's error, not
    a crash."""
    from botocore.exceptions import ProfileNotFound as BotocoreProfileNotFound
    from botocore.session import get_session

    core = get_session()
    try:
        if profile is not None:
            core.set_config_variable("profile", profile)
        paths = core.get_config_variable("data_path")  # AWS_DATA_PATH, or the profile's data_path
        core.register_component("data_loader", ServiceModels(
            extra_search_paths=[os.path.expanduser(os.path.expandvars(p)) for p in paths.split(os.pathsep)]
            if paths else None))
        return boto3.session.Session(profile_name=profile, region_name=region, botocore_session=core)
    except BotocoreProfileNotFound:
        raise ProfileNotFound(profile or "") from None


def known_regions(session: boto3.session.Session) -> set[str]:
    """Every region botocore knows in any partition, to reject typos before any call.

    Asked of STS, which every region has and every scan loads anyway: asking EC2 loaded its service model
    (the largest botocore has) even for scans that never call EC2.
    """
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("sts", partition_name=partition))
    return regions
