"""``auditpack report DIR``: render the reports again from the pack's assessment.json, offline, and re-seal.

For when the templates improved or the organization's name, system or sign-off names were wrong: the
assessment's results are not touched, only how they are presented. A pack that fails verification is not
re-rendered, because re-sealing it would make the change look legitimate.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from auditpack.commands import command
from auditpack.commands.scan import add_sign_key

DEFAULT_FORMATS = ("html", "pdf")


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pack", type=Path, metavar="DIR", help="the pack folder")
    p.add_argument("--format", dest="formats", metavar="LIST", default=",".join(DEFAULT_FORMATS),
                   help="comma-separated outputs to rebuild (default: html,pdf)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="take the organization and report settings (names, sign-off, PDF cap) from this config")
    p.add_argument("--previous", type=Path, metavar="DIR",
                   help="the pack this one follows, for OSCAL's previous result (it must be the one the manifest "
                        "records)")
    add_sign_key(p)
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def _config_from(assessment: Any, path: Path | None) -> Any:
    """The config to render with: a new file's organization/report settings, else the one the scan echoed."""
    from auditpack.library.config import config_from_echo, read_config
    from auditpack.library.validation import ValidationFailed

    if path is None:
        return config_from_echo(assessment.config)
    problems: list = []
    config = read_config(path, problems)
    if problems:
        raise ValidationFailed(problems)
    return config


@command("report", help="rebuild report.html/report.pdf from a pack's assessment.json (no AWS access)",
         description="Rebuild the reports of an evidence pack from its assessment.json, without AWS "
         "access, and update SHA256SUMS and manifest.json.", arguments=arguments)
def run(args: argparse.Namespace) -> int:
    from auditpack.commands.scan import parse_formats
    from auditpack.errors import UserError
    from auditpack.models import Organization
    from auditpack.pack.chain import ChainLink, check_chain
    from auditpack.pack.lifecycle import PackBuilder
    from auditpack.pack.seal import MANIFEST, SIGNATURE, SUMS, pack_files
    from auditpack.pack.signing import load_signing_key
    from auditpack.pack.verify import is_pack, verify
    from auditpack.render import chosen_formats
    from auditpack.render.formats.assessment_json import read_assessment

    pack: Path = args.pack
    if not is_pack(pack):
        raise UserError(f"{pack} is not an auditpack pack (no assessment.json)")
    formats = [f for f in parse_formats(args.formats) or [] if f != "json"]
    if not formats:
        raise UserError("nothing to render: name at least one format other than json")
    key = load_signing_key(args.sign_key) if args.sign_key is not None else None
    digests: dict[str, str] = {}
    if (pack / SUMS).exists() or (pack / MANIFEST).exists():
        check = verify(pack)
        if not check.intact:
            for line in check.lines():
                print(line)
            print(f"{pack}: fails verification; not re-rendered (re-sealing would hide the change)")
            return 1
        digests = check.digests
    assessment = read_assessment(pack)
    follows = ChainLink.recorded_in(pack)  # a re-render keeps the link the pack was sealed with
    previous = None
    if args.previous is not None:
        wrong = check_chain(pack, args.previous) if follows is not None else []
        if wrong:
            raise UserError(f"{args.previous} is not the pack {pack} follows: {'; '.join(wrong)}")
        previous = read_assessment(args.previous)
    config = _config_from(assessment, args.config)
    if args.config is not None:
        assessment = assessment.model_copy(update={
            "organization": Organization.model_validate(config.organization.model_dump()),
            "config": {**assessment.config, "organization": config.echo()["organization"],
                       "report": config.echo()["report"]},
        })
    was_signed = (pack / SIGNATURE).is_file()
    replaced = {name for f in chosen_formats(formats) for name in f.files} | {MANIFEST, SUMS}
    with PackBuilder(pack, overwrite=True) as staged:  # a re-render replaces the pack it renders
        staged.carry(pack, [rel for rel in pack_files(pack) if rel not in replaced], digests, link=True)
        written = staged.write(assessment, config, formats, previous=previous)
        staged.seal(assessment, sealed_by="auditpack report", sign_with=key, follows=follows)
        staged.publish()
    if not args.quiet:
        files = ", ".join(p.name for name in formats for p in written.get(name, []))
        print(f"{pack}: rendered {files}; {SUMS} and {MANIFEST} updated" + (f"; {SIGNATURE} signed again" if key
                                                                               else ""))
    if was_signed and key is None:  # said even with --quiet: a signature was removed
        print(f"{pack}: the old {SIGNATURE} no longer matched the re-rendered pack and was removed; "
              "give --sign-key to sign it again")
    return 0
