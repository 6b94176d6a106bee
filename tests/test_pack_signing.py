"""Signed packs and chained quarters, with real Ed25519 keys: ``keygen`` writes a private key only its owner
can read, ``--sign-key`` writes pack.sig.json (an in-toto Statement in a DSSE envelope), ``verify --key``
catches a changed byte, an added or removed file and a swapped signature, a second implementation (plain
``cryptography``, below) accepts the envelope, and ``verify --chain`` confirms which pack a pack follows."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from auditpack.emulator.seeding.monitoring import seed_logging
from auditpack.emulator.synthetic import synthetic_assessment
from auditpack.library.config import Config
from auditpack.pack.lifecycle import PackBuilder
from auditpack.pack.signing import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, load_signing_key
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    from auditpack.cli import main

    assert main(["keygen", str(folder)]) == 0
    return folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("other-keys")
    from auditpack.cli import main

    assert main(["keygen", str(folder)]) == 0
    return folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE


def build(out: Path, key: Path | None, findings: int = 60) -> Path:
    with PackBuilder(out) as builder:
        assessment = synthetic_assessment(findings=findings, controls=4, checks=4, pack=builder.path)
        builder.write(assessment, Config(), ["oscal", "csv"])
        builder.seal(assessment, sealed_by="auditpack scan", sign_with=load_signing_key(key) if key else None)
        return builder.publish()


@pytest.fixture(scope="module")
def signed_original(tmp_path_factory, keys) -> Path:
    return build(tmp_path_factory.mktemp("signed") / "pack", keys[0])


@pytest.fixture
def signed(signed_original: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "pack"
    shutil.copytree(signed_original, copy)
    return copy


def verify_with(capsys, pack: Path, public: Path, *more: str):
    return run_cli(capsys, "verify", str(pack), "--key", str(public), *more)


def test_keygen_writes_a_private_key_only_its_owner_can_read(keys, capsys):
    private, public = keys
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    assert b"PRIVATE KEY" in private.read_bytes() and b"PUBLIC KEY" in public.read_bytes()
    again = run_cli(capsys, "keygen", str(private.parent))
    assert again.code == 2 and "not overwriting" in again.stderr and len(again.stderr.splitlines()) == 1


def test_a_group_or_world_readable_private_key_is_refused(keys, tmp_path, signed, capsys):
    loose = tmp_path / "loose.key"
    shutil.copy(keys[0], loose)
    for mode in (0o640, 0o604):
        os.chmod(loose, mode)
        result = run_cli(capsys, "report", str(signed), "--format", "html", "--sign-key", str(loose))
        assert result.code == 2, result.stderr
        assert result.stderr.startswith("auditpack: --sign-key: ") and f"chmod 600 {loose}" in result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_a_signed_pack_verifies_with_its_key_and_not_with_another(signed, keys, other_keys, capsys):
    result = verify_with(capsys, signed, keys[1])
    assert result.code == 0, result.stdout
    assert f"signed by key {load_signing_key(keys[0]).key_id}" in result.stdout
    result = verify_with(capsys, signed, other_keys[1])
    assert result.code == 1 and "not made by the key" in result.stdout
    plain = run_cli(capsys, "verify", str(signed))  # the existing check, unchanged, says a signature is there
    assert plain.code == 0 and "pack.sig.json present, not checked" in plain.stdout


def test_a_changed_byte_fails_verification(signed, keys, capsys):
    target = signed / "findings.csv"
    data = bytearray(target.read_bytes())
    data[-2] ^= 1
    target.write_bytes(bytes(data))
    result = verify_with(capsys, signed, keys[1])
    assert result.code == 1
    assert "altered: findings.csv" in result.stdout and "signature: findings.csv differs" in result.stdout


def test_an_added_file_fails_verification(signed, keys, capsys):
    (signed / "evidence" / "extra.json").write_text("{}")
    result = verify_with(capsys, signed, keys[1])
    assert result.code == 1 and "signature: evidence/extra.json is not in the signed statement" in result.stdout


def test_a_removed_file_fails_verification(signed, keys, capsys):
    victim = next((signed / "evidence").rglob("*.json"))
    victim.unlink()
    result = verify_with(capsys, signed, keys[1])
    assert result.code == 1 and "was signed but is gone" in result.stdout


def test_a_swapped_signature_fails_verification(signed, keys, other_keys, tmp_path, capsys):
    """Another pack's valid signature by the same key, then a signature by another key over this pack."""
    elsewhere = build(tmp_path / "elsewhere", keys[0], findings=61)
    shutil.copy(elsewhere / "pack.sig.json", signed / "pack.sig.json")
    result = verify_with(capsys, signed, keys[1])
    assert result.code == 1 and "differs from what was signed" in result.stdout
    resigned = build(tmp_path / "resigned", other_keys[0])
    shutil.copy(resigned / "pack.sig.json", signed / "pack.sig.json")
    assert verify_with(capsys, signed, keys[1]).code == 1


