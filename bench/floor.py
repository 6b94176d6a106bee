"""The floor: a plain boto3 script that makes only the calls the checks need, with the scan's concurrency.

Run as its own process by ``bench/run.py`` (so its wall time and peak memory compare like for like with the
scan's): ``python bench/floor.py PLAN.json RESULT.json``. The plan names the enumerations to page through in
each partition and the per-resource requests to make; the result counts the calls made, by operation, and the
bytes downloaded. Errors (an emulator that lacks an operation) are counted as calls: the scan pays for them too.

The floor downloads what is needed as well: the package a ``GetFunction`` or ``GetLayerVersion`` hands out a
``Location`` for, once per ``CodeSha256``, and the body of each ``GetObject`` (ranged by the read cap, as the
plan's request says), so that the scan's wall time is compared with a floor that does the same work.

With a ``detector`` in the plan, the floor then runs the secret detector once on an empty input, as the scan
starts it: a scan that must judge secrets pays that fixed start whatever it reads (the performance issue's
decision). Its seconds are in the result, so the bench can print the floor with and without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from auditpack.collect.session import disable_account_prefix_for_custom_endpoints


def run_detector(detector: dict[str, Any]) -> float:
    """Seconds of one detector run over one empty file: its start (loading and preparing its rules) alone."""
    with tempfile.TemporaryDirectory(prefix="floor-detector-") as empty:
        (Path(empty) / "0").touch()
        argv = [empty if arg == "{input}" else arg for arg in detector["argv"]]
        start = time.perf_counter()
        done = subprocess.run(argv, env={**os.environ, **detector["env"]}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - start
    if done.returncode not in detector["ok_exit_codes"]:
        raise RuntimeError(f"the detector exited with {done.returncode}: {done.stderr.decode()[-500:]}")
    return seconds


def main(plan_path: str, result_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    settings = plan["client"]
    config = Config(retries={"mode": "adaptive", "max_attempts": settings["max_attempts"]},
                    connect_timeout=settings["connect_timeout"], read_timeout=settings["read_timeout"],
                    max_pool_connections=settings["max_pool_connections"])
    session = boto3.session.Session()
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()
    made: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    downloaded = {"bytes": 0, "packages": 0}
    packages_read: set[str] = set()

    def client(service: str, region: str) -> Any:
        with lock:
            if (service, region) not in clients:
                clients[(service, region)] = session.client(service, region_name=region, config=config)
                if service == "s3control":  # the scan's own fix for custom endpoints (collect/session.py)
                    disable_account_prefix_for_custom_endpoints(clients[(service, region)])
            return clients[(service, region)]

    def call(service: str, region: str, operation: str, params: dict[str, Any]) -> None:
        c = client(service, region)
        name = xform_name(operation)
        try:
            if not params and c.can_paginate(name):
                for _page in c.get_paginator(name).paginate():
                    with lock:
                        made[f"{service}:{operation}"] += 1
                return
            with lock:
                made[f"{service}:{operation}"] += 1
            fetch(operation, getattr(c, name)(**params))
        except (ClientError, BotoCoreError):
            with lock:
                errors[f"{service}:{operation}"] += 1

    def fetch(operation: str, response: dict[str, Any]) -> None:
        """Download what the response hands out: a package's Location (once per digest) or an object's body."""
        if operation == "GetObject":
            with response["Body"] as body:
                size = len(body.read())
            with lock:
                downloaded["bytes"] += size
            return
        if operation not in ("GetFunction", "GetLayerVersion"):
            return
        content = response.get("Code") or response.get("Content") or {}
        sha = (response.get("Configuration") or {}).get("CodeSha256") or content.get("CodeSha256")
        if not content.get("Location", "").startswith("http") or not sha:
            return
        with lock:
            if sha in packages_read:
                return
            packages_read.add(sha)
        with urllib.request.urlopen(content["Location"], timeout=settings["read_timeout"]) as reply:
            size = len(reply.read())
        with lock:
            downloaded["bytes"] += size
            downloaded["packages"] += 1

    def enumerate_partition(job: dict[str, Any]) -> None:
        for operation in job["operations"]:  # in the collector's order: a report is generated before it is read
            call(job["service"], job["region"], operation, {})

    with ThreadPoolExecutor(max_workers=plan["max_workers"]) as pool:
        call("sts", plan["home_region"], "GetCallerIdentity", {})
        list(pool.map(enumerate_partition, plan["enumerations"]))
        list(pool.map(lambda r: call(r["service"], r["region"], r["operation"], r["params"]), plan["requests"]))
    detector_s = run_detector(plan["detector"]) if plan.get("detector") else 0.0
    Path(result_path).write_text(json.dumps({"calls": dict(made), "errors": dict(errors), **downloaded,
                                             "detector_s": detector_s}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
