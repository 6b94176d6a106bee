"""The demo's story: an emulated two-account Organization, seeded quarter by quarter.

An Organization (a management and a workload account, two regions) gets a realistic mix of violations as
"last quarter", then changes (one violation fixed, one added) for this quarter; the config carries waivers
in force, expired and stale. ``auditpack demo`` (``commands/demo.py``) scans both quarters through the path
a real organization takes.

Each check family contributes a seeder; adding a family to the demo is one line in ``SEEDERS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from auditpack.emulator.seeding import identity, incident, monitoring, prevention, secret_sources, secrets
from auditpack.emulator.seeding.organization import in_account
from auditpack.progress import SILENT, Progress

DEMO_REGIONS = ("us-east-1", "us-west-2")
MEMBER = "workload"
TRAIL_BUCKET = "org-trail-logs"  # the workload trail's bucket (seed_monitoring): where its log files go
INCIDENT_DAYS = 180  # the demo incident reads half a year: the older half from the trail's log files
STALE_FINDING = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
# The seed of the emulator's id generator before the Organization is made: its account ids are the same on
# every run. Each family's seeder gets a seed of its own (``family_seed``), so the ids one family's resources
# get do not change when another family seeds more: two demo packs can be compared line by line.
SEED_ORGANIZATION = 4207


@dataclass(frozen=True)
class DemoAccount:
    """One account of the demo Organization, as a seeder sees it (seeders run inside that account)."""

    name: str
    account_id: str
    regions: tuple[str, ...]
    management: bool
    quarter: str  # "previous" (last quarter's state) or "current" (what changed since)


Seeder = Callable[[DemoAccount], None]


def seed_monitoring(account: DemoAccount) -> None:
    """Management: one single-region trail without validation or KMS; GuardDuty in one region, fixed in the
    other this quarter, with a high-severity finding (credentials used from outside AWS) nobody closed in
    three weeks. Workload: a well-built multi-region trail without KMS (waived), and this quarter a second
    trail nobody reviewed."""
    if account.quarter == "previous":
        if account.management:
            monitoring.seed_logging(account.regions[0], guardduty_regions=account.regions[:1])
            monitoring.stale_finding(account.regions[0], STALE_FINDING, age_days=21)
        else:
            monitoring.trail("org-trail", account.regions[0], multi_region=True, log_validation=True)
            monitoring.guardduty(*account.regions)
    elif account.management:
        monitoring.guardduty(*account.regions[1:])  # fixed: GuardDuty now on in every region
    else:
        monitoring.trail("data-events", account.regions[0])  # added: no validation, no KMS


def seed_identity(account: DemoAccount) -> None:
    """Management: keys of every age (backdated), console users with and without MFA, an admin through a
    group, secrets and KMS keys with and without rotation, instances with and without roles. Workload: this
    quarter, a new console user without MFA."""
    if account.quarter == "previous" and account.management:
        identity.seed_identity(account.regions[0])
    elif account.quarter == "current" and not account.management:
        identity.console_user("contractor", mfa=False)


def seed_secrets(account: DemoAccount) -> None:
    """Workload: every kind of static credential in configuration, and the good practice beside each."""
    if account.quarter == "previous" and not account.management:
        secrets.seed_secrets(account.regions[0])


def seed_secret_sources(account: DemoAccount) -> None:
    """Workload: a leak in each of the second round's sources (documents, job definitions, state machines, Glue,
    SageMaker, API Gateway, CodeBuild source URLs, Beanstalk, templates, tags), each beside its good practice."""
    if account.quarter == "previous" and not account.management:
        secret_sources.seed_secret_sources(account.regions[0])


def seed_incident(account: DemoAccount) -> None:
    """The leaked CI key's story. Management: SCPs on, with a guardrail that keeps logging on in member
    accounts. Workload: last quarter, the CI deploys with the key weekly (months of it, the older part only in
    the trail's log files, and a first probe from an unknown address 95 days ago); this quarter the bot comes
    back, creates a user with AdministratorAccess and a key, and launches instances in ap-southeast-1."""
    if account.management:
        if account.quarter == "previous":
            incident.guardrail_scp()
        return
    key = incident.leaked_key(account.regions[0])
    if account.quarter == "previous":
        incident.ci_permissions()
        records = incident.ci_history(key, account.regions[0])
    else:
        records, _created = incident.attack(key)
    incident.deliver(TRAIL_BUCKET, records)
    incident.seed_recent(records)


def seed_prevention(account: DemoAccount) -> None:
    """Workload: every weakness of least privilege beyond users, exposure and alerting beside its good twin (an
    administrator CI role, a role anyone can assume, public secret, key, buckets and function URL, an IMDSv1
    launch template, Config in one region only, alerts that reach nobody, a budget that tells no one)."""
    if account.quarter == "previous" and not account.management:
        prevention.seed_prevention(account.regions)


# Every family's demo seeder, in order. A family adds itself with one line: ("name", seed_function).
SEEDERS: list[tuple[str, Seeder]] = [
    ("monitoring", seed_monitoring),
    ("identity", seed_identity),
    ("secrets", seed_secrets),
    ("secret-sources", seed_secret_sources),
    ("incident", seed_incident),
    ("prevention", seed_prevention),
]


def seed_sample_account(region: str = DEMO_REGIONS[0]) -> None:
    """One account with every family's violations and good practice, for the tests and benchmarks that scan
    a single account (the demo itself spreads the same seeds over an Organization and two quarters)."""
    monitoring.seed_logging(region, guardduty_regions=(region,))
    identity.seed_identity(region)
    secrets.seed_secrets(region)
    secret_sources.seed_secret_sources(region)
    prevention.seed_prevention((region,))


def family_seed(quarter: str, account: str, family: str) -> int:
    """A fixed seed for one family's seeding of one account in one quarter."""
    return int.from_bytes(hashlib.sha256(f"{quarter}/{account}/{family}".encode()).digest()[:4], "big")


def seed_quarter(management: str, members: dict[str, str], quarter: str,
                 reseed: Callable[[int], None] = lambda _seed: None, progress: Progress = SILENT) -> None:
    """Every family's seeder in every account; ``reseed`` is called with ``family_seed`` before each."""
    accounts = [DemoAccount("management", management, DEMO_REGIONS, True, quarter)] + [
        DemoAccount(name, account_id, DEMO_REGIONS, False, quarter) for name, account_id in members.items()]
    steps = [(account, name, seeder) for account in accounts for name, seeder in SEEDERS]
    for done, (account, name, seeder) in enumerate(steps):
        progress.advance(done, len(steps), f"{name} in {account.name}")
        reseed(family_seed(quarter, account.name, name))
        if account.management:
            seeder(account)
        else:
            with in_account(account.account_id):
                seeder(account)
    progress.advance(len(steps), len(steps), "done")


def demo_config(members: dict[str, str], today: dt.date) -> str:
    """The demo Organization's ``auditpack.yaml``: one waiver in force, one expired, one matching nothing."""
    member = members[MEMBER]
    return f"""organization:
  name: Example Corp (demo)
  system: Emulated two-account AWS Organization
scope:
  org: true
  regions: [{", ".join(DEMO_REGIONS)}]
waivers:
  - check_id: cloudtrail_kms_encrypted
    resource: "arn:aws:cloudtrail:*:{member}:trail/org-trail"
    justification: The log bucket enforces SSE-KMS with a customer key; trail-level KMS follows in Q2.
    approved_by: Jane Doe (CISO)
    expires: {today + dt.timedelta(days=90)}
    ticket: GRC-1042
  - check_id: cloudtrail_log_file_validation
    resource: "arn:aws:cloudtrail:*:{member}:trail/*"
    justification: Accepted for the migration window last quarter.
    approved_by: Jane Doe (CISO)
    expires: {today - dt.timedelta(days=30)}
    ticket: GRC-0977
  - check_id: guardduty_enabled
    resource: "arn:aws:iam::{member}:root"
    justification: Sandbox exception, no longer needed once GuardDuty was enabled everywhere.
    approved_by: Jane Doe (CISO)
    expires: {today + dt.timedelta(days=30)}
"""
