"""Secrets Manager secrets with their rotation and access dates, all from the listing, and their policies.

``ListSecrets`` already carries rotation settings and the last rotated, last accessed and next rotation dates,
so no per-secret call is made for them; the listing never contains secret values. Resource policies are not
in the listing: ``secretsmanager.secret_policies`` reads them, one call per secret, only when a check needs them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.iam import as_document


class Secret(AwsResource):
    cfn_type: ClassVar[str] = "AWS::SecretsManager::Secret"

    rotation_enabled: bool = False
    rotation_days: int | None = None
    rotation_schedule: str | None = None
    created: datetime | None = None
    last_rotated: datetime | None = None
    last_accessed: datetime | None = None  # AWS keeps only the day of last access
    next_rotation: datetime | None = None


def secret_from_listing(raw: dict[str, Any], *, account: str, region: str, evidence: tuple[str, ...]) -> Secret:
    rules = raw.get("RotationRules") or {}
    return Secret(
        arn=raw["ARN"], name=raw.get("Name", raw["ARN"]), account=account, region=region, evidence=evidence,
        rotation_enabled=bool(raw.get("RotationEnabled")),
        rotation_days=rules.get("AutomaticallyAfterDays"),
        rotation_schedule=rules.get("ScheduleExpression"),
        created=raw.get("CreatedDate"),
        last_rotated=raw.get("LastRotatedDate"),
        last_accessed=raw.get("LastAccessedDate"),
        next_rotation=raw.get("NextRotationDate"),
    )


@collector("secretsmanager.secrets", service="secretsmanager", permissions=["secretsmanager:ListSecrets"])
def secrets(ctx: Reader) -> list[Secret]:
    out = []
    for page in ctx.paginate("secretsmanager", "list_secrets"):
        for raw in page.data.get("SecretList", []):
            out.append(secret_from_listing(raw, account=ctx.account, region=ctx.region, evidence=(page.evidence,)))
    return out


class SecretPolicy(AwsResource):
    """A secret's resource policy (``document`` empty when it has none): who else may read the secret."""

    cfn_type: ClassVar[str] = "AWS::SecretsManager::Secret"

    document: dict[str, Any] = Field(default_factory=dict)


@collector("secretsmanager.secret_policies", service="secretsmanager",
           permissions=["secretsmanager:GetResourcePolicy"], needs=["secretsmanager.secrets"])
def secret_policies(ctx: Reader) -> list[SecretPolicy]:
    """One ``GetResourcePolicy`` per secret: the listing carries no policy. The response holds the policy
    only, never the secret's value."""

    def read(secret: Any) -> SecretPolicy:
        reply = ctx.call("secretsmanager", "get_resource_policy", SecretId=secret.arn)
        return SecretPolicy(arn=secret.arn, name=secret.name, account=ctx.account, region=ctx.region,
                            evidence=(reply.evidence,), document=as_document(reply.data.get("ResourcePolicy")))

    return ctx.each(read, ctx.need("secretsmanager.secrets"))
