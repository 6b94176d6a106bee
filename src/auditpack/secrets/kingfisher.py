"""The one adapter around Kingfisher (``kingfisher-bin``, pinned): values in, rule hits with positions out.

Called once per scan over every candidate value. Values go to a private (0700) temporary folder, packed a
hundred to a file, one after another (Kingfisher's cost is per file: docs/secrets.md),
deleted as soon as the process returns: Kingfisher copies stdin to a temp file of its own
(``/tmp/.tmpXXXX/stdin_input``) that we could not control, so stdin is not the safer path. Its output is read
from a pipe, with ``--redact`` so it never holds a value, and is never logged or written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PINNED_VERSION = "2.14.0"
# Offline, every finding (no de-duplication across files), no git, values redacted, one JSON object per line.
FLAGS = ["--no-validate", "--no-update-check", "--no-dedup", "--redact", "--git-history", "none",
         "--format", "jsonl", "--quiet"]
FOUND_EXIT = 200  # Kingfisher's exit code when it found something; 0 when clean
PER_FILE = 100


class DetectorError(RuntimeError):
    """Kingfisher is missing or failed: what it should have read is unknown, never clean."""


@dataclass(frozen=True)
class RuleHit:
    index: int  # which value
    rule_id: str
    rule_name: str
    line: int  # 1-based, within the value
    column_start: int
    column_end: int


def binary() -> Path:
    """The Kingfisher executable that ``kingfisher-bin`` ships, else one on ``PATH``.

    The executable inside the package, not the console script beside this interpreter: that script is a
    Python program that only ``exec``s it: one interpreter start more on every scan.
    """
    try:
        from kingfisher import get_binary_path

        return Path(get_binary_path())
    except (ImportError, OSError):
        pass
    on_path = shutil.which("kingfisher")
    if on_path is None:
        raise DetectorError("the Kingfisher secret scanner is not installed (pip install kingfisher-bin)")
    return Path(on_path)


def rule_cache_dir() -> Path:
    """A persistent per-user folder: compiling the rules takes seconds, reusing them a fraction of that."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "auditpack" / f"kingfisher-{PINNED_VERSION}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scan_values(values: list[str], *, timeout: float = 600.0) -> list[RuleHit]:
    """Rule hits over ``values``; raises ``DetectorError`` rather than ever returning a false "clean"."""
    if not values:
        return []
    exe = binary()
    env = {**os.environ, "KF_RULE_CACHE_DIR": str(rule_cache_dir())}
    workdir = Path(tempfile.mkdtemp(prefix="auditpack-kf-"))  # mkdtemp creates it 0700
    starts: list[list[tuple[int, int]]] = []  # per file: (first line, value index), in order
    try:
        for number, first in enumerate(range(0, len(values), PER_FILE)):
            chunk = values[first:first + PER_FILE]
            line, layout = 1, []
            for offset, value in enumerate(chunk):
                layout.append((line, first + offset))
                line += value.count("\n") + 1
            starts.append(layout)
            fd = os.open(workdir / str(number), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write("\n".join(chunk))
        try:
            proc = subprocess.run([str(exe), "scan", str(workdir), *FLAGS], env=env, capture_output=True,
                                  timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DetectorError(f"Kingfisher could not run: {type(exc).__name__}") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if proc.returncode not in (0, FOUND_EXIT):
        raise DetectorError(f"Kingfisher exited with code {proc.returncode}")
    return _parse(proc.stdout, starts)


def _locate(layout: list[tuple[int, int]], line: int) -> tuple[int, int]:
    """The value a file line belongs to, and the line within that value."""
    first, index = next((start, i) for start, i in reversed(layout) if start <= line)
    return index, line - first + 1


def _parse(stdout: bytes, starts: list[list[tuple[int, int]]]) -> list[RuleHit]:
    hits = []
    for raw in stdout.splitlines():
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            raise DetectorError("Kingfisher wrote output that is not JSON lines") from None
        if "finding" not in record:
            continue  # the closing audit summary
        finding, rule = record["finding"], record.get("rule", {})
        name = Path(finding.get("path", "")).name
        if not name.isdigit() or int(name) >= len(starts):
            raise DetectorError("Kingfisher reported a finding outside the values it was given")
        index, line = _locate(starts[int(name)], max(int(finding.get("line") or 1), 1))
        hits.append(RuleHit(
            index=index,
            rule_id=str(rule.get("id", "unknown")),
            rule_name=str(rule.get("name", "secret")),
            line=line,
            column_start=int(finding.get("column_start") or 0),
            column_end=int(finding.get("column_end") or 0),
        ))
    return hits
