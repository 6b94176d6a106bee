"""KMS keys: who manages each, what kind of key it is, and whether its material rotates automatically.

``GetKeyRotationStatus`` is only asked of keys where rotation applies (enabled, customer-managed, symmetric,
AWS-generated material): AWS refuses it for other kinds, and the answer would not change a verdict.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.iam import as_document

AWS_ALIAS_PREFIX = "alias/aws/"  # reserved: only AWS creates these aliases, for its managed keys


class KmsKey(AwsResource):
    cfn_type: ClassVar[str] = "AWS::KMS::Key"

    key_id: str
    key_manager: str  # CUSTOMER or AWS
    key_state: str
    key_spec: str
    origin: str
    aliases: tuple[str, ...] = ()
    rotation_enabled: bool | None = None  # None: not asked, because rotation does not apply
    rotation_period_days: int | None = None

    @property
    def aws_managed(self) -> bool:
        """AWS manages the key if KMS says so, or if it carries an alias only AWS can create."""
        return self.key_manager == "AWS" or any(a.startswith(AWS_ALIAS_PREFIX) for a in self.aliases)

    @property
    def rotation_exemption(self) -> str | None:
        """Why automatic rotation does not apply to this key, or None when it does."""
        if self.aws_managed:
            return "it is an AWS-managed key, which AWS rotates itself"
        if self.key_state in ("PendingDeletion", "PendingReplicaDeletion"):
            return "it is pending deletion"
        if self.key_state != "Enabled":
            return f"it is {self.key_state.lower() or 'not enabled'}"
        if self.key_spec.startswith("HMAC"):
            return f"it is an HMAC key ({self.key_spec}), which KMS cannot rotate automatically"
        if self.key_spec != "SYMMETRIC_DEFAULT":
            return f"it is an asymmetric key ({self.key_spec}), which KMS cannot rotate automatically"
        if self.origin == "EXTERNAL":
            return "its key material is imported, which KMS cannot rotate automatically"
        if self.origin != "AWS_KMS":
            return (f"its key material lives in a custom key store ({self.origin}), "
                    "which KMS cannot rotate automatically")
        return None


@collector("kms.keys", service="kms",
           permissions=["kms:ListKeys", "kms:ListAliases", "kms:DescribeKey", "kms:GetKeyRotationStatus"])
def keys(ctx: Reader) -> list[KmsKey]:
    aliases: dict[str, list[str]] = {}
    alias_refs = []
    for page in ctx.paginate("kms", "list_aliases"):
        alias_refs.append(page.evidence)
        for alias in page.data.get("Aliases", []):
            if alias.get("TargetKeyId"):
                aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    out = []
    for page in ctx.paginate("kms", "list_keys"):
        for listed in page.data.get("Keys", []):
            described = ctx.call("kms", "describe_key", KeyId=listed["KeyId"])
            meta = described.data["KeyMetadata"]
            names = tuple(sorted(aliases.get(meta["KeyId"], [])))
            key = KmsKey(
                arn=meta["Arn"], name=names[0] if names else meta["KeyId"], account=ctx.account, region=ctx.region,
                evidence=(page.evidence, *alias_refs, described.evidence), key_id=meta["KeyId"],
                key_manager=meta.get("KeyManager", "CUSTOMER"), key_state=meta.get("KeyState", ""),
                key_spec=meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "",
                origin=meta.get("Origin", "AWS_KMS"), aliases=names,
            )
            if key.rotation_exemption is None:
                status = ctx.call("kms", "get_key_rotation_status", KeyId=key.key_id)
                key = key.model_copy(update={
                    "evidence": (*key.evidence, status.evidence),
                    "rotation_enabled": bool(status.data.get("KeyRotationEnabled")),
                    "rotation_period_days": status.data.get("RotationPeriodInDays"),
                })
            out.append(key)
    return out


class KeyPolicy(AwsResource):
    """A customer-managed key's policy (``default``, the only policy name KMS has)."""

    cfn_type: ClassVar[str] = "AWS::KMS::Key"

    key_id: str
    document: dict[str, Any] = Field(default_factory=dict)


@collector("kms.key_policies", service="kms", permissions=["kms:GetKeyPolicy"], needs=["kms.keys"])
def key_policies(ctx: Reader) -> list[KeyPolicy]:
    """One ``GetKeyPolicy`` per customer-managed key. AWS-managed keys are not asked: AWS writes their policies
    (open only through kms:ViaService and kms:CallerAccount) and nobody can change them."""

    def read(key: Any) -> KeyPolicy:
        reply = ctx.call("kms", "get_key_policy", KeyId=key.key_id, PolicyName="default")
        return KeyPolicy(arn=key.arn, name=key.name, account=ctx.account, region=ctx.region,
                         evidence=(reply.evidence,), key_id=key.key_id, document=as_document(reply.data.get("Policy")))

    return ctx.each(read, [k for k in ctx.need("kms.keys") if isinstance(k, KmsKey) and not k.aws_managed])
