"""Secrets Manager: secrets rotate automatically, have rotated recently, and are still in use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.inventory import InventoryView
from auditpack.resources.secretsmanager import Secret

DAYS = {"type": "integer", "min": 1, "max": 3650}


def _days(view: InventoryView, then: Any) -> int:
    return max(0, (view.now - then).days)


def _schedule(secret: Secret) -> str:
    if secret.rotation_days:
        return f"every {secret.rotation_days} days"
    return secret.rotation_schedule or "on an unstated schedule"


@check(
    id="secretsmanager_rotation_enabled",
    title="Secrets Manager secrets rotate automatically",
    problem="Secrets Manager secrets do not rotate automatically",
    resources=["secretsmanager.secrets"],
    severity="medium",
    remediation="Turn on automatic rotation for the secret with a rotation function (or a managed rotation "
    "for supported services) and a schedule no longer than the organization's rotation period.",
    scope="region",
)
def secretsmanager_rotation_enabled(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every secret has automatic rotation turned on, so a leaked value stops working without anyone
    having to remember to change it."""
    for secret in view.get("secretsmanager.secrets"):
        if secret.rotation_enabled:
            yield Result.of(Status.PASS, secret, f"Secret {secret.name} rotates automatically {_schedule(secret)}.")
        else:
            yield Result.of(Status.FAIL, secret, f"Secret {secret.name} ({secret.region}) has no automatic "
                            "rotation.")


@check(
    id="secretsmanager_rotated_within",
    title="Secrets Manager secrets were rotated within the allowed age",
    problem="Secrets Manager secrets are older than the allowed rotation age",
    resources=["secretsmanager.secrets"],
    severity="medium",
    remediation="Rotate the secret now (RotateSecret) and fix the rotation function if a scheduled rotation "
    "was missed; check its CloudWatch logs for the failure.",
    params={"secret_max_age_days": {**DAYS, "default": 90}},
    scope="region",
)
def secretsmanager_rotated_within(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every secret was last rotated (or, if never rotated, created) within ``secret_max_age_days``, and its
    next scheduled rotation is not in the past: a date in the past means rotation is failing or stalled."""
    limit = params["secret_max_age_days"]
    for secret in view.get("secretsmanager.secrets"):
        since = secret.last_rotated or secret.created
        details = {"last_rotated": secret.last_rotated.isoformat() if secret.last_rotated else None,
                   "created": secret.created.isoformat() if secret.created else None,
                   "next_rotation": secret.next_rotation.isoformat() if secret.next_rotation else None,
                   "max_age_days": limit}
        problems = []
        if since is None:
            problems.append("has no known rotation or creation date")
            age_text = ""
        else:
            age = _days(view, since)
            details["age_days"] = age
            age_text = (f"was last rotated {age} days ago" if secret.last_rotated
                        else f"has never been rotated since its creation {age} days ago")
            if age > limit:
                problems.append(f"{age_text}, beyond the {limit}-day limit")
        if secret.rotation_enabled and secret.next_rotation is not None and secret.next_rotation < view.now:
            problems.append(f"its next scheduled rotation ({secret.next_rotation:%Y-%m-%d}) is "
                            f"{_days(view, secret.next_rotation)} days overdue")
        if problems:
            yield Result.of(Status.FAIL, secret, f"Secret {secret.name} {'; '.join(problems)}.", details=details)
        else:
            nxt = f"; next rotation {secret.next_rotation:%Y-%m-%d}" if secret.next_rotation else ""
            yield Result.of(Status.PASS, secret, f"Secret {secret.name} {age_text}, within the {limit}-day "
                            f"limit{nxt}.", details=details)


@check(
    id="secretsmanager_unused",
    title="Secrets Manager secrets are still in use",
    problem="Secrets Manager secrets are no longer used",
    resources=["secretsmanager.secrets"],
    severity="low",
    remediation="Confirm with the owner that the secret is no longer needed, then delete it (with a recovery "
    "window); an unused credential is one more thing to leak.",
    params={"credential_inactive_days": {**DAYS, "default": 90}},
    scope="region",
)
def secretsmanager_unused(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every secret was read within ``credential_inactive_days``; a secret never read counts from its
    creation. AWS records only the day of the last access, so ages are whole days."""
    limit = params["credential_inactive_days"]
    for secret in view.get("secretsmanager.secrets"):
        details = {"last_accessed": secret.last_accessed.isoformat() if secret.last_accessed else None,
                   "inactive_days": limit}
        if secret.last_accessed is not None:
            days = _days(view, secret.last_accessed)
            text = f"was last accessed {days} days ago"
        elif secret.created is not None:
            days = _days(view, secret.created)
            text = f"has never been accessed since its creation {days} days ago"
        else:
            days, text = limit + 1, "has no known access or creation date"
        details["idle_days"] = days
        status = Status.FAIL if days > limit else Status.PASS
        yield Result.of(status, secret, f"Secret {secret.name} {text} (limit {limit} days).", details=details)
