"""A scan from start to finish: validate, connect, collect, evaluate, assess, write the pack.

The pack is built in a hidden sibling folder and moved into place only when complete, so an interrupted
scan never leaves a pack that looks finished.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditpack import __version__
from auditpack.collect.accounts import (
    AccountPlan,
    AccountSelection,
    enabled_regions,
    parse_account_ids,
    parse_role_arns,
    plan_accounts,
    planning_gate,
    whoami,
)
from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate
from auditpack.collect.scheduler import Milestone, Progress, collect
from auditpack.collect.session import AccountSession, ClientSettings, known_regions, open_session
from auditpack.errors import NoAccountInScope, NoRegionLeft, OutputNotAPack, UnknownControl, UnknownRegion
from auditpack.evaluate.diff import compare
from auditpack.evaluate.evaluation import assess, error_order, evaluate
from auditpack.evaluate.waivers import apply_waivers
from auditpack.library.config import Config
from auditpack.library.validation import Library, load_library
from auditpack.memory import long_lived_objects, settled
from auditpack.models import Assessment, CheckInfo, Identity, Organization, Run, Scope, Tool
from auditpack.pack.seal import seal_outputs
from auditpack.render import RenderContext, write_outputs
from auditpack.render.formats.assessment_json import read_assessment
from auditpack.resources.base import required_collectors, secret_source_types
from auditpack.secrets.analysis import SecretJudging


@dataclass
class ScanOptions:
    profile: str | None = None
    regions: list[str] = field(default_factory=list)
    control_ids: list[str] = field(default_factory=list)
    controls_dir: Path | None = None
    config_path: Path | None = None
    out: Path = Path("auditpack-out")
    formats: list[str] | None = None
    org: bool = False
    role_name: str | None = None
    account_roles: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    previous: Path | None = None  # a previous pack to compare with (``--previous``)


def select_controls(library: Library, wanted: list[str]) -> Library:
    """Only the controls asked for (by NIST or OSCAL id), and only the checks they cite."""
    if not wanted:
        return library
    by_any = {c.id.upper(): c for c in library.controls.values()} | {
        c.oscal_id: c for c in library.controls.values()
    }
    chosen = {}
    for raw in wanted:
        control = by_any.get(raw.upper()) or by_any.get(raw.lower())
        if control is None:
            raise UnknownControl(raw)
        chosen[control.id] = control
    return library.restrict(chosen)


def resolve_regions(session, gate: Gate, requested: list[str], config: Config) -> list[str]:
    """The regions asked for (checked against every region botocore knows), else the account's enabled ones,
    less the configured exclusions."""
    known = known_regions(session)
    asked = requested or config.scope.regions
    for region in asked:
        if region not in known:
            raise UnknownRegion(region)
    regions = list(dict.fromkeys(asked)) if asked else enabled_regions(gate)
    regions = [r for r in regions if r not in set(config.scope.exclude_regions)]
    if not regions:
        raise NoRegionLeft()
    return regions


def prepare_pack(out: Path, run_id: str) -> Path:
    """A fresh hidden staging folder next to ``out``; ``out`` itself must be absent, empty or a pack."""
    if out.exists() and any(out.iterdir()) and not (out / "assessment.json").exists():
        raise OutputNotAPack(out)
    staging = out.parent / f".{out.name}.partial-{run_id[:8]}"
    staging.mkdir(parents=True, exist_ok=False)
    return staging


def publish_pack(staging: Path, out: Path) -> None:
    """Move the finished pack into place; a previous pack at ``out`` is set aside first and deleted only once
    the new one is there, so an interrupt at any point leaves one complete pack, never none or half of one."""
    if not out.exists():
        staging.rename(out)
        return
    previous = staging.with_name(f"{staging.name}.previous")
    out.rename(previous)
    try:
        staging.rename(out)
    except BaseException:
        previous.rename(out)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def account_selection(options: ScanOptions, config: Config) -> AccountSelection:
    """Command-line choices, each falling back to the config's ``scope``."""
    return AccountSelection(
        org=options.org or config.scope.org,
        role_name=options.role_name or config.scope.role_name,
        account_roles=parse_role_arns(options.account_roles or config.scope.account_roles),
        accounts=parse_account_ids(options.accounts or config.scope.accounts),
    )


def mark_unreachable(inventory, plan: AccountPlan, resource_types: list[str]) -> None:
    """Accounts whose role could not be assumed join the inventory as failed partitions: every check there
    becomes an ``error`` naming the role and the reason, so those accounts read ``not-assessed``."""
    for gone in plan.unreachable:
        for error in gone.errors(resource_types):
            inventory.fail(error.resource_type, error)
        inventory.partitions.setdefault(gone.account, next(iter(inventory.partitions.values()), "aws"))
    inventory.accounts = plan.account_ids


