"""Service control policies: the organization's ceiling on what any identity of a member account may do.

Only the organization's management account (or a delegated administrator) can read them, so they are read
once, there, for every account of the organization: the policies of type SERVICE_CONTROL_POLICY with their
documents and targets, and the tree of organizational units. Each account gets its chain, one level per
node from the root down to the account itself; at each level some attached policy must allow an action, and
a Deny anywhere denies it (``iam_policy.Permissions``). SCPs never apply to the management account itself,
nor anywhere while the SCP policy type is disabled at the root. Other accounts read nothing here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, ClassVar

from auditpack.resources.base import AwsResource, Reader, collector
from auditpack.resources.iam import PolicyDocument, as_document

SCP = "SERVICE_CONTROL_POLICY"
PERMISSIONS = ("organizations:DescribeOrganization", "organizations:ListRoots", "organizations:ListPolicies",
               "organizations:DescribePolicy", "organizations:ListTargetsForPolicy",
               "organizations:ListOrganizationalUnitsForParent", "organizations:ListAccountsForParent")


class ServiceControlPolicies(AwsResource):
    """The SCPs above one account of the organization, read from its management account."""

    cfn_type: ClassVar[str] = "AWS::Organizations::Account"

    target_account: str
    management_account: str
    enabled: bool  # the SCP policy type is enabled at the root
    levels: tuple[tuple[PolicyDocument, ...], ...] = ()  # root first, the account last

    @property
    def applies(self) -> bool:
        return self.enabled and self.target_account != self.management_account


def _walk(ctx: Reader, root: str) -> dict[str, list[str]]:
    """Every account's path of nodes from the root (root, OUs..., the account)."""
    paths: dict[str, list[str]] = {}
    todo = [(root, [root])]
    while todo:
        parent, path = todo.pop()
        for page in ctx.paginate("organizations", "list_accounts_for_parent", ParentId=parent):
            for account in page.data.get("Accounts", []):
                paths[account["Id"]] = [*path, account["Id"]]
        for page in ctx.paginate("organizations", "list_organizational_units_for_parent", ParentId=parent):
            for unit in page.data.get("OrganizationalUnits", []):
                todo.append((unit["Id"], [*path, unit["Id"]]))
    return paths


def read_organization(ctx: Reader) -> tuple[str | None, list[ServiceControlPolicies]]:
    """The organization's management account (None: the account is in no organization), and every account's
    SCP chain when ``ctx`` is that management account (nothing otherwise: other accounts cannot read them)."""
    org = ctx.call("organizations", "describe_organization", in_region=ctx.home_region,
                   absent=("AWSOrganizationsNotInUseException",))
    organization = org.data.get("Organization") or {}
    management = organization.get("MasterAccountId")
    if org.absent or management != ctx.account:
        return (None if org.absent else management), []
    refs = [org.evidence]
    roots = ctx.call("organizations", "list_roots", in_region=ctx.home_region)
    refs.append(roots.evidence)
    [root] = roots.data["Roots"][:1]
    enabled = any(t.get("Type") == SCP and t.get("Status") == "ENABLED" for t in root.get("PolicyTypes", []))
    attached: dict[str, list[PolicyDocument]] = defaultdict(list)
    for page in ctx.paginate("organizations", "list_policies", Filter=SCP):
        refs.append(page.evidence)
        for summary in page.data.get("Policies", []):
            policy = ctx.call("organizations", "describe_policy", in_region=ctx.home_region, PolicyId=summary["Id"])
            refs.append(policy.evidence)
            content: Any = policy.data.get("Policy", {}).get("Content")
            for targets in ctx.paginate("organizations", "list_targets_for_policy", PolicyId=summary["Id"]):
                refs.append(targets.evidence)
                for target in targets.data.get("Targets", []):
                    attached[target["TargetId"]].append(PolicyDocument(
                        source=f"service control policy {summary.get('Name', summary['Id'])} on {target['TargetId']}",
                        document=as_document(content)))
    org_id = organization.get("Id", "")
    return management, [ServiceControlPolicies(
        arn=f"arn:{ctx.partition}:organizations::{management}:account/{org_id}/{account}", name=account,
        account=ctx.account, region=ctx.region, evidence=tuple(refs), target_account=account,
        management_account=management, enabled=enabled,
        levels=tuple(tuple(attached.get(node, [])) for node in path),
    ) for account, path in sorted(_walk(ctx, root["Id"]).items())]


@collector("organizations.service_control_policies", service="organizations", permissions=list(PERMISSIONS),
           regional=False)
def service_control_policies(ctx: Reader) -> list[ServiceControlPolicies]:
    """One chain per account of the organization, from its management account; other accounts read one call."""
    return read_organization(ctx)[1]
