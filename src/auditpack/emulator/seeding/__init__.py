"""Seeders that build realistic emulated accounts for the demo, the integration tests and the benchmarks.

One module per check family, each with plain functions that create resources through boto3 (so they reach
whatever ``AWS_ENDPOINT_URL`` points at: the in-process emulator). Seeders never run against a real account:
``guard()`` refuses unless the endpoint is on loopback.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def guard() -> None:
    """Refuse to create resources anywhere but a local emulator."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if urlparse(endpoint).hostname not in LOOPBACK_HOSTS:
        raise RuntimeError("seeders only run against a local emulator (AWS_ENDPOINT_URL on loopback)")
