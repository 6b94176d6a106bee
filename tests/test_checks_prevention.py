"""Unit tests of the prevention checks (least privilege beyond users, exposure, alerting) over real-shaped
inputs: authorization details pages, trust and resource policies, credential report rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from auditpack.models import Status
from auditpack.resources.iam import CredentialReportRow, roles, users
from tests.helpers import inventory_of, run_check_on

ACCT = "123456789012"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "*"}]}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def trust(principal: Any, condition: dict[str, Any] | None = None, action: str = "sts:AssumeRole") -> dict:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        stmt["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [stmt]}


def role(name: str, *, trust_policy: dict | None = None, inline: dict | None = None, attached: tuple[str, ...] = (),
         path: str = "/", boundary: str | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "RoleName": name, "Path": path, "Arn": f"arn:aws:iam::{ACCT}:role{path}{name}",
        "AssumeRolePolicyDocument": trust_policy or EC2_TRUST,
        "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": inline}] if inline else [],
        "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in attached],
    }
    if boundary:
        raw["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    return raw


def managed(arn: str, document: dict) -> dict[str, Any]:
    return {"Arn": arn, "PolicyName": arn.rsplit("/", 1)[-1],
            "PolicyVersionList": [{"Document": document, "IsDefaultVersion": True, "VersionId": "v1"}]}


def role_inventory(*raw_roles: dict[str, Any], policies: tuple[dict[str, Any], ...] = ()):
    pages = [{"RoleDetailList": list(raw_roles), "Policies": list(policies)}]
    return inventory_of(types={"iam.roles": roles(pages, account=ACCT, evidence=("evidence/gaad.json",))},
                        regions=("us-east-1",))


def by_name(results):
    return {r.resource.name: r for r in results}


# --- iam_role_no_admin ---------------------------------------------------------------------------------------


def test_roles_with_admin_documents_fail_unless_approved_and_service_linked_roles_are_not_judged():
    admin_arn = f"arn:aws:iam::{ACCT}:policy/Ops"
    boundary_arn = f"arn:aws:iam::{ACCT}:policy/Boundary"
    inv = role_inventory(
        role("deployer", attached=(admin_arn,)),
        role("reader", inline=READ_ONLY),
        role("bounded", inline=ALLOW_ALL, boundary=boundary_arn),
        role("OrganizationAccountAccessRole", inline=ALLOW_ALL),
        role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/", inline=ALLOW_ALL),
        role("not-action", inline={"Statement": {"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"}}),
        role("missing", attached=("arn:aws:iam::aws:policy/AdministratorAccess",)),
        policies=(managed(admin_arn, ALLOW_ALL), managed(boundary_arn, READ_ONLY)))
    results = by_name(run_check_on("iam_role_no_admin", inv))
    assert results["deployer"].status is Status.FAIL and "managed policy" in results["deployer"].message
    assert results["reader"].status is Status.PASS
    assert results["bounded"].status is Status.PASS and "boundary" in results["bounded"].message
    approved = results["OrganizationAccountAccessRole"]
    assert approved.status is Status.PASS and "privileged_roles" in approved.message
    assert results["AWSServiceRoleForSupport"].status is Status.NOT_APPLICABLE
    assert results["not-action"].status is Status.FAIL, "every action but one, IAM included, is administration"
    assert results["missing"].status is Status.ERROR, "a policy whose document is missing is never a pass"


def test_approved_privileged_roles_come_from_the_parameter_with_wildcards():
    inv = role_inventory(role("AWSReservedSSO_Admin_0123abcd", inline=ALLOW_ALL),
                         role("OrganizationAccountAccessRole", inline=ALLOW_ALL))
    results = by_name(run_check_on("iam_role_no_admin", inv, privileged_roles=["AWSReservedSSO_Admin_*"]))
    assert results["AWSReservedSSO_Admin_0123abcd"].status is Status.PASS
    assert results["OrganizationAccountAccessRole"].status is Status.FAIL


# --- iam_role_trust_not_public --------------------------------------------------------------------------------


def test_trust_policies_open_to_anyone_fail_and_restricted_ones_pass():
    github = f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"
    web = "sts:AssumeRoleWithWebIdentity"
    inv = role_inventory(
        role("star", trust_policy=trust("*")),
        role("aws-star", trust_policy=trust({"AWS": "*"})),
        role("external-id", trust_policy=trust({"AWS": "*"}, {"StringEquals": {"sts:ExternalId": "x-123"}})),
        role("org-only", trust_policy=trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})),
        role("mfa-only", trust_policy=trust({"AWS": "*"}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        role("partner", trust_policy=trust({"AWS": "arn:aws:iam::210987654321:root"})),
        role("gha-open", trust_policy=trust({"Federated": github}, {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}, web)),
        role("gha-pinned", trust_policy=trust({"Federated": github}, {
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}, web)),
        role("service", trust_policy=EC2_TRUST))
    results = by_name(run_check_on("iam_role_trust_not_public", inv))
    failing = {name for name, r in results.items() if r.status is Status.FAIL}
    assert failing == {"star", "aws-star", "mfa-only", "gha-open"}, "MFA does not say who the caller is"
    assert "sts:ExternalId" in results["star"].message
    assert "token.actions.githubusercontent.com:sub" in results["gha-open"].message


# --- iam_user_no_attached_policies ----------------------------------------------------------------------------


def test_users_with_policies_of_their_own_fail():
    pages = [{"UserDetailList": [
        {"UserName": "alice", "Arn": f"arn:aws:iam::{ACCT}:user/alice", "GroupList": ["devs"],
         "UserPolicyList": [], "AttachedManagedPolicies": []},
        {"UserName": "bob", "Arn": f"arn:aws:iam::{ACCT}:user/bob", "GroupList": [],
         "UserPolicyList": [{"PolicyName": "extra", "PolicyDocument": READ_ONLY}],
         "AttachedManagedPolicies": [{"PolicyName": "Deploy", "PolicyArn": f"arn:aws:iam::{ACCT}:policy/Deploy"}]},
    ]}]
    inv = inventory_of(types={"iam.users": users(pages, account=ACCT, evidence=())}, regions=("us-east-1",))
    results = by_name(run_check_on("iam_user_no_attached_policies", inv))
    assert results["alice"].status is Status.PASS and "devs" in results["alice"].message
    assert results["bob"].status is Status.FAIL
    assert "inline policy extra" in results["bob"].message and "managed policy Deploy" in results["bob"].message


# --- iam_user_console_unused ----------------------------------------------------------------------------------


def report_row(user: str, *, password: bool = True, used_days: int | None = None, set_days: int | None = None,
               now: datetime) -> CredentialReportRow:
    return CredentialReportRow(
        arn=f"arn:aws:iam::{ACCT}:user/{user}", name=user, account=ACCT, region="global", user=user,
        created=now - timedelta(days=400), password_enabled=password,
        password_last_used=now - timedelta(days=used_days) if used_days is not None else None,
        password_last_changed=now - timedelta(days=set_days) if set_days is not None else None)


def test_console_passwords_unused_beyond_the_limit_fail():
    inv = inventory_of(regions=("us-east-1",))
    now = inv.collected_at
    inv.add("iam.credential_report", ACCT, "global", [
        report_row("active", used_days=3, now=now),
        report_row("departed", used_days=200, now=now),
        report_row("new-joiner", set_days=5, now=now),
        report_row("never", set_days=150, now=now),
        report_row("no-password", password=False, now=now)])
    results = by_name(run_check_on("iam_user_console_unused", inv))
    assert {n: r.status for n, r in results.items()} == {
        "active": Status.PASS, "departed": Status.FAIL, "new-joiner": Status.PASS, "never": Status.FAIL,
        "no-password": Status.NOT_APPLICABLE}
    assert "200 days ago" in results["departed"].message
    assert "never signed in" in results["never"].message
    assert run_check_on("iam_user_console_unused", inv, credential_inactive_days=365)[1].status is Status.PASS




# --- lambda_url_auth_required -----------------------------------------------------------------------------


def _function_url(name: str, auth: str, role: str | None = None):
    from auditpack.resources.awslambda import FunctionUrl

    arn = f"arn:aws:lambda:us-east-1:{ACCT}:function:{name}"
    return FunctionUrl(arn=arn, name=name, account=ACCT, region="us-east-1", url=f"https://{name}.lambda-url",
                       url_arn=arn, auth_type=auth, role=role)


def test_a_public_url_is_critical_when_any_secret_source_of_the_function_holds_a_secret():
    """The verdict may come from any source keyed to the function's ARN: a code-package source added later
    (here ``lambda.code``, which no collector makes yet) is read without a change to the check."""
    from auditpack.resources.secret_source import Category, Detection, SecretScan

    leak = Detection(field="file config.py", kind="a password", category=Category.CREDENTIAL,
                     detector="auditpack:test", masked="********", fingerprint="hmac-sha256:00")
    urls = [_function_url("leaky", "NONE"), _function_url("plain", "NONE"), _function_url("iam", "AWS_IAM")]
    inv = inventory_of(types={"lambda.function_urls": urls, "lambda.code": [urls[0]]}, regions=("us-east-1",))
    inv.verdicts[("lambda.code", urls[0].arn)] = SecretScan(detections=(leak,))
    results = by_name(run_check_on("lambda_url_auth_required", inv))
    assert results["leaky"].status is Status.FAIL and results["leaky"].severity == "critical"
    assert "a password in file config.py" in results["leaky"].message
    assert results["plain"].status is Status.FAIL and results["plain"].severity is None, "the check's own: high"
    assert results["iam"].status is Status.PASS


def test_a_public_url_is_critical_when_the_functions_role_is_admin_equivalent():
    admin = role("fn-admin", inline=ALLOW_ALL, trust_policy=EC2_TRUST)
    pages = [{"RoleDetailList": [admin]}]
    url = _function_url("api", "NONE", role=admin["Arn"])
    inv = inventory_of(types={"lambda.function_urls": [url],
                              "iam.roles": roles(pages, account=ACCT, evidence=("evidence/gaad.json",))},
                       regions=("us-east-1",))
    [result] = run_check_on("lambda_url_auth_required", inv)
    assert result.severity == "critical" and "role fn-admin is admin-equivalent" in result.message
    assert "evidence/gaad.json" in result.evidence


def test_the_execution_role_is_context_collected_but_not_a_service_the_url_check_judges():
    """``--service iam`` selects checks that judge IAM resources; the URL check only looks the role up."""
    from auditpack.library.checks import load_checks
    from auditpack.resources.base import permissions_for

    spec = load_checks()["lambda_url_auth_required"]
    assert spec.services == ("lambda",)
    assert "iam.roles" in spec.resources and spec.context == ("iam.roles",)
    assert "iam:GetAccountAuthorizationDetails" in permissions_for(spec.resources)
