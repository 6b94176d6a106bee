"""``auditpack`` with every API call logged: how ``bench/run.py`` counts the scan's calls by operation.

Usage is the CLI's (``python bench/scan_child.py scan ...``); the log goes to ``$AUDITPACK_BENCH_CALL_LOG`` as
JSON: one entry per call (service, region, operation, request parameters, retries, and for ``GetObject`` the
bytes of the body), and one entry per download of a URL a call handed out (``"operation": "Download"``, its
bytes). The hooks wrap botocore's single entry point for API calls, the same one ``tests/test_read_only.py``
spies on, and the session's ``fetch``; the product is unchanged. The command line scans in a forked child
(``auditpack.apart``): the child writes the calls it made beside the log, and the log gathers them at the end.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from pathlib import Path
from typing import Any

import botocore.client

_calls: list[dict[str, Any]] = []
_lock = threading.Lock()
_real = botocore.client.BaseClient._make_api_call


def _logged(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
    retries, size = 0, 0
    try:
        response = _real(self, operation_name, api_params)
        retries = response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        size = int(response.get("ContentLength") or 0) if "Body" in response else 0
        return response
    finally:
        with _lock:
            _calls.append({"service": self.meta.service_model.service_name, "region": self.meta.region_name,
                           "operation": operation_name, "params": api_params, "retries": retries, "bytes": size})


def _fetch_logged(real: Any) -> Any:
    def fetch(self: Any, url: str, max_bytes: int) -> bytes:
        data = real(self, url, max_bytes)
        with _lock:
            _calls.append({"service": "download", "region": "", "operation": "Download", "params": {},
                           "retries": 0, "bytes": len(data)})
        return data

    return fetch


def _dump(suffix: str = "") -> None:
    path = os.environ.get("AUDITPACK_BENCH_CALL_LOG")
    if not path:
        return
    calls = list(_calls)
    if not suffix:  # the process started: its calls, and those of the scan's child
        for part in sorted(Path(path).parent.glob(f"{Path(path).name}.child-*")):
            calls += json.loads(part.read_text(encoding="utf-8"))
            part.unlink()
    with open(path + suffix, "w", encoding="utf-8") as handle:
        json.dump(calls, handle, default=str)


def _logging_child(real: Any) -> Any:
    """The scan's child, writing the calls it made once its work is done (it ends without exit handlers)."""
    def child(work: Any, conn: Any) -> None:
        del _calls[:]  # the calls before the fork are the parent's to log
        try:
            real(work, conn)
        finally:
            _dump(f".child-{os.getpid()}")

    return child


if __name__ == "__main__":
    botocore.client.BaseClient._make_api_call = _logged
    from auditpack.collect.session import AccountSession

    AccountSession.fetch = _fetch_logged(AccountSession.fetch)  # type: ignore[method-assign]
    atexit.register(_dump)
    import auditpack.apart

    auditpack.apart._child = _logging_child(auditpack.apart._child)  # type: ignore[assignment]
    from auditpack.cli import run

    run()  # the console script's own exit path, which runs the atexit hook above
