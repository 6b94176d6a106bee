"""Pure tests of the exposure, resource-policy and alerting checks: each weakness beside its compliant twin,
over models shaped as the collectors fill them, and every "what is missing" sentence the alert checks give."""

from __future__ import annotations

from typing import Any

from auditpack.models import Status
from auditpack.resources.alerting import Alarm, EventRule, MetricFilter, Subscription
from auditpack.resources.budgets import Budget, BudgetNotification
from auditpack.resources.cloudtrail import Trail
from auditpack.resources.config import ConfigSetup, DeliveryChannel, Recorder
from auditpack.resources.ec2 import MetadataDefaults
from auditpack.resources.ec2_userdata import LaunchTemplate
from auditpack.resources.kms import KeyPolicy
from auditpack.resources.s3 import SETTINGS, AccountPublicAccessBlock, AclGrant, Bucket, PublicAccessBlock
from auditpack.resources.secretsmanager import SecretPolicy
from tests.helpers import inventory_of, run_check_on

ACCT = "123456789012"
R = "us-east-1"
ALL_ON = PublicAccessBlock(configured=True, settings=dict.fromkeys(SETTINGS, True))


def common(name: str, arn: str, region: str = R) -> dict[str, Any]:
    return {"arn": arn, "name": name, "account": ACCT, "region": region, "evidence": (f"evidence/{name}.json",)}


def by_name(results):
    return {r.resource.name: r for r in results}


