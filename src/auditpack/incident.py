"""An investigation from start to finish: one reported access key, read-only, to a sealed incident pack.

For a key reported from outside (a bot's alert, a public repository): whose it is (``sts:GetAccessKeyInfo``;
another account's key is refused), its user and last use, what its principal can do, what it did in every
region (and in the trail's log files for older history), what it created (followed one level), and the
containment checklist. Every call goes through the read-only gate and is evidence of the pack, which has the
assessment pack's lifecycle and seal. Like ``scan.py`` it only hands each stage's result to the next.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditpack import __version__
from auditpack.collect.accounts import enabled_regions, planning_gate, whoami
from auditpack.collect.gate import Gate
from auditpack.collect.redaction import sensitive_fields
from auditpack.collect.session import AccountSession, client_config, known_regions, open_session
from auditpack.errors import (
    DocumentationKey,
    KeyOfAnotherAccount,
    LookbackBeyondHistory,
    NotAnAccessKeyId,
    NotATrailLocation,
    TrailBucketNotFound,
    UnknownRegion,
    UserError,
)
from auditpack.evaluate.incident import checklist, verdict
from auditpack.leak import (
    BlastRadius,
    Followed,
    Incident,
    KeyOwner,
    Run,
    Tool,
    Window,
)
from auditpack.library.config import CollectionSettings
from auditpack.pack.lifecycle import PackBuilder
from auditpack.render.incident import JSON, write_incident
from auditpack.resources import key_owners, organizations, trail_logs
from auditpack.resources.base import GLOBAL_REGION, CallFailed
from auditpack.resources.blast_radius import RolePolicies, radius, roles_of
from auditpack.resources.iam import UserPolicies, user_policies
from auditpack.resources.key_activity import (
    EVENT_HISTORY,
    LOOKBACK_DAYS,
    Creation,
    History,
    compute_elsewhere,
    creations,
    key_history,
    regions_to_read,
    summary,
    timeline,
)
from auditpack.resources.key_activity import PERMISSIONS as HISTORY_PERMISSIONS
from auditpack.resources.secret_source import ACCESS_KEY_ID, is_documentation_example, mask
from auditpack.secrets.fingerprint import Fingerprinter, load_fingerprint_key

MAX_DAYS = 3650
EVENT_HISTORY_SOURCE = "CloudTrail event history (LookupEvents)"
AUTHORIZATION = ("iam:GetAccountAuthorizationDetails",)
# Every read the command makes, in the order it makes them: `auditpack permissions --incident` prints these.
PERMISSIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions", *key_owners.PERMISSIONS, *AUTHORIZATION,
               *organizations.PERMISSIONS, *HISTORY_PERMISSIONS)
Say = Callable[[str], None]


@dataclass
class IncidentOptions:
    access_key_id: str
    days: int = LOOKBACK_DAYS
    regions: list[str] = field(default_factory=list)
    trail_bucket: str | None = None
    out: Path = Path("auditpack-incident")
    profile: str | None = None
    overwrite: bool = False  # replace an incident pack already at ``out`` (as ``scan --overwrite``)


def policy(location: trail_logs.TrailLocation | None = None) -> dict[str, Any]:
    """The read-only IAM policy the command needs; with a trail location, reading its log files too."""
    statements: list[dict[str, Any]] = [{"Sid": "AuditpackIncidentReadOnly", "Effect": "Allow",
                                         "Action": sorted(PERMISSIONS), "Resource": "*"}]
    bucket = f"arn:aws:s3:::{location.bucket}" if location else "arn:aws:s3:::TRAIL-BUCKET"
    logs = f"{bucket}/{location.logs}*" if location else f"{bucket}/*"
    statements += [
        {"Sid": "AuditpackIncidentListTrailLogs", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": bucket},
        {"Sid": "AuditpackIncidentReadTrailLogs", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": logs},
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def validated(options: IncidentOptions) -> tuple[str, trail_logs.TrailLocation | None]:
    """The key id and the trail location, or the user's error: before any AWS call."""
    key = options.access_key_id.strip()
    if not ACCESS_KEY_ID.fullmatch(key) or key[:4] not in ("AKIA", "ASIA"):
        raise NotAnAccessKeyId()
    if is_documentation_example(key):
        raise DocumentationKey()
    location = None
    if options.trail_bucket is not None:
        location = trail_logs.parse_location(options.trail_bucket)
        if location is None:
            raise NotATrailLocation(options.trail_bucket)
    history = EVENT_HISTORY.days
    if options.days < 1:
        raise UserError("the look-back window must be at least one day")
    if options.days > MAX_DAYS:
        raise LookbackBeyondHistory(options.days, MAX_DAYS)
    if options.days > history and location is None:
        raise LookbackBeyondHistory(options.days, history)
    return key, location


