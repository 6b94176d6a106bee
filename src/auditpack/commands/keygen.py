"""``auditpack keygen DIR``: a new Ed25519 key pair for signing packs (``--sign-key``) and checking them (``--key``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from auditpack.commands import command


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", type=Path, metavar="DIR", help="where to write the key pair (created if missing)")


@command("keygen", help="write a key pair for signing packs (private key mode 0600)",
         description="Write an Ed25519 key pair into DIR: auditpack-signing.key (private, mode 0600; give it to "
         "--sign-key) and auditpack-signing.pub (public; give it to 'auditpack verify --key'). Existing key "
         "files are never overwritten.", arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.pack.signing import generate_keys, load_signing_key

    private, public = generate_keys(args.folder)
    print(f"private key: {private} (mode 0600; keep it secret, pass it to --sign-key)")
    print(f"public key:  {public} (give it to whoever verifies: auditpack verify DIR --key {public})")
    print(f"key id:      {load_signing_key(private).key_id}")
    return 0