def policy(principal: Any, condition: dict[str, Any] | None = None, action: str = "*") -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}
    if condition:
        stmt["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [stmt]}


# --- resource policies ------------------------------------------------------------------------------------


def test_secret_and_key_policies_open_to_anyone_fail_and_restricted_twins_pass():
    org = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
    secrets = [
        SecretPolicy(**common("open", f"arn:aws:secretsmanager:{R}:{ACCT}:secret:open"),
                     document=policy("*", action="secretsmanager:GetSecretValue")),
        SecretPolicy(**common("org", f"arn:aws:secretsmanager:{R}:{ACCT}:secret:org"),
                     document=policy("*", org, "secretsmanager:GetSecretValue")),
        SecretPolicy(**common("none", f"arn:aws:secretsmanager:{R}:{ACCT}:secret:none")),
    ]
    keys = [
        KeyPolicy(**common("alias/open", f"arn:aws:kms:{R}:{ACCT}:key/1"), key_id="1",
                  document=policy({"AWS": "*"}, action="kms:Decrypt")),
        KeyPolicy(**common("alias/own", f"arn:aws:kms:{R}:{ACCT}:key/2"), key_id="2",
                  document=policy({"AWS": f"arn:aws:iam::{ACCT}:root"}, action="kms:*")),
        KeyPolicy(**common("alias/caller", f"arn:aws:kms:{R}:{ACCT}:key/3"), key_id="3",
                  document=policy({"AWS": "*"}, {"StringEquals": {"kms:CallerAccount": ACCT}}, "kms:Decrypt")),
    ]
    inv = inventory_of(types={"secretsmanager.secret_policies": secrets, "kms.key_policies": keys}, regions=(R,))
    s = by_name(run_check_on("secretsmanager_policy_not_public", inv))
    assert {n: r.status for n, r in s.items()} == {"open": Status.FAIL, "org": Status.PASS, "none": Status.PASS}
    assert "secretsmanager:GetSecretValue" in s["open"].message and "no resource policy" in s["none"].message
    k = by_name(run_check_on("kms_key_policy_not_public", inv))
    assert {n: r.status for n, r in k.items()} == {
        "alias/open": Status.FAIL, "alias/own": Status.PASS, "alias/caller": Status.PASS}


# --- S3 ---------------------------------------------------------------------------------------------------


def account_block(block: PublicAccessBlock) -> AccountPublicAccessBlock:
    return AccountPublicAccessBlock(**common("account Block Public Access", f"arn:aws:iam::{ACCT}:root", "global"),
                                    block=block)


def bucket(name: str, **kwargs: Any) -> Bucket:
    return Bucket(**common(name, f"arn:aws:s3:::{name}"), **kwargs)


def test_account_block_public_access_needs_all_four_settings():
    partial = PublicAccessBlock(configured=True, settings={**dict.fromkeys(SETTINGS, True),
                                                           "RestrictPublicBuckets": False})
    for block, status, words in ((ALL_ON, Status.PASS, "all four"), (partial, Status.FAIL, "RestrictPublicBuckets"),
                                 (PublicAccessBlock(), Status.FAIL, "no S3 Block Public Access")):
        inv = inventory_of(types={"s3.account_public_access_block": [account_block(block)]}, regions=(R,))
        [result] = run_check_on("s3_account_public_access_blocked", inv)
        assert result.status is status and words in result.message


def test_public_buckets_fail_unless_block_public_access_neutralises_the_grant():
    everyone = policy("*", action="s3:GetObject")
    acl = (AclGrant(grantee="everyone", permission="READ"),)
    restrict = PublicAccessBlock(configured=True, settings={**dict.fromkeys(SETTINGS, False),
                                                            "RestrictPublicBuckets": True})
    buckets = [
        bucket("by-policy", policy=everyone),
        bucket("by-acl", public_acl_grants=acl),
        bucket("policy-restricted", policy=everyone, block=restrict),
        bucket("acl-restricted-only", public_acl_grants=acl, block=restrict),  # RestrictPublicBuckets ≠ ACLs
        bucket("org-only", policy=policy("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}, "s3:GetObject")),
        bucket("private"),
    ]
    inv = inventory_of(types={"s3.buckets": buckets,
                              "s3.account_public_access_block": [account_block(PublicAccessBlock())]}, regions=(R,))
    results = by_name(run_check_on("s3_bucket_not_public", inv))
    assert {n for n, r in results.items() if r.status is Status.FAIL} == {"by-policy", "by-acl", "acl-restricted-only"}
    assert "neutralised by the bucket's RestrictPublicBuckets" in results["policy-restricted"].message
    # The account's settings apply to every bucket: the same buckets pass under an account that blocks all.
    inv = inventory_of(types={"s3.buckets": buckets, "s3.account_public_access_block": [account_block(ALL_ON)]},
                       regions=(R,))
    results = run_check_on("s3_bucket_not_public", inv)
    assert {r.status for r in results} == {Status.PASS}


# --- launch templates ---------------------------------------------------------------------------------------


def template(name: str, options: dict[str, dict[str, str]], default: str = "1", latest: str | None = None
             ) -> LaunchTemplate:
    return LaunchTemplate(**common(name, f"arn:aws:ec2:{R}:{ACCT}:launch-template/lt-{name}"),
                          default_version=default, latest_version=latest or default, metadata_options=options)


def test_launch_templates_must_require_imdsv2_in_default_and_latest_versions():
    templates = [
        template("v2", {"1": {"HttpTokens": "required"}}),
        template("v1", {"1": {"HttpTokens": "optional"}}),
        template("latest-bad", {"1": {"HttpTokens": "required"}, "2": {"HttpTokens": "optional"}}, "1", "2"),
        template("no-endpoint", {"1": {"HttpEndpoint": "disabled"}}),
        template("unset", {"1": {}}),
    ]
    inv = inventory_of(types={"ec2.launch_templates": templates}, regions=(R,))
    results = by_name(run_check_on("ec2_launch_template_imdsv2_required", inv))
    assert {n for n, r in results.items() if r.status is Status.FAIL} == {"v1", "latest-bad", "unset"}
    assert "latest version 2 sets HttpTokens = optional" in results["latest-bad"].message
    defaults = MetadataDefaults(**common("instance metadata defaults", f"arn:aws:ec2:{R}:{ACCT}:imd"),
                                http_tokens="required")
    inv = inventory_of(types={"ec2.launch_templates": templates, "ec2.metadata_defaults": [defaults]}, regions=(R,))
    results = by_name(run_check_on("ec2_launch_template_imdsv2_required", inv))
    assert results["unset"].status is Status.PASS and "account default" in results["unset"].message
    assert results["v1"].status is Status.FAIL, "a version's own optional overrides the account default"


# --- AWS Config and budgets ---------------------------------------------------------------------------------


def setup(recorders: tuple[Recorder, ...], channels: tuple[DeliveryChannel, ...]) -> ConfigSetup:
    return ConfigSetup(**common("AWS Config", f"arn:aws:config:{R}:{ACCT}:configuration-recorder"),
                       recorders=recorders, channels=channels)


def test_config_recorder_must_record_everything_and_deliver():
    good = Recorder(name="default", all_supported=True, recording=True, last_status="SUCCESS")
    channel = DeliveryChannel(name="default", bucket="b", last_status="SUCCESS")
    cases = [
        (setup((good,), (channel,)), Status.PASS, "records all supported resources"),
        (setup((), ()), Status.FAIL, "no configuration recorder; no delivery channel"),
        (setup((good.model_copy(update={"all_supported": False}),), (channel,)), Status.FAIL,
         "does not record all supported resource types"),
        (setup((good.model_copy(update={"recording": False}),), (channel,)), Status.FAIL, "is not recording"),
        (setup((good,), (channel.model_copy(update={"last_status": "FAILURE", "last_error": "NoSuchBucket"}),)),
         Status.FAIL, "fails to deliver (NoSuchBucket)"),
    ]
    for found, status, words in cases:
        [result] = run_check_on("config_recorder_enabled", inventory_of(types={"config.setup": [found]},
                                                                         regions=(R,)))
        assert result.status is status and words in result.message, result.message


def budget(name: str, kind: str = "COST", subscribers: tuple[str, ...] = ("EMAIL ops@example.com",)) -> Budget:
    note = BudgetNotification(kind="ACTUAL", threshold=80, subscribers=subscribers)
    return Budget(**common(name, f"arn:aws:budgets::{ACCT}:budget/{name}", "global"), budget_type=kind,
                  notifications=(note,))


def test_a_cost_budget_must_notify_someone():
    cases = [([budget("monthly")], Status.PASS, "notifies 1 subscriber on actual spend above 80%"),
             ([], Status.FAIL, "no budget"),
             ([budget("quiet", subscribers=())], Status.FAIL, "no notification of quiet has a subscriber"),
             ([budget("usage", kind="USAGE")], Status.FAIL, "no cost budget (only USAGE)")]
    for found, status, words in cases:
        inv = inventory_of(types={"budgets.budgets": found}, regions=(R,))
        [result] = run_check_on("budget_alert_configured", inv)
        assert result.status is status and words in result.message, result.message


# --- alerts --------------------------------------------------------------------------------------------------

GROUP = "CloudTrail/management"
TOPIC = f"arn:aws:sns:{R}:{ACCT}:security-alerts"
KEY_FILTER = '{ ($.eventSource = "iam.amazonaws.com") && ($.eventName = "CreateAccessKey") }'


def trail(logging: bool = True) -> Trail:
    return Trail(**common("org-trail", f"arn:aws:cloudtrail:{R}:{ACCT}:trail/org-trail", "global"), home_region=R,
                 is_multi_region=True, is_logging=logging,
                 cloudwatch_log_group_arn=f"arn:aws:logs:{R}:{ACCT}:log-group:{GROUP}:*")


def metric_filter(pattern: str = KEY_FILTER) -> MetricFilter:
    return MetricFilter(**common("keys", f"arn:aws:logs:{R}:{ACCT}:log-group:{GROUP}:metric-filter:keys"),
                        log_group=GROUP, pattern=pattern, metrics=(("Security", "AccessKeys"),))


def alarm(actions: tuple[str, ...] = (TOPIC,), enabled: bool = True) -> Alarm:
    return Alarm(**common("keys-alarm", f"arn:aws:cloudwatch:{R}:{ACCT}:alarm:keys-alarm"), namespace="Security",
                 metric="AccessKeys", actions_enabled=enabled, alarm_actions=actions)


def subscription(confirmed: bool = True) -> Subscription:
    return Subscription(**common("email", f"{TOPIC}:sub-1"), topic_arn=TOPIC, protocol="email", confirmed=confirmed)


def key_alert(**types: list[Any]) -> Any:
    inv = inventory_of(types={"cloudtrail.trails": [trail()], **types}, regions=(R,))
    [result] = run_check_on("alert_on_access_key_creation", inv)
    return result


def test_a_metric_filter_alert_passes_only_when_it_reaches_a_confirmed_subscriber():
    full = {"logs.metric_filters": [metric_filter()], "cloudwatch.alarms": [alarm()],
            "sns.subscriptions": [subscription()]}
    ok = key_alert(**full)
    assert ok.status is Status.PASS and "metric filter keys → alarm keys-alarm → topic security-alerts" in ok.message
    for change, words in (({"cloudwatch.alarms": []}, "metric filter keys has no alarm on its metric"),
                          ({"cloudwatch.alarms": [alarm(actions=())]}, "alarm keys-alarm has no action"),
                          ({"cloudwatch.alarms": [alarm(enabled=False)]}, "alarm keys-alarm has no action"),
                          ({"sns.subscriptions": [subscription(confirmed=False)]},
                           "topic security-alerts has no confirmed subscriber (1 pending confirmation)"),
                          ({"logs.metric_filters": []}, "no metric filter on the trail's log group matches it")):
        result = key_alert(**{**full, **change})
        assert result.status is Status.FAIL and words in result.message, (change, result.message)


def test_a_filter_that_matches_every_call_covers_nothing():
    everything = metric_filter('{ $.eventSource = "*" }')
    result = key_alert(**{"logs.metric_filters": [everything], "cloudwatch.alarms": [alarm()],
                          "sns.subscriptions": [subscription()]})
    assert result.status is Status.FAIL


def rule(pattern: dict[str, Any], targets: tuple[str, ...], region: str = R, enabled: bool = True) -> EventRule:
    return EventRule(**common(f"keys-{region}", f"arn:aws:events:{region}:{ACCT}:rule/keys", region),
                     pattern=pattern, targets=targets, enabled=enabled)


def test_an_eventbridge_rule_with_a_target_is_the_other_way():
    pattern = {"source": ["aws.iam"], "detail": {"eventName": ["CreateAccessKey"]}}
    lambda_target = f"arn:aws:lambda:{R}:{ACCT}:function:page-oncall"
    ok = key_alert(**{"events.rules": [rule(pattern, (lambda_target,))]})
    assert ok.status is Status.PASS and "EventBridge rule keys-us-east-1" in ok.message
    assert key_alert(**{"events.rules": [rule(pattern, ())]}).status is Status.FAIL
    assert key_alert(**{"events.rules": [rule(pattern, (lambda_target,), enabled=False)]}).status is Status.FAIL
    sns = key_alert(**{"events.rules": [rule(pattern, (TOPIC,))], "sns.subscriptions": [subscription(False)]})
    assert sns.status is Status.FAIL and "no confirmed subscriber" in sns.message
    # IAM's events reach EventBridge in us-east-1 only: a rule elsewhere covers nothing.
    west = inventory_of(types={"cloudtrail.trails": [trail()],
                               "events.rules": [rule(pattern, (lambda_target,), region="us-west-2")]},
                        regions=(R, "us-west-2"))
    [result] = run_check_on("alert_on_access_key_creation", west)
    assert result.status is Status.FAIL and "no enabled EventBridge rule in us-east-1" in result.message
