"""Client-side pacing for the AWS operations whose quota is a few requests per second.

CloudTrail's ``LookupEvents`` allows 2 requests per second per account and region; above that AWS throttles,
and botocore's retries then wait, back off and may give up. Pacing every HTTP attempt, retries included,
keeps a scan's lookups (several keys, several jobs) within the quota instead of discovering it. The pacer is
hooked on botocore's ``before-send`` event, which fires for each attempt: the retry machinery stays
botocore's own, and each retry waits for its turn too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

# AWS's documented quotas, per account and region: (service, operation) -> requests per second.
RATE_LIMITS: dict[tuple[str, str], float] = {("cloudtrail", "LookupEvents"): 2.0}


class Pacer:
    """At most ``rate`` attempts per second, shared by every thread that calls ``wait``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, **_event: Any) -> None:
        """Block until this attempt's turn (a botocore event handler: it ignores the event's arguments)."""
        with self._lock:
            now = self._clock()
            turn = max(now, self._next)
            self._next = turn + self.interval
        if turn > now:
            self._sleep(turn - now)


def pace(client: Any, service: str, pacers: dict[tuple[str, str, str], Pacer], region: str) -> None:
    """Hook a pacer (one per operation and region, kept in ``pacers``) on each rate-limited operation of
    ``client``; clients of one account and region share their pacer."""
    event_service = client.meta.service_model.service_id.hyphenize()
    for (limited, operation), rate in RATE_LIMITS.items():
        if limited == service:
            pacer = pacers.setdefault((service, operation, region), Pacer(rate))
            client.meta.events.register(f"before-send.{event_service}.{operation}", pacer.wait)
