"""Policy evaluation on real-shaped documents: AWS managed policies as AWS publishes them, denies, boundaries,
SCPs, NotAction and NotResource, conditions, and policies open to anyone."""

from __future__ import annotations

import pytest

from auditpack.resources.iam_policy import (
    ADMIN,
    CAPABILITIES,
    Permissions,
    action_matches,
    admin_equivalent,
    capabilities,
    evaluate,
    is_public,
    open_trust_grants,
    public_grants,
    restricting_conditions,
    statements,
)

ADMINISTRATOR_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
POWER_USER_ACCESS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                                   "organizations:DescribeOrganization", "account:ListRegions"], "Resource": "*"}]}
READ_ONLY_SAMPLE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*", "iam:Get*", "iam:List*"],
     "Resource": "*"}]}
DEPLOYER = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Deploy", "Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"],
     "Resource": "arn:aws:lambda:us-east-1:111122223333:function:app-*"},
    {"Sid": "PassTheRole", "Effect": "Allow", "Action": "iam:PassRole",
     "Resource": "arn:aws:iam::111122223333:role/app-runtime"},
    {"Sid": "ReadConfig", "Effect": "Allow", "Action": "ssm:GetParameter*",
     "Resource": "arn:aws:ssm:us-east-1:111122223333:parameter/app/*"}]}
DENY_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
FULL_AWS_ACCESS_SCP = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY_LEAVING_AND_LOGGING_OFF_SCP = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "cloudtrail:StopLogging",
                                  "cloudtrail:DeleteTrail", "guardduty:DeleteDetector"], "Resource": "*"}]}


def perms(*documents, boundary=None, scps=()) -> Permissions:
    """``scps``: one list of documents per level of the organization (root, OU, account)."""
    return Permissions.of([(f"policy {i}", doc) for i, doc in enumerate(documents)],
                          boundary=("permissions boundary", boundary) if boundary else None,
                          scps=[[(f"scp {n}.{i}", doc) for i, doc in enumerate(level)] for n, level in enumerate(scps)])


def names(held) -> set[str]:
    return {c.name for c in held}


@pytest.mark.parametrize(("pattern", "action", "match"), [
    ("*", "iam:CreateUser", True), ("*:*", "s3:GetObject", True), ("iam:*", "IAM:CreateUser", True),
    ("iam:Create*", "iam:CreateAccessKey", True), ("iam:Get?ser", "iam:GetUser", True),
    ("s3:Get*", "s3:ListBucket", False), ("ec2:*", "ec2messages:GetMessages", False),
])
def test_actions_match_as_iam_matches_them(pattern, action, match):
    assert action_matches(pattern, action) is match


def test_administrator_access_holds_every_capability():
    held = capabilities(perms(ADMINISTRATOR_ACCESS))
    assert names(held) == set(CAPABILITIES)
    admin = next(c for c in held if c.name == ADMIN)
    assert admin.granted_by == ("policy 0, statement 1",) and not admin.conditional


def test_power_user_access_launches_and_reads_but_cannot_make_users_or_pass_roles():
    held = names(capabilities(perms(POWER_USER_ACCESS)))
    assert {"launch-compute", "read-secrets", "read-data", "kms-decrypt", "disable-logging-or-detection"} <= held
    assert ADMIN not in held and "create-principals-or-keys" not in held and "pass-role" not in held


def test_read_only_reads_data_and_nothing_else():
    assert names(capabilities(perms(READ_ONLY_SAMPLE))) == {"read-data"}


def test_a_narrow_deployer_is_reported_with_the_statements_that_grant_it():
    held = {c.name: c for c in capabilities(perms(DEPLOYER))}
    assert set(held) == {"launch-compute", "pass-role", "read-secrets"}
    assert held["launch-compute"].actions == ("lambda:UpdateFunctionCode",)
    assert held["pass-role"].granted_by == ("policy 0, statement 'PassTheRole'",)
    assert held["read-secrets"].actions == ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
                                            "ssm:GetParameterHistory")


def test_an_explicit_deny_on_everything_leaves_nothing():
    assert capabilities(perms(ADMINISTRATOR_ACCESS, DENY_EVERYTHING)) == []
    decision = evaluate(perms(ADMINISTRATOR_ACCESS, DENY_EVERYTHING), "s3:GetObject")
    assert not decision.allowed and [s.source for s in decision.denied_by] == ["policy 1"]


def test_a_conditional_deny_does_not_count_as_blocking():
    deny_unless_mfa = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                      "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}
    assert ADMIN in names(capabilities(perms(ADMINISTRATOR_ACCESS, deny_unless_mfa)))


def test_a_conditional_allow_is_reported_as_conditional():
    from_office = {"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                                  "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}
    [pass_role] = capabilities(perms(from_office))
    assert pass_role.name == "pass-role" and pass_role.conditional


