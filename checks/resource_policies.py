"""Resource policies open to anyone: secrets and KMS keys whose own policy lets ``*`` in.

A resource policy is evaluated by AWS in addition to identity policies, and for another account's caller it
is the only grant needed: a statement with ``Principal`` ``*`` and no condition that restricts who the caller
is (``aws:PrincipalOrgID``, ``aws:SourceAccount``, ``kms:CallerAccount``...) opens the secret or the key to
every AWS account. Both checks use the one policy module (``iam_policy.public_grants``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import Status
from auditpack.resources.iam_policy import Statement, allowed_actions, public_grants
from auditpack.resources.inventory import InventoryView


def _grants(stmts: list[Statement]) -> str:
    return "; ".join(f"{s.label} allows {allowed_actions(s)}" for s in stmts)


def _judge(resource: Any, what: str, document: dict[str, Any]) -> Result:
    open_stmts = public_grants(document, "resource policy")
    details = {"public_statements": [s.label for s in open_stmts], "has_policy": bool(document)}
    if open_stmts:
        return Result.of(Status.FAIL, resource, f"{what} is open to any AWS principal: {_grants(open_stmts)}, with "
                         "no condition restricting who the caller is.", details=details)
    if not document:
        return Result.of(Status.PASS, resource, f"{what} has no resource policy: only identities of its own "
                         "account that IAM allows can use it.", details=details)
    return Result.of(Status.PASS, resource, f"{what}'s resource policy grants nothing to anyone (*) without a "
                     "restricting condition.", details=details)


@check(
    id="secretsmanager_policy_not_public",
    title="No Secrets Manager secret has a resource policy open to anyone",
    problem="Secrets Manager secrets have resource policies open to anyone",
    resources=["secretsmanager.secret_policies"],
    severity="critical",
    remediation="Replace Principal * in the secret's resource policy with the accounts or roles that need the "
    "secret, or add a condition such as aws:PrincipalOrgID; then rotate the secret, since anyone may have read "
    "it (BlockPublicPolicy on PutResourcePolicy refuses such policies in future).",
    scope="region",
)
def secretsmanager_policy_not_public(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """No secret's resource policy allows any principal (``*``) without a condition restricting who the caller
    is; a secret without a resource policy passes."""
    for policy in view.get("secretsmanager.secret_policies"):
        yield _judge(policy, f"Secret {policy.name}", policy.document)


@check(
    id="kms_key_policy_not_public",
    title="No customer-managed KMS key has a key policy open to anyone",
    problem="Customer-managed KMS keys have key policies open to anyone",
    resources=["kms.key_policies"],
    severity="critical",
    remediation="Replace Principal * in the key policy with the account (arn:aws:iam::<account>:root) and the "
    "roles that use the key, or add kms:CallerAccount / aws:PrincipalOrgID conditions.",
    scope="region",
)
def kms_key_policy_not_public(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """No customer-managed key's policy allows any principal (``*``) without a condition restricting who the
    caller is (``kms:CallerAccount``, ``kms:ViaService``, ``aws:PrincipalOrgID``...). AWS-managed keys are not
    read: AWS writes their policies."""
    for policy in view.get("kms.key_policies"):
        yield _judge(policy, f"Key {policy.name}", policy.document)
