"""How the reports say what a leaked key could do and what it did: words for each capability class, and the
assessment report's per-key view (IA-5(7)), built only from what ``auditpack.render.disclosure`` lets out.

The incident report and the assessment report use the same macros (``reports/leaks.html.j2``) and the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditpack.leak import BlastRadius, CapabilityGrant, KeyActivity
from auditpack.models import Finding
from auditpack.render.disclosure import leaked_key_facts
from auditpack.resources.iam_policy import CAPABILITIES

# One sentence per class, for a reader who does not read IAM actions.
CAPABILITY_WORDS = {
    "admin-equivalent": "do anything in the account, including granting itself more",
    "create-principals-or-keys": "create users, roles, access keys or passwords, or grant policies: stay in after "
                                 "the key is revoked",
    "pass-role": "hand a role to a service it launches, and act with that role's rights",
    "launch-compute": "launch instances, functions, containers or jobs: mining and bills",
    "read-secrets": "read Secrets Manager secrets and SSM parameters",
    "read-data": "read S3 objects and DynamoDB tables, copy RDS snapshots",
    "kms-decrypt": "decrypt data with KMS keys",
    "disable-logging-or-detection": "stop or delete CloudTrail, GuardDuty, Config or alarms: cover its tracks",
}


def grants(radius: BlastRadius | None) -> dict[str, CapabilityGrant]:
    return {c.name: c for c in radius.capabilities} if radius else {}


def can_do(radius: BlastRadius | None) -> str:
    """What a principal can do, in words: the whole account, or each class it holds."""
    held = grants(radius)
    if "admin-equivalent" in held:
        return CAPABILITY_WORDS["admin-equivalent"]
    return "; ".join(CAPABILITY_WORDS[name] for name in CAPABILITIES if name in held) or "none of the classes counted"


@dataclass(frozen=True)
class LeakedKeyView:
    """One leaked key as the IA-5(7) section shows it: where it leaked, what it can do, what it did."""

    key: str
    places: tuple[str, ...]  # the resources it was found in
    radius: BlastRadius | None
    activity: KeyActivity | None

    @property
    def principals(self) -> list[tuple[str, dict[str, CapabilityGrant]]]:
        label = (self.radius.principal or "its principal").rsplit(":", 1)[-1] if self.radius else "its principal"
        return [(label, grants(self.radius))]


def leaked_keys(findings: Iterable[Finding]) -> list[LeakedKeyView]:
    """Each leaked key once, from the failing findings that carry its blast radius or activity."""
    found: dict[str, tuple[list[str], BlastRadius | None, KeyActivity | None]] = {}
    for finding in findings:
        for key, radius, activity in leaked_key_facts(finding.details):
            places, known_radius, known_activity = found.get(key, ([], None, None))
            places.append(f"{finding.resource.name} ({finding.region}, {finding.account})")
            found[key] = (places, known_radius or radius, known_activity or activity)
    views = [LeakedKeyView(key, tuple(dict.fromkeys(p)), r, a) for key, (p, r, a) in found.items()]
    return sorted(views, key=lambda v: (-(v.activity.flagged_count if v.activity else 0), v.key))