def test_a_permissions_boundary_caps_what_policies_allow():
    boundary = {"Statement": [{"Effect": "Allow", "Action": ["s3:*", "ec2:Describe*"], "Resource": "*"}]}
    held = names(capabilities(perms(ADMINISTRATOR_ACCESS, boundary=boundary)))
    assert held == {"read-data"}
    assert evaluate(perms(ADMINISTRATOR_ACCESS, boundary=boundary), "iam:CreateUser").capped_by == \
        "permissions boundary"


def test_service_control_policies_must_allow_at_every_level_and_their_denies_apply():
    guarded = [[FULL_AWS_ACCESS_SCP], [FULL_AWS_ACCESS_SCP, DENY_LEAVING_AND_LOGGING_OFF_SCP]]  # root, then an OU
    held = names(capabilities(perms(ADMINISTRATOR_ACCESS, scps=guarded)))
    assert "disable-logging-or-detection" in held, "UpdateTrail and others are still allowed"
    assert not evaluate(perms(ADMINISTRATOR_ACCESS, scps=guarded), "cloudtrail:StopLogging").allowed
    only_s3 = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    assert names(capabilities(perms(ADMINISTRATOR_ACCESS, scps=[[FULL_AWS_ACCESS_SCP], [only_s3]]))) == {"read-data"}
    assert evaluate(perms(ADMINISTRATOR_ACCESS, scps=[[only_s3]]), "iam:CreateUser").capped_by == \
        "service control policy"


def test_not_resource_and_not_action_are_read_as_the_rest():
    everything_but_one_bucket = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                "NotResource": "arn:aws:s3:::audit-logs/*"}]}
    assert evaluate(perms(everything_but_one_bucket), "s3:GetObject", "arn:aws:s3:::app/data.csv").allowed
    assert not evaluate(perms(everything_but_one_bucket), "s3:GetObject", "arn:aws:s3:::audit-logs/x").allowed
    all_but_kms = {"Statement": [{"Effect": "Allow", "NotAction": "kms:*", "Resource": "*"}]}
    held = names(capabilities(perms(all_but_kms)))
    assert ADMIN in held and "kms-decrypt" not in held


@pytest.mark.parametrize(("statement", "public"), [
    ({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}, True),
    ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}, True),
    ({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}, "Action": "s3:GetObject"},
     True),
    ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "7f3a"}}}, False),
    ({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
      "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}, False),
    ({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
      "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, True),  # transport is no restriction of who
    ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}, False),
    ({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}, False),
    ({"Effect": "Deny", "Principal": "*", "Action": "s3:*"}, False),
    ({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject"}, True),
])
def test_policies_open_to_anyone(statement, public):
    [stmt] = statements({"Statement": [statement]})
    assert is_public(stmt) is public


def test_the_restricting_condition_is_named():
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                             "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
                            {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*"}]}
    [open_one] = public_grants(policy, "resource policy")
    assert open_one.label == "resource policy, statement 'Open'"
    assert restricting_conditions(statements(policy)[0]) == ["aws:SourceAccount"]


# -- admin-equivalence as one capability, and trust policies open to strangers -----------------------------


def test_admin_equivalent_names_the_grant_and_respects_denies_and_boundaries():
    admin = {"Statement": [{"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
    held = admin_equivalent(Permissions.of([("inline policy ops", admin)]))
    assert held is not None and held.granted_by == ("inline policy ops, statement 'All'",)
    deny_iam = {"Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    assert admin_equivalent(Permissions.of([("a", admin), ("b", deny_iam)])) is None
    boundary = ("boundary", {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    assert admin_equivalent(Permissions.of([("a", admin)], boundary=boundary)) is None


def test_open_trust_grants_cover_star_and_open_identity_providers_only():
    def trust(principal, condition=None, action="sts:AssumeRole"):
        stmt = {"Effect": "Allow", "Principal": principal, "Action": action}
        if condition:
            stmt["Condition"] = condition
        return {"Statement": [stmt]}

    gitlab = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
    web = "sts:AssumeRoleWithWebIdentity"
    assert open_trust_grants(trust("*"))
    assert open_trust_grants(trust({"AWS": ["arn:aws:iam::111122223333:root", "*"]}))
    assert not open_trust_grants(trust({"AWS": "*"}, {"StringEquals": {"sts:ExternalId": "x"}}))
    assert not open_trust_grants(trust("*", action="sts:TagSession")), "only assuming the role counts"
    assert open_trust_grants(trust({"Federated": gitlab}, {"StringEquals": {"gitlab.com:aud": "x"}}, web))
    assert not open_trust_grants(trust({"Federated": gitlab}, {"StringLike": {"gitlab.com:sub": "project_path:a/*"}},
                                       web))
    corporate = "arn:aws:iam::123456789012:saml-provider/Okta"
    assert not open_trust_grants(trust({"Federated": corporate}, action="sts:AssumeRoleWithSAML"))
