"""What is known about a leaked access key: what its principal can do, what it did, and the incident record.

A scan attaches a ``BlastRadius`` and a ``KeyActivity`` to each finding of a leaked key of a scanned account
(``details.blast_radius``, ``details.activity``); ``auditpack incident`` writes them, with the principals the key
created and a containment checklist, to ``incident.json`` (``Incident``, versioned by ``INCIDENT_SCHEMA_VERSION``,
its JSON Schema printed by ``auditpack schema --incident``). Field names are a public contract: add, never rename.

Key ids appear only masked (``AKIA…WXYZ``) and fingerprinted; the raw id lives in memory, never in these models.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

INCIDENT_SCHEMA_VERSION = "1.0.0"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Flag(StrEnum):
    """Why an event deserves a responder's attention (the classes incident write-ups name)."""

    IDENTITY = "identity-creation"  # a user, role, key, console password or policy grant: persistence
    COMPUTE = "compute-in-unused-region"  # instances or functions where the account launches none otherwise
    EVASION = "defense-evasion"  # logging or detection stopped, deleted or narrowed
    RECON = "recon-from-new-address"  # "who am I?" from an address the key had not used before

    @property
    def label(self) -> str:
        return {"identity-creation": "identity creation", "compute-in-unused-region": "compute in an unused region",
                "defense-evasion": "defense evasion", "recon-from-new-address": "reconnaissance from a new address",
                }[self.value]


class ActivityEvent(Record):
    """One call CloudTrail recorded, as a responder reads it."""

    time: datetime
    name: str = Field(description="CloudTrail's eventName (GetCallerIdentity, CreateUser, RunInstances, ...).")
    service: str = Field(description="The service called (eventSource without .amazonaws.com).")
    region: str
    key: str = Field(description="The access key that made the call, masked.")
    principal: str | None = Field(default=None, description="ARN of the identity that made the call.")
    source_ip: str | None = None
    user_agent: str | None = None
    event_id: str = ""
    read_only: bool = False
    error: str | None = Field(default=None, description="CloudTrail's errorCode when the call failed.")
    created: list[str] = Field(default_factory=list, description="What the call created, in words, keys masked.")
    acted_on: list[str] = Field(default_factory=list, description="What else it changed or launched, in words "
                                "(a policy attached to whom, instances launched, a trail stopped).")
    flag: Flag | None = None
    reason: str | None = Field(default=None, description="Why it is flagged, in a sentence.")


class RegionGap(Record):
    """A region whose history could not be read: the activity there is unknown, never "none"."""

    region: str
    error_code: str
    message: str = ""


class KeyActivity(Record):
    """What one key did in a look-back window, as far as CloudTrail shows."""

    key: str = Field(description="The access key, masked.")
    window_days: int
    start: datetime | None = Field(default=None, description="None when nothing could be read at all.")
    end: datetime | None = None
    sources: list[str] = Field(default_factory=list, description="Where the events were read (event history, "
                               "trail log files).")
    regions_read: list[str] = Field(default_factory=list)
    unread: list[RegionGap] = Field(default_factory=list, description="Regions (or log locations) that could "
                                    "not be read; the activity there is unknown.")
    event_count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    regions: list[str] = Field(default_factory=list, description="Regions the key made calls in.")
    source_ips: list[str] = Field(default_factory=list)
    user_agents: list[str] = Field(default_factory=list)
    flagged_count: int = 0
    flagged: list[ActivityEvent] = Field(default_factory=list, description="Flagged events, oldest first (at most "
                                         "MAX_FLAGGED_LISTED in a scan's finding; all of them in an incident).")

    @property
    def complete(self) -> bool:
        """Every place that could hold the key's events was read."""
        return not self.unread


class CapabilityGrant(Record):
    """One class of damage the key's principal can do, and the policy statements that give it."""

    name: str = Field(description="admin-equivalent, create-principals-or-keys, pass-role, launch-compute, "
                      "read-secrets, read-data, kms-decrypt or disable-logging-or-detection.")
    actions: list[str] = Field(default_factory=list, description="The class's actions that are allowed.")
    granted_by: list[str] = Field(default_factory=list, description="The statements that allow them.")
    conditional: bool = Field(default=False, description="Every granting statement carries a condition.")


class BlastRadius(Record):
    """What the principal behind a key may do, from its identity policies, boundary and service control policies."""

    key: str = Field(description="The access key, masked.")
    principal: str | None = Field(default=None, description="ARN of the key's principal, when known.")
    capabilities: list[CapabilityGrant] = Field(default_factory=list)
    evaluated: list[str] = Field(default_factory=list, description="The documents evaluated, in words.")
    notes: list[str] = Field(default_factory=list, description="What could not be evaluated, and what that means.")


# -- the incident record (incident.json) -------------------------------------------------------------------


class Verdict(StrEnum):
    FLAGGED = "flagged"  # flagged activity was found (exit 1)
    CLEAN = "clean"  # every place was read and nothing is flagged (exit 0)
    INCOMPLETE = "incomplete"  # nothing flagged in what was read, but some of it could not be read (exit 3)


class KeyOwner(Record):
    """Who owns the key, from sts:GetAccessKeyInfo, iam:GetAccessKeyLastUsed and iam:ListAccessKeys."""

    account: str
    user: str | None = None
    user_arn: str | None = None
    status: str | None = Field(default=None, description="Active or Inactive, when the key still exists.")
    created: datetime | None = None
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None
    lookup_error: str | None = Field(default=None, description="Error code of a lookup that failed.")


class Followed(Record):
    """A principal or key the leaked key created, followed one level: what it can do and what it did."""

    kind: str = Field(description="user, role or access key.")
    name: str = Field(description="The user or role name, or the access key masked.")
    user: str | None = Field(default=None, description="The user an access key or console password belongs to.")
    created_at: datetime
    created_by: str = Field(description="The eventID of the call that created it.")
    blast_radius: BlastRadius | None = None
    activity: KeyActivity | None = None
    note: str | None = Field(default=None, description="Why something could not be followed.")


class ChecklistStep(Record):
    """One containment step, in the order to take them, with the exact commands (printed, never run)."""

    title: str
    why: str
    commands: list[str] = Field(default_factory=list)


class Window(Record):
    days: int
    start: datetime
    end: datetime


class Tool(Record):
    name: str = "auditpack"
    version: str


class Run(Record):
    id: str
    started_at: datetime
    finished_at: datetime
    identity: str = Field(description="ARN of the identity that ran the investigation.")


class Incident(Record):
    """Everything ``auditpack incident`` found about one reported key: what ``incident.json`` holds."""

    schema_version: str = INCIDENT_SCHEMA_VERSION
    tool: Tool
    run: Run
    key: str = Field(description="The reported access key, masked.")
    fingerprint: str = Field(description="Keyed fingerprint of the key id, to match it with scan findings.")
    owner: KeyOwner
    window: Window
    regions: list[str] = Field(description="Regions whose event history was read.")
    trail_logs: str | None = Field(default=None, description="The trail log location read (s3://bucket/prefix).")
    blast_radius: BlastRadius
    activity: KeyActivity
    followed: list[Followed] = Field(default_factory=list)
    timeline: list[ActivityEvent] = Field(default_factory=list, description="Every event of the key and of what "
                                          "it created, oldest first.")
    checklist: list[ChecklistStep] = Field(default_factory=list)
    verdict: Verdict
    unread: list[str] = Field(default_factory=list, description="Everything that could not be read, in words.")
