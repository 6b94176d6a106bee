"""Combining packs of disjoint account sets, scanned on different machines, into one organization pack.

A large organization is spread over a job runner (``scan --accounts`` subsets); ``merge`` puts the pieces
together. Every input pack is verified against its checksums first: a merged pack vouches for its inputs,
so a tampered or truncated one is refused rather than folded in. Packs are combined only when they judged
the same controls with the same parameters, checks, waivers and regions; otherwise one organization-wide
verdict would mix two different assessments, and the message says which setting differs.

Controls are judged again over the combined findings (a control satisfied in every part may still be
not-satisfied in the whole only if some part failed it, but its per-account breakdown and counts must be
recomputed either way).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from auditpack import __version__
from auditpack.errors import OutputIsInput, OverlappingPacks, UserError
from auditpack.evaluate.assessment import check_summary, control_status
from auditpack.evaluate.diff import compare
from auditpack.evaluate.evaluation import error_order, finding_order
from auditpack.evaluate.outcome import Outcome, outcome_of
from auditpack.library.config import Config
from auditpack.models import (
    Assessment,
    ControlResult,
    Finding,
    MergedRun,
    Run,
    Scope,
    Tool,
    WaiverState,
    WaiverStatus,
)
from auditpack.pack.chain import link_to
from auditpack.pack.lifecycle import PackBuilder
from auditpack.pack.seal import pack_files
from auditpack.pack.signing import load_signing_key
from auditpack.pack.verify import NotAPack, verify
from auditpack.render.formats.assessment_json import read_assessment

# -- combining ---------------------------------------------------------------------------------------------


def _definition(assessment: Assessment) -> dict[str, object]:
    """What two packs must share to be judged as one assessment."""
    return {
        "schema version": assessment.schema_version,
        "controls": [(c.id, c.checks, {k: v.model_dump() for k, v in c.parameters.items()})
                     for c in assessment.controls],
        "parameters": assessment.parameters,
        "checks": sorted(c.id for c in assessment.checks),
        "waivers": [w.waiver.model_dump() for w in assessment.waivers],
        "regions": sorted(assessment.scope.regions),
        "selection": assessment.scope.selection.model_dump(),
    }


def _check_compatible(packs: list[tuple[Path, Assessment]]) -> None:
    first_path, first = packs[0]
    reference = _definition(first)
    for path, other in packs[1:]:
        theirs = _definition(other)
        differing = [k for k in reference if reference[k] != theirs[k]]
        if differing:
            raise UserError(f"cannot merge {path} with {first_path}: they differ in {', '.join(differing)}; "
                            "scan every part with the same config, controls and regions")
    seen: dict[str, Path] = {}
    for path, assessment in packs:
        for account in assessment.scope.accounts:
            if account in seen:
                raise OverlappingPacks(account, seen[account], path)
            seen[account] = path


def _combine_waivers(parts: Iterable[list[WaiverStatus]]) -> list[WaiverStatus]:
    """A waiver is active if it matched in any part; stale only if it matched in none; expiry is by date."""
    combined: list[WaiverStatus] = []
    for statuses in zip(*parts, strict=True):
        ids = sorted({fid for s in statuses for fid in s.finding_ids})
        states = {s.state for s in statuses}
        if WaiverState.EXPIRED in states:
            state = WaiverState.EXPIRED
        elif WaiverState.ACTIVE in states:
            state = WaiverState.ACTIVE
        else:
            state = WaiverState.STALE
        combined.append(WaiverStatus(waiver=statuses[0].waiver, state=state, finding_ids=ids))
    return combined


def reassess(control: ControlResult, findings: list[Finding], accounts: list[str]) -> ControlResult:
    """The control judged again over ``findings`` (the same rules ``evaluate.assess`` applies)."""
    titles = {s.check_id: s.title for s in control.check_results}
    mine = [f for f in findings if f.check_id in control.checks]
    return control.model_copy(update={
        "status": control_status(mine),
        "check_results": [check_summary(c, titles.get(c, c), [f for f in mine if f.check_id == c])
                          for c in control.checks],
        "accounts": {a: control_status(f for f in mine if f.account == a) for a in accounts},
    })


def combine(packs: list[tuple[Path, Assessment]]) -> Assessment:
    _check_compatible(packs)
    assessments = [a for _, a in packs]
    first = assessments[0]
    findings = sorted((f for a in assessments for f in a.findings), key=finding_order)
    accounts = sorted({acct for a in assessments for acct in a.scope.accounts})
    errors = sorted((e for a in assessments for e in a.errors), key=error_order)
    return Assessment(
        tool=Tool(version=__version__),
        run=Run(id=str(uuid.uuid4()), started_at=min(a.run.started_at for a in assessments),
                finished_at=datetime.now(UTC)),
        scope=Scope(accounts=accounts, regions=list(first.scope.regions), identity=first.scope.identity,
                    selection=first.scope.selection),
        organization=first.organization,
        parameters=first.parameters,
        controls=[reassess(c, findings, accounts) for c in first.controls],
        checks=first.checks,
        findings=findings,
        errors=errors,
        waivers=_combine_waivers(a.waivers for a in assessments),
        config=first.config,
        merged_from=[MergedRun(run=a.run, identity=a.scope.identity, accounts=a.scope.accounts,
                               tool_version=a.tool.version) for a in assessments],
    )


def merge_packs(paths: list[Path], out: Path, formats: list[str] | None = None, *, overwrite: bool = False,
                sign_key: Path | None = None, previous: Path | None = None) -> tuple[Outcome, Path]:
    """Verify, combine, write and seal; with ``sign_key`` the merged pack is signed (the inputs' signatures
    cover the inputs, never the merged pack), with ``previous`` it is compared with and chained to that pack.
    Returns what the summary reads, as a scan does: the findings leave memory before the PDF is laid out."""
    if len(paths) < 2:
        raise UserError("merge needs at least two packs")
    key = load_signing_key(sign_key) if sign_key is not None else None
    follows = link_to(previous) if previous is not None else None
    earlier = read_assessment(previous) if previous is not None else None
    resolved_out = out.resolve()
    packs: list[tuple[Path, Assessment]] = []
    digests: dict[Path, dict[str, str]] = {}
    for path in paths:
        if not path.is_dir():
            raise UserError(f"{path}: not a pack folder")
        if path.resolve() == resolved_out:
            raise OutputIsInput(path)
        try:
            checked = verify(path)
        except NotAPack as exc:
            raise UserError(str(exc)) from exc
        problems = checked.lines()
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            raise UserError(f"{path}: failed verification, not merged: {shown}")
        digests[path] = checked.digests
        packs.append((path, read_assessment(path)))
    assessment = combine(packs)
    if earlier is not None:
        assessment.comparison = compare(earlier, assessment)
    try:
        config = Config(**assessment.config)
    except ValidationError as exc:
        raise UserError(f"{paths[0]}: the config recorded in the pack is not valid here: "
                        f"{str(exc).splitlines()[0]}") from exc
    del packs  # the inputs' assessments: the merged one holds what it needs of them
    with PackBuilder(out, overwrite=overwrite) as pack:
        for path, verified in digests.items():
            evidence = [rel for rel in pack_files(path) if rel.startswith("evidence/")]
            pack.carry(path, evidence, verified, link=False)
        pack.write(assessment, config, formats if formats is not None else config.formats, previous=earlier)
        outcome = outcome_of(assessment)
        del assessment, earlier  # as in a scan: the findings go before the PDF is laid out (in the seal)
        pack.seal(outcome, sealed_by="auditpack merge", sign_with=key, follows=follows)
        return outcome, pack.publish()