def build_assessment(
    library: Library, inventory, identity: Identity, started: datetime, run_id: str, config: Config,
    previous: Assessment | None = None, judging: SecretJudging | None = None,
) -> Assessment:
    """``judging``, if given, may already have started on the inventory's secret sources."""
    checks = library.checks
    (judging or SecretJudging(config.fingerprint_key)).finish(inventory)
    findings = evaluate(inventory, checks, library.params, library.controls_by_check())
    findings, waiver_statuses = apply_waivers(findings, config.waivers, started.date())
    results = assess(list(library.controls.values()), checks, findings, library.params, inventory.accounts)
    errors = sorted((err for by_part in inventory.errors.values() for err in by_part.values()), key=error_order)
    assessment = Assessment(
        tool=Tool(version=__version__),
        run=Run(id=run_id, started_at=started, finished_at=datetime.now(UTC)),
        scope=Scope(accounts=inventory.accounts, regions=inventory.regions, identity=identity),
        organization=Organization(**config.organization),
        parameters={k: library.params.values[k] for k in sorted(library.params.values)
                    if any(k in checks[c].params for c in checks)},
        controls=results,
        checks=[
            CheckInfo(id=s.id, title=s.title, description=s.description, severity=s.severity,
                      remediation=s.remediation, resource_types=list(s.resources), permissions=list(s.permissions))
            for s in checks.values()
        ],
        findings=findings,
        errors=errors,
        waivers=waiver_statuses,
        config=config.echo(),
    )
    if previous is not None:
        assessment.comparison = compare(previous, assessment)
    return assessment


def assess_plan(
    library: Library, plan: AccountPlan, regions: list[str], home_region: str, recorder: EvidenceRecorder,
    config: Config, identity: Identity, run_id: str, started: datetime, previous: Assessment | None,
    progress: Progress | None,
) -> Assessment:
    """Collect, analyse, evaluate. The inventory and the AWS clients live only in here: by the time the outputs
    are written, the memory they held is free for them (at size L the inventory and the outputs together were
    the scan's peak).

    The secret detector starts as soon as the last secret source is collected, while the rest is."""
    resource_types = sorted({r for spec in library.checks.values() for r in spec.resources})
    judging = SecretJudging(config.fingerprint_key)
    sources_collected = Milestone(secret_source_types(required_collectors(resource_types)), judging.start)
    inventory = collect(plan.sessions, regions, resource_types, recorder,
                        max_workers=config.collection.max_workers, home_region=home_region, progress=progress,
                        milestone=sources_collected)
    for account in plan.sessions:
        account.release_clients()
    mark_unreachable(inventory, plan, resource_types)
    settled()  # the inventory lives until the findings are made
    return build_assessment(library, inventory, identity, started, run_id, config, previous, judging)


def run_scan(options: ScanOptions, progress: Progress | None = None) -> tuple[Assessment, Path]:
    with long_lived_objects():
        return _run_scan(options, progress)


def _run_scan(options: ScanOptions, progress: Progress | None) -> tuple[Assessment, Path]:
    library = select_controls(load_library(options.controls_dir, options.config_path), options.control_ids)
    config = library.config
    formats = options.formats if options.formats is not None else config.formats
    previous = read_assessment(options.previous) if options.previous is not None else None
    run_id = str(uuid.uuid4())
    started = datetime.now(UTC)
    staging = prepare_pack(options.out, run_id)  # before any AWS call: planning is evidence too
    recorder = EvidenceRecorder(staging)
    try:
        assessment = plan_and_assess(options, library, recorder, run_id, started, previous, progress)
        settled()  # the findings live until the pack is sealed
        written = write_outputs(assessment, RenderContext(pack=staging, config=config), formats)
        seal_outputs(staging, written, assessment)
        publish_pack(staging, options.out)
    except BaseException:
        recorder.close()  # collectors still finishing a call must not write into the folder being removed
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return assessment, options.out


def plan_and_assess(options: ScanOptions, library: Library, recorder: EvidenceRecorder, run_id: str,
                    started: datetime, previous: Assessment | None, progress: Progress | None) -> Assessment:
    """Who is calling, which regions and accounts are in scope (recorded as evidence), then the assessment."""
    config = library.config
    session = open_session(options.profile)
    settings = ClientSettings(
        max_attempts=config.collection.max_attempts,
        connect_timeout=config.collection.connect_timeout,
        read_timeout=config.collection.read_timeout,
    )
    default_region = session.region_name or "us-east-1"

    def client(service: str, region: str) -> Any:
        return session.client(service, region_name=region, config=settings.botocore_config())

    account_id, caller_arn = whoami(planning_gate("", client, recorder, default_region))
    account = AccountSession(session, account_id, caller_arn, settings)
    gate = planning_gate(account_id, account.client, recorder, default_region, account.partition)
    regions = resolve_regions(session, gate, options.regions, config)
    home_region = session.region_name or regions[0]
    gate.home_region = home_region
    plan = plan_accounts(account, gate, account_selection(options, config), home_region, settings,
                         max_workers=config.collection.max_workers)
    if not plan.account_ids:
        raise NoAccountInScope()
    return assess_plan(library, plan, regions, home_region, recorder, config,
                       Identity(arn=caller_arn, account=account_id), run_id, started, previous, progress)
