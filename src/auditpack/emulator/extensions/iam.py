"""IAM: the AWS managed policies an incident needs, and the authorization details AWS returns.

moto 5.2.5 loads no AWS managed policy unless ``MOTO_IAM_LOAD_MANAGED_POLICIES`` is set, and then every one of
its ~1,300 in each account, which ``GetAccountAuthorizationDetails`` lists whether attached or not. AWS lists
the AWS managed policies in use only. Without the variable, the emulator loads the few a leaked-key story needs
(AWS's compromised-key quarantine policies, which AWS attaches to a user whose key it found exposed, and
``AdministratorAccess``) from moto's own copy of AWS's documents; either way it lists only those attached.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from auditpack.emulator.extensions import extension

LOADED = ("AdministratorAccess", "AWSCompromisedKeyQuarantine", "AWSCompromisedKeyQuarantineV2",
          "AWSCompromisedKeyQuarantineV3")


@cache
def _documents() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    every = json.loads(aws_managed_policies_data)
    return {name: every[name] for name in LOADED}


@extension("iam-managed-policies", service="iam", operations=("AttachUserPolicy", "GetAccountAuthorizationDetails"),
           reason="moto 5.2.5 has no AWS managed policy (the compromised-key quarantine policies among them) unless "
           "it loads all of them, and then lists every one in GetAccountAuthorizationDetails, attached or not")
def install() -> None:
    from moto.iam.models import AWSManagedPolicy, IAMBackend
    from moto.settings import load_iam_aws_managed_policies

    every_policy = IAMBackend._init_aws_policies
    details = IAMBackend.get_account_authorization_details

    def init_aws_policies(self: Any) -> list[Any]:
        if load_iam_aws_managed_policies():
            return every_policy(self)
        return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                for name, data in _documents().items()]

    def get_account_authorization_details(self: Any, policy_filter: list[str]) -> dict[str, Any]:
        found = details(self, policy_filter)
        aws = set(self.aws_managed_policies)
        found["managed_policies"] = [p for p in found["managed_policies"] if p not in aws or p.attachment_count > 0]
        return found

    IAMBackend._init_aws_policies = init_aws_policies  # type: ignore[method-assign]
    IAMBackend.get_account_authorization_details = get_account_authorization_details  # type: ignore[method-assign]


@extension("iam-user-permissions-boundary", service="iam", operations=("PutUserPermissionsBoundary",),
           reason="moto 5.2.5 keeps permissions boundaries for roles only: PutUserPermissionsBoundary answers 500 "
           "and a user's authorization details carry no boundary")
def install_user_boundary() -> None:
    from moto.core.responses import EmptyResult
    from moto.iam.models import User
    from moto.iam.responses import IamResponse

    def permissions_boundary(self: Any) -> dict[str, str] | None:
        arn = getattr(self, "permissions_boundary_arn", None)
        return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn} if arn else None

    def put_user_permissions_boundary(self: Any) -> Any:
        user = self.backend.get_user(self._get_param("UserName"))
        self.backend.get_policy(self._get_param("PermissionsBoundary"))  # a missing policy is moto's own error
        user.permissions_boundary_arn = self._get_param("PermissionsBoundary")
        return EmptyResult()

    User.permissions_boundary = property(permissions_boundary)  # type: ignore[attr-defined]
    IamResponse.put_user_permissions_boundary = put_user_permissions_boundary  # type: ignore[attr-defined]
