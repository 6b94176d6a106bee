"""A scan from start to finish: plan, collect, judge secrets, evaluate, and write the pack.

Each stage is a package of its own (``auditpack.collect``, ``secrets``, ``evaluate``, ``render``, ``pack``);
this module only hands one stage's result to the next, and keeps each stage's memory to itself (the AWS
sessions live only in ``plan_and_collect``, the inventory only in ``plan_and_assess``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditpack.apart import run_apart
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
from auditpack.collect.scheduler import Milestone, collect
from auditpack.collect.session import AccountSession, RetryWatch, client_config, known_regions, open_session
from auditpack.errors import NoAccountInScope, NoRegionLeft, UnknownRegion
from auditpack.evaluate.assessment import build_assessment
from auditpack.evaluate.outcome import Outcome, outcome_of
from auditpack.library.config import Config
from auditpack.library.validation import Library, load_library
from auditpack.memory import long_lived_objects, settled
from auditpack.models import Assessment, Identity, Selection, Severity
from auditpack.pack.chain import link_to
from auditpack.pack.lifecycle import PackBuilder, Written
from auditpack.pack.signing import load_signing_key
from auditpack.progress import SILENT, Progress
from auditpack.render import FORMATS
from auditpack.render.formats.assessment_json import read_assessment
from auditpack.resources.base import required_collectors, secret_source_types
from auditpack.resources.inventory import Inventory
from auditpack.secrets.analysis import SecretJudging, found_secrets


@dataclass
class ScanOptions:
    profile: str | None = None
    regions: list[str] = field(default_factory=list)
    control_ids: list[str] = field(default_factory=list)
    check_ids: list[str] = field(default_factory=list)
    exclude_check_ids: list[str] = field(default_factory=list)
    severity: str | None = None  # only checks of this severity and above
    services: list[str] = field(default_factory=list)
    controls_dir: Path | None = None
    config_path: Path | None = None
    out: Path = Path("auditpack-out")
    formats: list[str] | None = None
    org: bool = False
    role_name: str | None = None
    account_roles: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    previous: Path | None = None  # a previous pack to compare with and to chain to
    overwrite: bool = False  # replace a pack already at ``out``
    sign_key: Path | None = None  # an Ed25519 private key: pack.sig.json
    # Scan in a child process that ends before the PDF is laid out (``auditpack.apart``): what the command line
    # does, so that the scan's memory is back with the system by then. In-process callers keep it all here.
    apart: bool = False

    def selection(self) -> Selection:
        return Selection(controls=self.control_ids, checks=self.check_ids, exclude_checks=self.exclude_check_ids,
                         severity=Severity(self.severity) if self.severity else None, services=self.services)


def resolve_regions(session: Any, gate: Gate, requested: list[str], config: Config) -> list[str]:
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


def account_selection(options: ScanOptions, config: Config) -> AccountSelection:
    """Command-line choices, each falling back to the config's ``scope``."""
    return AccountSelection(
        org=options.org or config.scope.org,
        role_name=options.role_name or config.scope.role_name,
        account_roles=parse_role_arns(options.account_roles or config.scope.account_roles),
        accounts=parse_account_ids(options.accounts or config.scope.accounts),
    )


def mark_unreachable(inventory: Inventory, plan: AccountPlan, resource_types: list[str]) -> None:
    """Accounts whose role could not be assumed join the inventory as failed partitions: every check there
    becomes an ``error`` naming the role and the reason, so those accounts read ``not-assessed``."""
    for gone in plan.unreachable:
        for error in gone.errors(resource_types):
            inventory.fail(error.resource_type, error)
        inventory.partitions.setdefault(gone.account, next(iter(inventory.partitions.values()), "aws"))
    inventory.accounts = plan.account_ids


def collect_plan(library: Library, plan: AccountPlan, regions: list[str], home_region: str,
                 recorder: EvidenceRecorder, judging: SecretJudging, progress: Progress) -> Inventory:
    """Collect every resource the checks read; the secret detector starts as soon as the last secret source
    is collected, while the rest is."""
    resource_types = sorted({r for spec in library.checks.values() for r in spec.reads})
    sources_collected = Milestone(secret_source_types(required_collectors(resource_types)), judging.start)
    progress.phase("Collecting")
    inventory = collect(plan.sessions, regions, resource_types, recorder,
                        max_workers=library.config.collection.max_workers, home_region=home_region,
                        progress=progress, milestone=sources_collected, parameters=library.params.values)
    mark_unreachable(inventory, plan, resource_types)
    return inventory