@dataclass
class Investigation:
    """The reads of one investigation, through one gate, in the order a responder asks the questions."""

    gate: Gate
    key_id: str
    days: int
    location: trail_logs.TrailLocation | None
    say: Say
    end: datetime = field(default_factory=lambda: datetime.now(UTC))
    unread: list[str] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    @property
    def recent(self) -> datetime:
        """Where the event history starts: the window, or the 90 days LookupEvents keeps."""
        return max(self.start, self.end - EVENT_HISTORY)

    @property
    def regions(self) -> list[str]:
        return regions_to_read(self.gate.regions, self.gate.partition)

    # -- whose key ---------------------------------------------------------------------------------------

    def owner(self) -> KeyOwner:
        gate, account = self.gate, self.gate.account
        try:
            owner_account = gate.call("sts", "get_access_key_info", AccessKeyId=self.key_id).data.get("Account")
        except CallFailed as exc:
            owner_account = None
            self.unread.append(f"the key's account could not be confirmed: sts:GetAccessKeyInfo failed with {exc.code}")
        if owner_account and owner_account != account:
            raise KeyOfAnotherAccount(owner_account, account)
        try:
            used = gate.call("iam", "get_access_key_last_used", AccessKeyId=self.key_id).data
        except CallFailed as exc:
            self.unread.append(f"the key's user could not be read: iam:GetAccessKeyLastUsed failed with {exc.code}")
            return KeyOwner(account=account, lookup_error=exc.code)
        user, last = used.get("UserName"), used.get("AccessKeyLastUsed") or {}
        status = created = None
        if user:
            try:
                listed = gate.call("iam", "list_access_keys", UserName=user).data.get("AccessKeyMetadata", [])
                mine = next((k for k in listed if k.get("AccessKeyId") == self.key_id), {})
                status, created = mine.get("Status"), mine.get("CreateDate")
            except CallFailed as exc:
                self.unread.append(f"the key's status could not be read: iam:ListAccessKeys failed with {exc.code}")
        region = last.get("Region")
        return KeyOwner(account=account, user=user, status=status, created=created, last_used=last.get("LastUsedDate"),
                        last_used_service=None if last.get("ServiceName") in (None, "N/A") else last["ServiceName"],
                        last_used_region=None if region in (None, "N/A") else region)

    # -- what its principals can do ------------------------------------------------------------------------

    def authorization(self) -> tuple[dict[str, UserPolicies], dict[str, RolePolicies], str | None]:
        pages, refs = [], []
        try:
            for page in self.gate.paginate("iam", "get_account_authorization_details",
                                           Filter=["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]):
                pages.append(page.data)
                refs.append(page.evidence)
        except CallFailed as exc:
            return {}, {}, f"iam:GetAccountAuthorizationDetails failed with {exc.code}"
        users = {u.user: u for u in user_policies(pages, account=self.gate.account, evidence=tuple(refs))}
        return users, roles_of(pages), None

    def service_control_policies(self) -> tuple[organizations.ServiceControlPolicies | None, str | None]:
        try:
            management, chains = organizations.read_organization(self.gate)
        except CallFailed as exc:
            return None, f"service control policies could not be read: {exc.service}:{exc.operation} failed with " \
                         f"{exc.code}"
        if management is None:
            return None, None
        mine = next((c for c in chains if c.target_account == self.gate.account), None)
        if mine is None:
            return None, (f"service control policies of the organization (management account {management}) could "
                          "not be read from this account; they may narrow what is shown")
        return mine, None

    # -- what it did -------------------------------------------------------------------------------------

    def history(self, value: str, since: datetime, attribute: str = "AccessKeyId") -> History:
        found = key_history(self.gate, self.regions, value, max(since, self.recent), self.end, attribute)
        for gap in found.unread:
            self.unread.append(f"the history of {mask(value) if attribute == 'AccessKeyId' else value} in "
                               f"{gap.region} could not be read: {gap.message} failed with {gap.error_code}")
        return found

    def trail(self, since: datetime, match: Callable[[dict[str, Any]], bool]) -> tuple[list[dict[str, Any]], int]:
        if self.location is None:
            return [], 0
        try:
            read = trail_logs.read_trail(self.gate, self.location, self.gate.account, self.regions, since, self.end,
                                         match)
        except CallFailed as exc:
            if exc.code in ("NoSuchBucket", "InvalidBucketName"):
                raise TrailBucketNotFound(self.location.bucket, exc.code) from None
            self.unread.append(f"the trail's log files in {self.location.url} could not be listed: {exc.code}")
            return [], 0
        self.unread += [f"{g.message} could not be read ({g.error_code})" for g in read.unread]
        return read.records, read.files


def _by_key(key_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda r: (r.get("userIdentity") or {}).get("accessKeyId") == key_id


def _by_user(name: str) -> Callable[[dict[str, Any]], bool]:
    def match(r: dict[str, Any]) -> bool:
        identity = r.get("userIdentity") or {}
        return identity.get("type") == "IAMUser" and identity.get("userName") == name
    return match


def _by_role(name: str) -> Callable[[dict[str, Any]], bool]:
    def match(r: dict[str, Any]) -> bool:
        issuer = ((r.get("userIdentity") or {}).get("sessionContext") or {}).get("sessionIssuer") or {}
        return issuer.get("type") == "Role" and issuer.get("userName") == name
    return match


@dataclass
class Follow:
    """One created principal or key, the records found for it, and how it is matched in log files."""

    creation: Creation
    records: list[dict[str, Any]]
    match: Callable[[dict[str, Any]], bool]
    history: History | None


def _follows(inv: Investigation, made: list[Creation], roles: dict[str, RolePolicies]) -> list[Follow]:
    """Each creation's own history: by access key, by user name (a user and its console password share one
    read), or, for a role, the events naming it (who assumed it)."""
    read: dict[tuple[str, str], History] = {}

    def once(value: str, since: datetime, attribute: str) -> History:
        if (attribute, value) not in read:
            read[(attribute, value)] = inv.history(value, since, attribute)
        return read[(attribute, value)]

    follows = []
    for c in sorted(made, key=lambda c: c.at):
        if c.kind == "access key":
            history, match = once(c.key_id, c.at, "AccessKeyId"), _by_key(c.key_id)
        elif c.kind in ("user", "console password"):
            history, match = once(c.name, c.at, "Username"), _by_user(c.name)
        else:
            arn = roles[c.name].arn if c.name in roles else (
                f"arn:{inv.gate.partition}:iam::{inv.gate.account}:role/{c.name}")
            history, match = once(arn, c.at, "ResourceName"), _by_role(c.name)
        follows.append(Follow(c, list(history.records), match, history))
    return follows


def _radius_of(masked: str, name: str | None, users: dict[str, UserPolicies], roles: dict[str, RolePolicies],
               scps: organizations.ServiceControlPolicies | None, scp_note: str | None, failure: str | None,
               role: bool = False) -> BlastRadius:
    if failure:
        return BlastRadius(key=masked, notes=[f"the principal's policies could not be read ({failure})"])
    principal = (roles if role else users).get(name or "")
    if principal is None:
        return BlastRadius(key=masked, notes=[f"{'role' if role else 'user'} {name or '(unknown)'} is not in the "
                                              "account's authorization details: deleted, or never created"])
    missing = principal.missing_policies if isinstance(principal, UserPolicies) else principal.missing
    return radius(masked, principal.arn, principal.policies, principal.boundary,
                  boundary_arn=principal.boundary_arn, missing=missing, scps=scps, scp_note=scp_note)


def investigate(inv: Investigation, run: Run, fingerprint: str) -> Incident:
    """Every question, in order; only reads, and every read is evidence."""
    key = mask(inv.key_id)
    inv.say(f"Looking up who owns {key}")
    owner = inv.owner()
    users, roles, auth_failure = inv.authorization()
    if auth_failure:
        inv.unread.append(f"the principals' policies could not be read: {auth_failure}")
    scps, scp_note = inv.service_control_policies()
    inv.say(f"Reading the event history of {key} in {len(inv.regions)} regions over {inv.days} days")
    history = inv.history(inv.key_id, inv.start)
    trail_records, files = inv.trail(inv.start, _by_key(inv.key_id))
    records = [*history.records, *trail_records]
    made = list({(c.kind, c.name, c.key_id): c for r in records for c in creations(r)}.values())
    follows = _follows(inv, made, roles)
    if follows and inv.location is not None:
        inv.say(f"Reading the trail's log files again for the {len(follows)} identities and keys it created")
        extra, _files = inv.trail(min(f.creation.at for f in follows), lambda r: any(f.match(r) for f in follows))
        for f in follows:
            f.records += [r for r in extra if f.match(r)]
    mine = [_by_key(inv.key_id), *(f.match for f in follows)]
    probe = compute_elsewhere(inv.gate, inv.recent, inv.end, lambda r: any(m(r) for m in mine))
    sources = [EVENT_HISTORY_SOURCE] + ([f"trail log files {inv.location.url} ({files} read)"] if inv.location else [])
    window = {"window_days": inv.days, "start": inv.start, "end": inv.end, "sources": sources}
    events = timeline(records, probe)
    activity = summary(key, events, regions_read=history.regions_read, unread=history.unread, max_listed=None,
                       **window)
    followed, every = [], list(events)
    for f in follows:
        own = timeline(f.records, probe)
        every += own
        c = f.creation
        name_key = c.name if c.kind != "access key" else mask(c.key_id)
        kind_user = c.user if c.kind != "role" else None
        followed.append(Followed(
            kind=c.kind, name=name_key, user=c.user, created_at=c.at, created_by=c.event_id,
            blast_radius=_radius_of(name_key, c.name if c.kind == "role" else kind_user, users, roles, scps, scp_note,
                                    auth_failure, role=c.kind == "role"),
            activity=summary(name_key, own, regions_read=f.history.regions_read if f.history else [],
                             unread=f.history.unread if f.history else [], max_listed=None,
                             **{**window, "start": max(c.at, inv.start)})))
    merged = sorted({e.event_id or str(id(e)): e for e in every}.values(), key=lambda e: (e.time, e.event_id))
    flagged_ids = {e.event_id for e in merged if e.flag}
    raw = {str(r.get("eventID")): r for r in [*records, *(r for f in follows for r in f.records)]}
    blast = _radius_of(key, owner.user, users, roles, scps, scp_note, auth_failure)
    return Incident(
        tool=Tool(version=__version__), run=run, key=key, fingerprint=fingerprint, owner=owner,
        window=Window(days=inv.days, start=inv.start, end=inv.end), regions=inv.regions,
        trail_logs=inv.location.url if inv.location else None, blast_radius=blast, activity=activity,
        followed=followed, timeline=merged,
        checklist=checklist(key, owner, followed, [raw[i] for i in sorted(flagged_ids) if i in raw], merged,
                            inv.start, inv.end),
        verdict=verdict([activity, *(f.activity for f in followed if f.activity)], inv.unread), unread=inv.unread,
    )


def _regions(session: Any, gate: Gate, asked: list[str], partition: str) -> list[str]:
    """The regions asked for (each a known region), else every region enabled for the account in its partition."""
    known = known_regions(session)
    for region in asked:
        if region not in known:
            raise UnknownRegion(region)
    if asked:
        return list(dict.fromkeys(asked))
    ours = set(session.get_available_regions("cloudtrail", partition_name=partition))
    return [r for r in enabled_regions(gate) if r in ours]


def run_incident(options: IncidentOptions, say: Say = lambda _line: None) -> tuple[Incident, Path]:
    """Investigate ``options.access_key_id`` and write the sealed incident pack; returns it and its folder."""
    key_id, location = validated(options)
    settings = CollectionSettings()
    started = datetime.now(UTC)
    # Before any AWS call: every call is evidence.
    with PackBuilder(options.out, overwrite=options.overwrite, record=JSON) as pack:
        session = open_session(options.profile)
        home = session.region_name or "us-east-1"

        def client(service: str, region: str) -> Any:
            return session.client(service, region_name=region, config=client_config(settings))

        account, caller = whoami(planning_gate("", client, pack.recorder, home))
        access = AccountSession(session, account, caller, settings)
        planning = planning_gate(account, access.client, pack.recorder, home, access.partition)
        regions = _regions(session, planning, options.regions, access.partition)
        with ThreadPoolExecutor(max_workers=settings.max_workers, thread_name_prefix="incident") as pool:
            gate = Gate(account=account, region=GLOBAL_REGION, partition=access.partition,
                        client_factory=access.client, recorder=pack.recorder, redacted=sensitive_fields(),
                        home_region=home, regions=tuple(regions), fan_out=lambda fn, items: list(pool.map(fn, items)))
            run = Run(id=str(uuid.uuid4()), started_at=started, finished_at=started, identity=caller)
            fingerprint = Fingerprinter(load_fingerprint_key())(key_id)
            incident = investigate(Investigation(gate, key_id, options.days, location, say), run, fingerprint)
        incident = incident.model_copy(update={"run": run.model_copy(update={"finished_at": datetime.now(UTC)})})
        say("Writing the incident pack")
        pack.wrote(write_incident(incident, pack.path, pack.evidence()), "auditpack incident")
        pack.seal_run(incident.run.id, __version__, "auditpack incident")
        return incident, pack.publish()
