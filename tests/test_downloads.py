"""Reading packages: text members under caps with what was not read counted; downloads through the gate checked
against their digest and recorded without their content or signature; a package read once per scan."""

from __future__ import annotations

import base64
import hashlib
import json
import threading

import pytest

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate, ScanMemo
from auditpack.emulator.seeding.secret_sources import PNG, package
from auditpack.resources.base import CallFailed
from auditpack.resources.packages import read_text_members


def test_text_members_are_read_under_caps_and_the_rest_is_counted():
    data = package({"app.py": "X = 1\n", "node_modules/dep/index.js": "y\n" * 10, "big.txt": "z" * 600,
                    "logo.png": PNG, "empty.txt": "", "notes.md": "n" * 290})
    read = read_text_members(data, member_cap=500, text_cap=300)
    assert [name for name, _ in read.members] == ["app.py", "notes.md"]  # own files first, dependencies last
    assert (read.binary, read.too_large, read.over_budget) == (1, 1, 1)
    assert read.describe_skipped(500, 300) == ("3 files not read: 1 binary, 1 larger than 500 bytes, 1 past the "
                                               "package's 300-byte text cap")
    assert read_text_members(b"not a zip", member_cap=1, text_cap=1).unreadable == "not a zip archive"


class _Client:
    class meta:
        endpoint_url = "http://127.0.0.1:4566"


def _gate(tmp_path, data: bytes) -> Gate:
    return Gate(account="1", region="us-east-1", partition="aws", client_factory=lambda s, r: _Client(),
                recorder=EvidenceRecorder(tmp_path), fetch=lambda url, cap: data)


def test_a_download_is_checked_and_recorded_without_content_or_signature(tmp_path):
    data = b"PK package bytes"
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    gate = _gate(tmp_path, data)
    got = gate.download("lambda", "http://127.0.0.1:4566/code?X-Amz-Signature=abc", handed_out_by="GetFunction",
                        max_bytes=100, sha256=digest)
    assert got.data == data
    record = json.loads((tmp_path / got.evidence).read_text())
    assert record["request"] == {"url": "http://127.0.0.1:4566/code", "handed_out_by": "GetFunction"}
    assert record["response"]["matches"] is True and "package" not in (tmp_path / got.evidence).read_text()
    with pytest.raises(CallFailed, match="ChecksumMismatch"):
        gate.download("lambda", "http://127.0.0.1:4566/code", handed_out_by="GetFunction", max_bytes=100,
                      sha256="AAAA")


def test_only_https_or_the_services_own_endpoint_is_fetched(tmp_path):
    with pytest.raises(CallFailed, match="UntrustedLocation"):
        _gate(tmp_path, b"").download("lambda", "http://169.254.169.254/latest/meta-data/", handed_out_by="GetFunction",
                                      max_bytes=10)


def test_what_is_read_once_is_read_once_for_every_asker():
    memo, calls, barrier = ScanMemo(), [], threading.Barrier(4)

    def read():
        calls.append(1)
        return "package"

    def ask():
        barrier.wait()
        return memo.once(("lambda package", "sha"), read)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1]
    with pytest.raises(ValueError):
        memo.once("broken", lambda: (_ for _ in ()).throw(ValueError("x")))
    with pytest.raises(ValueError):
        memo.once("broken", lambda: "second asker gets the first one's failure")