def assess(library: Library, inventory: Inventory, judging: SecretJudging, recorder: EvidenceRecorder,
           identity: Identity, run_id: str, started: datetime, previous: Assessment | None,
           progress: Progress) -> Assessment:
    """Judge the secret sources, scrub what was found from the evidence, evaluate."""
    progress.phase("Judging secrets")
    judging.finish(inventory)
    recorder.scrub(found_secrets(inventory))  # what was found leaves no trace in any evidence file
    progress.phase("Evaluating")
    return build_assessment(library, inventory, identity, started, run_id, previous, consume=True)


def run_scan(options: ScanOptions, progress: Progress = SILENT) -> tuple[Outcome, Path]:
    """Scan and write the pack; returns what the summary and the exit code read, and where the pack is. The
    findings are in the pack's files, never handed back: they leave memory before the PDF is laid out."""
    with long_lived_objects():
        return _run_scan(options, progress)


def _run_scan(options: ScanOptions, progress: Progress) -> tuple[Outcome, Path]:
    library = load_library(options.controls_dir, options.config_path, formats=FORMATS.names())
    library = library.narrow(options.selection())
    config = library.config
    formats = options.formats if options.formats is not None else config.formats
    follows = link_to(options.previous) if options.previous is not None else None
    key = load_signing_key(options.sign_key) if options.sign_key is not None else None  # before any AWS call
    run_id = str(uuid.uuid4())
    started = datetime.now(UTC)
    with PackBuilder(options.out, overwrite=options.overwrite) as pack:  # before any AWS call: planning is evidence too

        def scan_and_write(told: Progress) -> tuple[Outcome, Written]:
            """Everything but the PDF's layout; the findings of both runs go with this function's locals."""
            previous = read_assessment(options.previous) if options.previous is not None else None
            assessment = plan_and_assess(options, library, pack.recorder, run_id, started, previous, told)
            settled()  # the findings live until every writer but the PDF's layout has run
            pack.write(assessment, config, formats, previous=previous, progress=told)
            return outcome_of(assessment), pack.written()

        outcome, written = run_apart(scan_and_write, progress) if options.apart else scan_and_write(progress)
        pack.resume(written, progress)
        pack.seal(outcome, sealed_by="auditpack scan", sign_with=key, follows=follows)  # lays out the PDF first
        return outcome, pack.publish()


def plan_and_assess(options: ScanOptions, library: Library, recorder: EvidenceRecorder, run_id: str,
                    started: datetime, previous: Assessment | None, progress: Progress) -> Assessment:
    """Plan and collect, then assess. The AWS sessions, their clients and the service models botocore parsed
    for them live only in ``plan_and_collect``, the inventory only in here: each is gone before the stage
    after it needs the memory (docs/performance.md)."""
    judging = SecretJudging(library.config.fingerprint_key)
    inventory, identity = plan_and_collect(options, library, recorder, judging, progress)
    settled(cycles=True)  # the inventory lives until the findings are made; the sessions, all cycles, do not
    return assess(library, inventory, judging, recorder, identity, run_id, started, previous, progress)


def plan_and_collect(options: ScanOptions, library: Library, recorder: EvidenceRecorder, judging: SecretJudging,
                     progress: Progress) -> tuple[Inventory, Identity]:
    """Who is calling, which regions and accounts are in scope (recorded as evidence), then the collection."""
    config = library.config
    progress.phase("Planning")
    session = open_session(options.profile)
    settings = config.collection
    default_region = session.region_name or "us-east-1"
    watch = RetryWatch(progress.notice, settings.max_attempts)

    def client(service: str, region: str) -> Any:
        made = session.client(service, region_name=region, config=client_config(settings))
        watch.attach(made)
        return made

    account_id, caller_arn = whoami(planning_gate("", client, recorder, default_region))
    account = AccountSession(session, account_id, caller_arn, settings, on_retry=progress.notice)
    gate = planning_gate(account_id, account.client, recorder, default_region, account.partition)
    regions = resolve_regions(session, gate, options.regions, config)
    home_region = session.region_name or regions[0]
    gate.home_region = home_region
    plan = plan_accounts(account, gate, account_selection(options, config), home_region, settings,
                         max_workers=config.collection.max_workers)
    if not plan.account_ids:
        raise NoAccountInScope()
    inventory = collect_plan(library, plan, regions, home_region, recorder, judging, progress)
    return inventory, Identity(arn=caller_arn, account=account_id)
