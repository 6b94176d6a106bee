"""KMS: customer-managed keys whose material AWS generates rotate automatically."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.inventory import InventoryView
from auditpack.resources.kms import KmsKey


@check(
    id="kms_cmk_rotation_enabled",
    title="Customer-managed KMS keys rotate automatically",
    problem="Customer-managed KMS keys do not rotate automatically",
    resources=["kms.keys"],
    severity="medium",
    remediation="Enable automatic key rotation on the key (EnableKeyRotation), optionally with a rotation "
    "period that matches the organization's cryptoperiod.",
    scope="region",
)
def kms_cmk_rotation_enabled(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """Every enabled, customer-managed, symmetric key with AWS-generated material has automatic rotation on.
    AWS-managed, asymmetric, HMAC, imported-material, custom-key-store, disabled and pending-deletion keys are
    not applicable, each with its reason."""
    for key in view.get("kms.keys"):
        assert isinstance(key, KmsKey)
        details = {"key_id": key.key_id, "key_manager": key.key_manager, "key_state": key.key_state,
                   "key_spec": key.key_spec, "origin": key.origin, "aliases": list(key.aliases),
                   "rotation_period_days": key.rotation_period_days}
        reason = key.rotation_exemption
        if reason is not None:
            yield Result.of(Status.NOT_APPLICABLE, key, f"Key {key.name}: rotation does not apply because "
                            f"{reason}.", details=details)
        elif key.rotation_enabled:
            period = f" every {key.rotation_period_days} days" if key.rotation_period_days else ""
            yield Result.of(Status.PASS, key, f"Key {key.name} rotates its material automatically{period}.",
                            details=details)
        else:
            yield Result.of(Status.FAIL, key, f"Key {key.name} ({key.region}) is a customer-managed symmetric key "
                            "without automatic rotation.", details=details)
