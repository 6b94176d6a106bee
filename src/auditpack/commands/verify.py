"""``auditpack verify DIR``: prove a pack is exactly as it was sealed, naming every file that is not; with
``--key`` that it was signed by that key, with ``--chain OLD`` that it follows OLD."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from auditpack.commands import command


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pack", type=Path, metavar="DIR", help="the pack folder")
    p.add_argument("--key", type=Path, metavar="PUB",
                   help="also check pack.sig.json against this Ed25519 public key (auditpack keygen)")
    p.add_argument("--chain", type=Path, metavar="OLD",
                   help="also confirm that OLD is the pack this one follows (scan --previous OLD)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


@command("verify", help="check a pack against its SHA256SUMS and manifest.json; exit 1 on any change",
         description="Check every file of an evidence pack against SHA256SUMS and manifest.json and "
         "name each file that is missing, added or altered. With --key, check pack.sig.json too: signed by that "
         "key, over exactly these files. With --chain OLD, confirm that OLD (intact) is the pack this one "
         "follows. Exit 0 when intact (and signed by the key, and following OLD), 1 when not, 2 when DIR or "
         "OLD is not a pack or the key file is unreadable or malformed. The digest check without auditpack: "
         "cd DIR && sha256sum -c SHA256SUMS", arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.errors import UserError
    from auditpack.pack.chain import check_chain
    from auditpack.pack.signing import load_public_key
    from auditpack.pack.verify import NotAPack, verify

    public = load_public_key(args.key) if args.key is not None else None
    try:
        result = verify(args.pack, public)
        chain = check_chain(args.pack, args.chain) if args.chain is not None else []
    except NotAPack as exc:
        raise UserError(str(exc)) from exc
    problems = result.lines() + chain
    ok = not problems
    if args.json:
        print(json.dumps({"pack": str(args.pack), "intact": ok, "checked": result.checked,
                          "missing": result.missing, "added": result.added, "altered": result.altered,
                          "problems": result.problems, "signature": result.signature,
                          "signed_by": result.signed_by or None, "signature_problems": result.signature_problems,
                          "chain": None if args.chain is None else {"previous": str(args.chain), "problems": chain}},
                         indent=2))
    elif ok:
        print(f"{args.pack}: intact ({result.checked} files match SHA256SUMS and manifest.json)")
        if result.signature == "valid":
            print(f"{args.pack}: signed by key {result.signed_by}")
        elif result.signature == "unchecked":
            print(f"{args.pack}: pack.sig.json present, not checked (give --key PUB)")
        if args.chain is not None:
            print(f"{args.pack}: follows {args.chain}")
    else:
        for line in problems:
            print(line)
        print(f"{args.pack}: NOT intact ({len(problems)} problem(s))")
    return 0 if ok else 1