def test_a_forger_who_fixes_both_records_is_caught_by_the_signature(signed, keys, capsys):
    """Rewrite a file, then its SHA256SUMS line and manifest entry: the digests agree, the signature does not."""
    target = signed / "findings.csv"
    target.write_text(target.read_text().replace("fail", "pass"))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    manifest = json.loads((signed / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["path"] == "findings.csv":
            entry["sha256"], entry["size"] = digest, target.stat().st_size
    (signed / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    sums = {line[66:]: line[:64] for line in (signed / "SHA256SUMS").read_text().splitlines()}
    sums["findings.csv"] = digest
    sums["manifest.json"] = hashlib.sha256((signed / "manifest.json").read_bytes()).hexdigest()
    (signed / "SHA256SUMS").write_text("".join(f"{d}  {n}\n" for n, d in sorted(sums.items())))
    assert run_cli(capsys, "verify", str(signed)).code == 0, "digests alone cannot tell"
    result = verify_with(capsys, signed, keys[1])
    assert result.code == 1 and "signature: findings.csv differs from what was signed" in result.stdout


def test_the_envelope_verifies_with_plain_cryptography(signed, keys):
    """A second implementation: DSSE's PAE, Ed25519 and the in-toto subjects, none of auditpack's code."""
    envelope = json.loads((signed / "pack.sig.json").read_text())
    payload = base64.b64decode(envelope["payload"])
    kind = envelope["payloadType"].encode()
    pae = b"DSSEv1 " + str(len(kind)).encode() + b" " + kind + b" " + str(len(payload)).encode() + b" " + payload
    public = load_pem_public_key(keys[1].read_bytes())
    public.verify(base64.b64decode(envelope["signatures"][0]["sig"]), pae)  # raises InvalidSignature if not
    statement = json.loads(payload)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    on_disk = {p.relative_to(signed).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in signed.rglob("*") if p.is_file() and p.name != "pack.sig.json"}
    assert {s["name"]: s["digest"]["sha256"] for s in statement["subject"]} == on_disk
    assert {"SHA256SUMS", "manifest.json", "assessment.json"} <= set(on_disk)


BROKEN_PEM = b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"


@pytest.mark.parametrize("content", [None, b"not a key", BROKEN_PEM], ids=["missing", "text", "broken-pem"])
def test_an_unreadable_or_malformed_public_key_exits_2(signed, tmp_path, capsys, content):
    key = tmp_path / "key.pub"
    if content is not None:
        key.write_bytes(content)
    result = verify_with(capsys, signed, key)
    assert result.code == 2
    assert result.stderr.startswith("auditpack: --key: ") and len(result.stderr.splitlines()) == 1


def test_an_rsa_public_key_is_malformed_for_verify(signed, tmp_path, capsys):
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = tmp_path / "rsa.pub"
    key.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
                    .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    result = verify_with(capsys, signed, key)
    assert result.code == 2 and "not an Ed25519 key" in result.stderr


def test_a_rerender_signs_again_with_a_key_and_drops_the_old_signature_without(signed, keys, capsys):
    result = run_cli(capsys, "report", str(signed), "--format", "html", "--sign-key", str(keys[0]))
    assert result.code == 0, result.stderr
    assert verify_with(capsys, signed, keys[1]).code == 0
    result = run_cli(capsys, "report", str(signed), "--format", "html", "--quiet")
    assert result.code == 0
    assert "pack.sig.json no longer matched the re-rendered pack and was removed" in result.stdout
    assert not (signed / "pack.sig.json").exists()
    assert run_cli(capsys, "verify", str(signed)).code == 0
    unsigned = verify_with(capsys, signed, keys[1])
    assert unsigned.code == 1 and "not signed: no pack.sig.json" in unsigned.stdout


def test_scan_signs_and_chains_and_verify_confirms_the_chain(aws, tmp_path, keys, capsys):
    seed_logging("us-east-1")
    base = ["scan", "--region", "us-east-1", "--quiet", "--format", "json", "--control", "AU-9",
            "--sign-key", str(keys[0])]
    q3, q4 = tmp_path / "q3", tmp_path / "q4"
    assert run_cli(capsys, *base, "--out", str(q3)).code in (0, 1)
    assert run_cli(capsys, *base, "--out", str(q4), "--previous", str(q3)).code in (0, 1)
    manifest = json.loads((q4 / "manifest.json").read_text())
    assert manifest["previous"] == {"run_id": json.loads((q3 / "assessment.json").read_text())["run"]["id"],
                                    "sums_sha256": hashlib.sha256((q3 / "SHA256SUMS").read_bytes()).hexdigest()}
    result = verify_with(capsys, q4, keys[1], "--chain", str(q3))
    assert result.code == 0, result.stdout
    assert f"follows {q3}" in result.stdout

    # Another pack in OLD's place is not the one q4 follows; neither is OLD with an edited file.
    other = tmp_path / "other"
    assert run_cli(capsys, *base, "--out", str(other)).code in (0, 1)
    result = run_cli(capsys, "verify", str(q4), "--chain", str(other))
    assert result.code == 1 and "follows run" in result.stdout
    (q3 / "assessment.json").write_text((q3 / "assessment.json").read_text() + " ")
    result = run_cli(capsys, "verify", str(q4), "--chain", str(q3))
    assert result.code == 1 and f"chain: {q3} is not intact: altered: assessment.json" in result.stdout
    assert run_cli(capsys, "verify", str(q4), "--chain", str(tmp_path / "nothing")).code == 2
    assert run_cli(capsys, "verify", str(q3), "--chain", str(other)).code == 1  # q3 follows no pack

    # A scan does not chain to an altered pack.
    refused = run_cli(capsys, *base, "--out", str(tmp_path / "q5"), "--previous", str(q3))
    assert refused.code == 2 and refused.stderr.startswith("auditpack: --previous: ")
    assert not (tmp_path / "q5").exists()


def test_merge_signs_when_given_a_key_and_says_so_when_not(aws, tmp_path, keys, capsys):
    from auditpack.emulator.seeding.organization import create_organization

    _, members = create_organization("workload")
    seed_logging("us-east-1")
    parts = []
    for account in ("123456789012", members["workload"]):
        part = tmp_path / account
        assert run_cli(capsys, "scan", "--region", "us-east-1", "--quiet", "--format", "json", "--control", "AU-9",
                       "--accounts", account, "--out", str(part), "--sign-key", str(keys[0])).code in (0, 1, 3)
        parts.append(str(part))
    result = run_cli(capsys, "merge", *parts, "--out", str(tmp_path / "signed"), "--sign-key", str(keys[0]),
                     "--previous", parts[0])
    assert result.code in (0, 1, 3), result.stderr
    assert verify_with(capsys, tmp_path / "signed", keys[1], "--chain", parts[0]).code == 0
    result = run_cli(capsys, "merge", *parts, "--out", str(tmp_path / "unsigned"))
    assert "Not signed: the signatures of" in result.stderr
    assert not (tmp_path / "unsigned" / "pack.sig.json").exists()


def test_a_rerender_keeps_the_chain_and_includes_the_previous_result_only_from_that_pack(aws, tmp_path, capsys):
    seed_logging("us-east-1")
    base = ["scan", "--region", "us-east-1", "--quiet", "--format", "json,oscal", "--control", "AU-9"]
    q3, q4, other = tmp_path / "q3", tmp_path / "q4", tmp_path / "other"
    for out, more in ((q3, ()), (other, ()), (q4, ("--previous", str(q3)))):
        assert run_cli(capsys, *base, "--out", str(out), *more).code in (0, 1)

    def results(pack: Path) -> list[dict]:
        return json.loads((pack / "assessment-results.oscal.json").read_text())["assessment-results"]["results"]

    assert len(results(q4)) == 2
    wrong = run_cli(capsys, "report", str(q4), "--format", "oscal", "--previous", str(other))
    assert wrong.code == 2 and "is not the pack" in wrong.stderr and len(wrong.stderr.splitlines()) == 1
    assert run_cli(capsys, "report", str(q4), "--format", "oscal", "--quiet").code == 0
    assert len(results(q4)) == 1, "without --previous the re-render has only this run's result"
    assert run_cli(capsys, "report", str(q4), "--format", "oscal", "--previous", str(q3), "--quiet").code == 0
    assert len(results(q4)) == 2
    assert run_cli(capsys, "verify", str(q4), "--chain", str(q3)).code == 0, "the re-render kept the link"
