"""What makes an alert reach a person: CloudWatch Logs metric filters, the alarms on their metrics, SNS
subscriptions (confirmed or pending), and EventBridge rules with their targets. Each is one listing per region
(EventBridge adds one target listing per rule); which events each alert must see is the checks' business."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from auditpack.resources.base import AwsResource, Reader, collector

PENDING = ("PendingConfirmation", "Deleted")  # what ListSubscriptions shows instead of an ARN


class MetricFilter(AwsResource):
    cfn_type: ClassVar[str] = "AWS::Logs::MetricFilter"

    log_group: str
    pattern: str
    metrics: tuple[tuple[str, str], ...] = ()  # (namespace, metric name)


class Alarm(AwsResource):
    cfn_type: ClassVar[str] = "AWS::CloudWatch::Alarm"

    namespace: str | None = None
    metric: str | None = None
    actions_enabled: bool = True
    alarm_actions: tuple[str, ...] = ()


class Subscription(AwsResource):
    """An SNS subscription; ``confirmed`` is False while it waits for its endpoint to confirm it."""

    cfn_type: ClassVar[str] = "AWS::SNS::Subscription"

    topic_arn: str
    protocol: str
    confirmed: bool


class EventRule(AwsResource):
    cfn_type: ClassVar[str] = "AWS::Events::Rule"

    bus: str = "default"
    enabled: bool = True
    pattern: dict[str, Any] = Field(default_factory=dict)  # empty for a scheduled rule
    targets: tuple[str, ...] = ()  # target ARNs


@collector("logs.metric_filters", service="logs", permissions=["logs:DescribeMetricFilters"])
def metric_filters(ctx: Reader) -> list[MetricFilter]:
    return [MetricFilter(
        arn=ctx.arn("logs", f"log-group:{raw['logGroupName']}:metric-filter:{raw['filterName']}"),
        name=raw["filterName"], account=ctx.account, region=ctx.region, evidence=(page.evidence,),
        log_group=raw["logGroupName"], pattern=raw.get("filterPattern", ""),
        metrics=tuple((m.get("metricNamespace", ""), m.get("metricName", ""))
                      for m in raw.get("metricTransformations", [])))
        for page in ctx.paginate("logs", "describe_metric_filters") for raw in page.data.get("metricFilters", [])]


@collector("cloudwatch.alarms", service="cloudwatch", permissions=["cloudwatch:DescribeAlarms"])
def alarms(ctx: Reader) -> list[Alarm]:
    return [Alarm(
        arn=raw["AlarmArn"], name=raw["AlarmName"], account=ctx.account, region=ctx.region, evidence=(page.evidence,),
        namespace=raw.get("Namespace"), metric=raw.get("MetricName"),
        actions_enabled=bool(raw.get("ActionsEnabled", True)), alarm_actions=tuple(raw.get("AlarmActions", [])))
        for page in ctx.paginate("cloudwatch", "describe_alarms", AlarmTypes=["MetricAlarm"])
        for raw in page.data.get("MetricAlarms", [])]


@collector("sns.subscriptions", service="sns", permissions=["sns:ListSubscriptions"])
def subscriptions(ctx: Reader) -> list[Subscription]:
    """Subscriptions of every topic; a pending one is listed with ``PendingConfirmation`` for its ARN."""
    out = []
    for page in ctx.paginate("sns", "list_subscriptions"):
        for i, raw in enumerate(page.data.get("Subscriptions", [])):
            arn = raw.get("SubscriptionArn", "")
            confirmed = arn not in PENDING
            out.append(Subscription(
                arn=arn if confirmed else f"{raw['TopicArn']}:pending-{i}", name=raw.get("Protocol", ""),
                account=ctx.account, region=ctx.region, evidence=(page.evidence,), topic_arn=raw["TopicArn"],
                protocol=raw.get("Protocol", ""), confirmed=confirmed))
    return out


def _pattern(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@collector("events.rules", service="events", permissions=["events:ListRules", "events:ListTargetsByRule"])
def rules(ctx: Reader) -> list[EventRule]:
    """The default event bus's rules (where AWS delivers CloudTrail's events), each with its targets."""
    listed = [(raw, page.evidence) for page in ctx.paginate("events", "list_rules")
              for raw in page.data.get("Rules", [])]

    def with_targets(item: tuple[dict[str, Any], str]) -> EventRule:
        raw, listing = item
        evidence, targets = [listing], []
        for page in ctx.paginate("events", "list_targets_by_rule", Rule=raw["Name"]):
            evidence.append(page.evidence)
            targets.extend(t["Arn"] for t in page.data.get("Targets", []))
        return EventRule(arn=raw["Arn"], name=raw["Name"], account=ctx.account, region=ctx.region,
                         evidence=tuple(evidence), bus=raw.get("EventBusName", "default"),
                         enabled=raw.get("State") == "ENABLED", pattern=_pattern(raw.get("EventPattern")),
                         targets=tuple(targets))

    return ctx.each(with_targets, listed)
