"""Writes each response that findings rest on into the pack's ``evidence/`` folder.

A file per call keeps provenance exact (operation, region, account, time, request) and lets a finding cite the
very response it was judged on. Collectors pass a redactor for responses that can carry secrets, so secret
values never reach the disk; when a collector forgets to for an operation known to carry such values
(``SECRET_BEARING``), the recorder applies the default redactor itself rather than write the values.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditpack.collect.redaction import redact_tree, redactor

Redactor = Callable[[dict[str, Any]], dict[str, Any]]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")

# Read operations whose responses carry secret values under the usual sensitive keys (environment variables,
# user data, parameter and secret values, stack outputs), by boto3 service name and API operation.
SECRET_BEARING = frozenset({
    "lambda:ListFunctions", "lambda:ListVersionsByFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
    "ec2:DescribeInstanceAttribute", "ec2:DescribeLaunchTemplateVersions",
    "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
    "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
    "ecs:DescribeTaskDefinition", "codebuild:BatchGetProjects",
    "cloudformation:DescribeStacks", "cloudformation:GetTemplate",
})
_DEFAULT_REDACTOR = redactor()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return str(value)


class RecorderClosed(RuntimeError):
    """Evidence arrived after the scan was abandoned; writing it would recreate a deleted staging folder."""


class EvidenceRecorder:
    """Thread-safe writer of evidence files under ``<pack>/evidence``; returns pack-relative paths."""

    def __init__(self, pack_dir: Path) -> None:
        self.pack_dir = pack_dir
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self.closed = False

    def close(self) -> None:
        """Refuse every later write; once this returns, no write is in progress either."""
        with self._lock:
            self.closed = True

    def record(
        self,
        account: str,
        region: str,
        service: str,
        operation: str,
        params: dict[str, Any],
        response: dict[str, Any],
        *,
        redact: Redactor | None = None,
    ) -> str:
        if redact is None and f"{service}:{operation}" in SECRET_BEARING:
            redact = _DEFAULT_REDACTOR
        body = redact(response) if redact else response
        stem = f"evidence/{_SAFE.sub('_', account)}/{_SAFE.sub('_', region)}/{service}/{operation}"
        document = {
            "account": account,
            "region": region,
            "service": service,
            "operation": operation,
            "collected_at": datetime.now(UTC).isoformat(),
            "request": redact_tree(redact(params) if redact else params),  # a request can name a secret too
            "response": body,
        }
        # Compact: json only uses its C encoder without indent, ~5x faster on the large list responses of big
        # accounts; any JSON viewer re-indents a file for reading.
        text = json.dumps(document, sort_keys=True, default=_json_default)
        with self._lock:  # held while writing, so that close() is a clean cut
            if self.closed:
                raise RecorderClosed(f"evidence for {service}:{operation} arrived after the scan was abandoned")
            n = self._counts.get(stem, 0) + 1
            self._counts[stem] = n
            rel = f"{stem}-{n:04d}.json"
            path = self.pack_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return rel
