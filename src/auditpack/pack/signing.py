"""Signed packs: an in-toto Statement over every file of the pack, in a DSSE envelope signed with Ed25519.

Digests alone prove a pack is as sealed, not who sealed it: anyone able to rewrite the pack can rewrite
``SHA256SUMS`` and ``manifest.json`` too. ``pack.sig.json`` binds every file's SHA-256 to a key. The formats are
the supply-chain community's standard ones, so tools other than auditpack can check a pack:

- the payload is an in-toto Statement v1 (``_type``, ``subject`` = every file of the pack with its sha256,
  ``predicateType``, ``predicate`` = what sealed it, when, for which run, and the pack it follows);
- the envelope is DSSE: the signature is over ``PAE(payloadType, payload)``, never over parsed JSON, so what
  is verified is exactly the bytes that were signed;
- keys are Ed25519 (``cryptography``), PEM: PKCS#8 for the private key, SubjectPublicKeyInfo for the public.

A private key readable or writable by anyone but its owner is refused, as ssh refuses one: a key others can
read signs for them too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditpack.errors import KeyFilesExist, KeyTooOpen, KeyUnusable

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://auditpack.dev/attestation/evidence-pack/v1"
PRIVATE_KEY_FILE = "auditpack-signing.key"
PUBLIC_KEY_FILE = "auditpack-signing.pub"
TOO_OPEN = stat.S_IRWXG | stat.S_IRWXO


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is signed, with both lengths, so no byte can move between
    the type and the body."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def key_id(public: Any) -> str:
    """The SHA-256 of the raw 32-byte Ed25519 public key, hex: names the key in the envelope and in messages."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


@dataclass(frozen=True)
class SigningKey:
    private: Any  # cryptography's Ed25519PrivateKey (imported when a key is used)
    path: Path

    @property
    def key_id(self) -> str:
        return key_id(self.private.public_key())


# -- keys ----------------------------------------------------------------------------------------------------


def generate_keys(folder: Path) -> tuple[Path, Path]:
    """A new key pair in ``folder``: the private key created with mode 0600 (never wider, even for a moment),
    the public key beside it. Existing key files are never overwritten."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    private_path, public_path = folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    existing = [p for p in (private_path, public_path) if p.exists()]
    if existing:
        raise KeyFilesExist(existing)
    folder.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    os.chmod(private_path, 0o600)  # whatever the umask did
    public_path.write_bytes(private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path


def load_signing_key(path: Path) -> SigningKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise KeyUnusable(path, "private", exc.strerror or "cannot be read") from exc
    if mode & TOO_OPEN:
        raise KeyTooOpen(path, stat.S_IMODE(mode))
    data = _read(path, "private")
    try:
        private = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyUnusable(path, "private", "not an unencrypted PEM private key") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyUnusable(path, "private", "not an Ed25519 key")
    return SigningKey(private, path)


def load_public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = _read(path, "public")
    try:
        public = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyUnusable(path, "public", "not a PEM public key") from exc
    if not isinstance(public, Ed25519PublicKey):
        raise KeyUnusable(path, "public", "not an Ed25519 key")
    return public


def _read(path: Path, role: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyUnusable(path, role, exc.strerror or "cannot be read") from exc


# -- signing -------------------------------------------------------------------------------------------------


def statement(digests: Mapping[str, str], predicate: Mapping[str, Any]) -> dict[str, Any]:
    """The in-toto Statement: one subject per file of the pack (``pack.sig.json`` itself excluded)."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digests[name]}} for name in sorted(digests)],
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(predicate),
    }


def envelope(key: SigningKey, document: Mapping[str, Any]) -> dict[str, Any]:
    payload = json.dumps(document, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    signature = key.private.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [{"keyid": key.key_id, "sig": base64.b64encode(signature).decode("ascii")}],
    }


def write_signature(path: Path, key: SigningKey, digests: Mapping[str, str], predicate: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(envelope(key, statement(digests, predicate)), indent=2) + "\n", encoding="utf-8")


# -- verifying -----------------------------------------------------------------------------------------------


@dataclass
class SignatureCheck:
    """What the signature says: ``problems`` is empty only when it is valid for the key and every file on
    disk is exactly a subject of the statement."""

    problems: list[str]
    key_id: str = ""
    predicate: dict[str, Any] | None = None


def check_signature(path: Path, public: Any, digests: Mapping[str, str]) -> SignatureCheck:
    """Verify ``pack.sig.json`` with ``public``, then its subjects against ``digests`` (every file of the pack
    as it is now, hashed by the caller)."""
    from cryptography.exceptions import InvalidSignature

    wanted = key_id(public)
    try:
        document = json.loads(path.read_bytes())
        payload = base64.b64decode(document["payload"], validate=True)
        kind = document["payloadType"]
        signatures = [base64.b64decode(s["sig"], validate=True) for s in document["signatures"]]
    except FileNotFoundError:
        return SignatureCheck([f"not signed: no {path.name}"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return SignatureCheck([f"{path.name} is not a DSSE envelope ({type(exc).__name__})"])
    if kind != PAYLOAD_TYPE:
        return SignatureCheck([f"{path.name}: payload type {kind!r}, not {PAYLOAD_TYPE}"])
    for signature in signatures:
        try:
            public.verify(signature, pae(kind, payload))
            break
        except InvalidSignature:
            continue
    else:
        return SignatureCheck([f"signature: not made by the key {wanted[:16]}… (or the envelope was altered)"])
    try:
        signed = json.loads(payload)
        subjects = {s["name"]: s["digest"]["sha256"] for s in signed["subject"]}
        predicate = signed.get("predicate")
    except (ValueError, KeyError, TypeError):
        return SignatureCheck(["signature: the signed statement is not an in-toto Statement"], wanted)
    problems = [f"signature: {name} is not in the signed statement" for name in sorted(set(digests) - set(subjects))]
    problems += [f"signature: {name} was signed but is gone" for name in sorted(set(subjects) - set(digests))]
    problems += [f"signature: {name} differs from what was signed" for name in sorted(set(subjects) & set(digests))
                 if subjects[name] != digests[name]]
    if signed.get("_type") != STATEMENT_TYPE:
        problems.append(f"signature: the statement's _type is not {STATEMENT_TYPE}")
    return SignatureCheck(problems, wanted, predicate if isinstance(predicate, dict) else None)
