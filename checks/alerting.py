"""Monitoring that would have woken the founder: AWS Config recording, alerts on the events of a key theft,
and a budget alert for the bill that often shows it first.

Each alert check holds the CloudTrail records of the events it must catch (``SAMPLES``). An event is covered
when a mechanism matches it and reaches someone:

- a metric filter on the log group of a multi-region trail that is logging, whose metric has a CloudWatch alarm
  with actions enabled and an SNS topic among them that has a confirmed subscription; or
- an enabled EventBridge rule on the default bus that matches the event and has a target (an SNS topic target
  needs a confirmed subscription too). EventBridge sees an event only in the region it happens in: events of
  global services (IAM, console sign-in) arrive in us-east-1, the others in each region, so a rule must exist
  in every scanned region for those.

A filter or rule that also matches an ordinary read call (``BENIGN``) counts every event, not the ones alerted
on, and does not cover anything. The finding names the mechanism found for each event, or what is missing on
the way (no filter, filter but no alarm, alarm without action, topic without subscriber).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditpack.library.checks import Result, check
from auditpack.models import ResourceRef, Status
from auditpack.resources.alerting import Alarm, EventRule, MetricFilter, Subscription
from auditpack.resources.budgets import Budget
from auditpack.resources.cloudtrail import Trail
from auditpack.resources.config import ConfigSetup
from auditpack.resources.event_patterns import event_matches, filter_matches
from auditpack.resources.inventory import InventoryView

GLOBAL_EVENTS_REGION = "us-east-1"  # where EventBridge receives the events of IAM and console sign-in
GLOBAL_SOURCES = frozenset({"iam.amazonaws.com", "signin.amazonaws.com", "sts.amazonaws.com"})
ALERT_RESOURCES = ["cloudtrail.trails", "logs.metric_filters", "cloudwatch.alarms", "sns.subscriptions",
                   "events.rules"]


def counted(n: int, word: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _account(view: InventoryView) -> ResourceRef:
    return ResourceRef(arn=view.account_arn, type="AWS::::Account", name=view.account)


# --- the events ------------------------------------------------------------------------------------------------


def api_call(source: str, name: str, identity: str = "IAMUser") -> dict[str, Any]:
    """A CloudTrail record of a write API call, shaped as CloudTrail writes it."""
    user = {"type": identity, "arn": "arn:aws:iam::111122223333:root" if identity == "Root"
            else "arn:aws:iam::111122223333:user/someone", "accountId": "111122223333"}
    return {"eventVersion": "1.09", "userIdentity": user, "eventSource": source, "eventName": name,
            "eventType": "AwsApiCall", "readOnly": False, "managementEvent": True,
            "eventCategory": "Management", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7"}


def console_sign_in(identity: str = "Root") -> dict[str, Any]:
    record = api_call("signin.amazonaws.com", "ConsoleLogin", identity)
    record.update(eventType="AwsConsoleSignIn", responseElements={"ConsoleLogin": "Success"})
    return record


IAM = "iam.amazonaws.com"
SAMPLES: dict[str, tuple[dict[str, Any], ...]] = {
    "iam_policy_changes": tuple(api_call(IAM, name) for name in (
        "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy",
        "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
        "PutRolePolicy", "PutUserPolicy", "PutGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy",
        "DeleteGroupPolicy")),
    "access_key_creation": (api_call(IAM, "CreateAccessKey"),),
    "root_activity": (console_sign_in("Root"), api_call("ec2.amazonaws.com", "RunInstances", "Root")),
    "logging_changes": (api_call("cloudtrail.amazonaws.com", "StopLogging"),
                        api_call("cloudtrail.amazonaws.com", "DeleteTrail"),
                        api_call("cloudtrail.amazonaws.com", "UpdateTrail"),
                        api_call("guardduty.amazonaws.com", "DeleteDetector")),
}
BENIGN = {**api_call("ec2.amazonaws.com", "DescribeInstances"), "readOnly": True}


def label(record: dict[str, Any]) -> str:
    who = " by root" if record["userIdentity"]["type"] == "Root" else ""
    return f"{record['eventName']}{who}"


def as_event(record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event AWS makes of a CloudTrail record."""
    service = record["eventSource"].split(".", 1)[0]
    detail_type = ("AWS Console Sign In via CloudTrail" if record["eventType"] == "AwsConsoleSignIn"
                   else "AWS API Call via CloudTrail")
    return {"version": "0", "source": f"aws.{service}", "detail-type": detail_type, "account": "111122223333",
            "region": record["awsRegion"], "detail": record}


# --- the mechanisms ------------------------------------------------------------------------------------------


@dataclass
class Route:
    """How far one mechanism gets towards a person: ``ok`` with its path, or where it stops."""

    ok: bool
    text: str
    evidence: tuple[str, ...] = ()


def _region_of_log_group(arn: str) -> str:
    return arn.split(":")[3] if arn.count(":") >= 4 else ""


def _log_group_name(arn: str) -> str:
    name = arn.split(":log-group:", 1)[-1]
    return name[:-2] if name.endswith(":*") else name


@dataclass
class Alerting:
    """Everything an alert check reads, indexed once."""

    trails: list[Trail]
    filters: list[MetricFilter]
    alarms: list[Alarm]
    subscriptions: list[Subscription]
    rules: list[EventRule]
    regions: list[str]

    @classmethod
    def of(cls, view: InventoryView) -> Alerting:
        trails = list({t.arn: t for t in view.get("cloudtrail.trails")}.values())
        return cls(trails, view.get("logs.metric_filters"), view.get("cloudwatch.alarms"),
                   view.get("sns.subscriptions"), view.get("events.rules"), view.regions)

    def topic_route(self, topic: str) -> Route:
        confirmed = [s for s in self.subscriptions if s.topic_arn == topic and s.confirmed]
        pending = [s for s in self.subscriptions if s.topic_arn == topic and not s.confirmed]
        name = topic.rsplit(":", 1)[-1]
        if confirmed:
            kinds = ", ".join(sorted({s.protocol for s in confirmed}))
            return Route(True, f"topic {name} ({counted(len(confirmed), 'confirmed subscription')}: {kinds})",
                         tuple(e for s in confirmed for e in s.evidence))
        wait = f" ({len(pending)} pending confirmation)" if pending else ""
        return Route(False, f"topic {name} has no confirmed subscriber{wait}",
                     tuple(e for s in pending for e in s.evidence))

    def trail_log_groups(self) -> tuple[list[tuple[Trail, str, str]], str | None]:
        """(trail, log group region, log group name) of each multi-region trail that is logging to CloudWatch
        Logs; else why there is none."""
        usable = [(t, _region_of_log_group(arn), _log_group_name(arn)) for t in self.trails
                  if t.is_multi_region and t.is_logging and (arn := t.cloudwatch_log_group_arn)]
        if usable:
            return usable, None
        if not any(t.is_multi_region for t in self.trails):
            return [], "no multi-region trail"
        return [], "no multi-region trail that is logging delivers to CloudWatch Logs"

    def filter_route(self, record: dict[str, Any]) -> Route:
        groups, why = self.trail_log_groups()
        if not groups:
            return Route(False, f"no metric filter possible ({why})")
        best: Route | None = None
        for trail, region, group in groups:
            if region not in self.regions:
                best = best or Route(False, f"trail {trail.name}'s log group {group} is in {region}, which this "
                                            "scan did not cover")
                continue
            for flt in (f for f in self.filters if f.region == region and f.log_group == group):
                if not filter_matches(flt.pattern, record) or filter_matches(flt.pattern, BENIGN):
                    continue
                route = self._alarm_route(flt)
                if route.ok:
                    return route
                best = route if best is None or not best.text.startswith("metric filter") else best
        return best or Route(False, "no metric filter on the trail's log group matches it")

    def _alarm_route(self, flt: MetricFilter) -> Route:
        alarms = [a for a in self.alarms if a.region == flt.region and (a.namespace, a.metric) in flt.metrics]
        start = f"metric filter {flt.name}"
        if not alarms:
            return Route(False, f"{start} has no alarm on its metric", flt.evidence)
        best = Route(False, f"{start} → alarm {alarms[0].name} has no action", flt.evidence)
        for alarm in alarms:
            topics = [a for a in alarm.alarm_actions if a.startswith("arn:") and ":sns:" in a]
            if not alarm.actions_enabled or not topics:
                continue
            for topic in topics:
                route = self.topic_route(topic)
                path = Route(route.ok, f"{start} → alarm {alarm.name} → {route.text}",
                             (*flt.evidence, *alarm.evidence, *route.evidence))
                if route.ok:
                    return path
                best = path
        return best

    def rule_route(self, record: dict[str, Any]) -> Route:
        event = as_event(record)
        needed = [GLOBAL_EVENTS_REGION] if record["eventSource"] in GLOBAL_SOURCES else list(self.regions)
        if not set(needed) <= set(self.regions):
            return Route(False, f"EventBridge receives it in {GLOBAL_EVENTS_REGION}, which this scan did not cover")
        found: list[Route] = []
        for region in needed:
            matching = [r for r in self.rules if r.region == region and r.bus == "default" and r.enabled
                        and event_matches(r.pattern, event) and not event_matches(r.pattern, as_event(BENIGN))]
            route = self._target_route(matching, region)
            if not route.ok:
                return route
            found.append(route)
        return Route(True, "; ".join(r.text for r in found), tuple(e for r in found for e in r.evidence))

    def _target_route(self, rules: list[EventRule], region: str) -> Route:
        if not rules:
            return Route(False, f"no enabled EventBridge rule in {region} matches it")
        best = Route(False, f"EventBridge rule {rules[0].name} ({region}) has no target", rules[0].evidence)
        for rule in rules:
            for target in rule.targets:
                if ":sns:" not in target:
                    return Route(True, f"EventBridge rule {rule.name} ({region}) → {target.split(':')[2]} target "
                                 f"{target.rsplit(':', 1)[-1]}", rule.evidence)
                route = self.topic_route(target)
                if route.ok:
                    return Route(True, f"EventBridge rule {rule.name} ({region}) → {route.text}",
                                 (*rule.evidence, *route.evidence))
                best = Route(False, f"EventBridge rule {rule.name} ({region}) → {route.text}",
                             (*rule.evidence, *route.evidence))
        return best


def alert_results(view: InventoryView, what: str, key: str) -> Iterator[Result]:
    """One result for the account: each sample event covered (and how), or what is missing for it."""
    alerting = Alerting.of(view)
    covered, missing, evidence = [], [], []
    details: dict[str, Any] = {"events": {}}
    for record in SAMPLES[key]:
        by_filter, by_rule = alerting.filter_route(record), alerting.rule_route(record)
        chosen = by_filter if by_filter.ok else by_rule if by_rule.ok else None
        details["events"][label(record)] = {"metric_filter": by_filter.text, "eventbridge": by_rule.text,
                                            "covered": chosen is not None}
        if chosen is not None:
            covered.append(f"{label(record)}: {chosen.text}")
            evidence.extend(chosen.evidence)
        else:
            missing.append(f"{label(record)}: {by_filter.text}; {by_rule.text}")
            evidence.extend((*by_filter.evidence, *by_rule.evidence))
    evidence = sorted({*evidence, *(e for t in alerting.trails for e in t.evidence)})
    if not missing:
        summary = _summarise(covered)
        yield Result(Status.PASS, _account(view), f"Alerts on {what} reach someone: {summary}.", "global", evidence,
                     details)
    else:
        names = ", ".join(m.split(":", 1)[0] for m in missing)
        first = missing[0].split(": ", 1)[1]
        yield Result(Status.FAIL, _account(view), f"No alert on {what} reaches anyone for {names} "
                     f"({len(missing)} of {len(SAMPLES[key])} events): {first}.", "global", evidence, details)


def _summarise(covered: list[str]) -> str:
    """One path when every event takes the same one, else each event's path."""
    paths = {c.split(": ", 1)[1] for c in covered}
    if len(paths) == 1:
        return f"{counted(len(covered), 'event')} through {paths.pop()}"
    return "; ".join(covered)


ALERT_REMEDIATION = (
    "Create a metric filter on the multi-region trail's CloudWatch Logs group for these events, an alarm on its "
    "metric whose action is an SNS topic with a confirmed subscription; or an EventBridge rule on the default "
    "bus matching them (in us-east-1 for IAM and sign-in events, in every region for the others) with a target."
)


@check(id="alert_on_iam_policy_changes", title="An alert fires on IAM policy changes",
       problem="No alert fires on IAM policy changes", resources=ALERT_RESOURCES,
       severity="medium", remediation=ALERT_REMEDIATION)
def alert_on_iam_policy_changes(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """A metric filter with an alarm and a confirmed subscriber, or an EventBridge rule with a target, catches
    every IAM policy change (create, delete, version, attach, detach, put and delete inline, for users, groups
    and roles): an attacker with a stolen key grants itself more."""
    yield from alert_results(view, "IAM policy changes", "iam_policy_changes")


@check(id="alert_on_access_key_creation", title="An alert fires when an access key is created",
       problem="No alert fires when an access key is created",
       resources=ALERT_RESOURCES, severity="medium", remediation=ALERT_REMEDIATION)
def alert_on_access_key_creation(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """A metric filter with an alarm and a confirmed subscriber, or an EventBridge rule with a target, catches
    ``CreateAccessKey``: the first thing a stolen key makes is another key."""
    yield from alert_results(view, "access key creation", "access_key_creation")


@check(id="alert_on_root_activity", title="An alert fires when the root user signs in or makes a call",
       problem="No alert fires when the root user signs in or makes a call",
       resources=ALERT_RESOURCES, severity="medium", remediation=ALERT_REMEDIATION)
def alert_on_root_activity(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """A metric filter with an alarm and a confirmed subscriber, or EventBridge rules with targets, catch a
    root console sign-in and a root API call: root is used so rarely that any use deserves a look."""
    yield from alert_results(view, "root activity", "root_activity")


@check(id="alert_on_logging_changes", title="An alert fires when logging or threat detection is turned off",
       problem="No alert fires when logging or threat detection is turned off",
       resources=ALERT_RESOURCES, severity="medium", remediation=ALERT_REMEDIATION)
def alert_on_logging_changes(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """A metric filter with an alarm and a confirmed subscriber, or EventBridge rules with targets, catch
    CloudTrail ``StopLogging``, ``DeleteTrail`` and ``UpdateTrail`` and GuardDuty ``DeleteDetector``: an
    intruder's first step to staying unseen."""
    yield from alert_results(view, "logging changes", "logging_changes")


# --- AWS Config -------------------------------------------------------------------------------------------


@check(
    id="config_recorder_enabled",
    title="AWS Config records every supported resource in every scanned region",
    problem="AWS Config does not record every supported resource in every scanned region",
    resources=["config.setup"],
    severity="medium",
    remediation="Create a configuration recorder that records all supported resource types, a delivery channel "
    "to an S3 bucket, and start the recorder (in an organization, deploy it to every account and region).",
    scope="region",
)
def config_recorder_enabled(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """In each scanned region a Config recorder records all supported resource types, is recording without
    failing, and has a delivery channel whose deliveries do not fail: the inventory of what exists and how it
    changed, which CM-8 asks for and an investigation needs."""
    for setup in view.get("config.setup"):
        assert isinstance(setup, ConfigSetup)
        gaps = []
        good = [r for r in setup.recorders if r.all_supported and r.recording
                and (r.last_status or "").upper() != "FAILURE"]
        if not setup.recorders:
            gaps.append("no configuration recorder")
        elif not good:
            for r in setup.recorders:
                why = [w for w, bad in (("does not record all supported resource types", not r.all_supported),
                                        ("is not recording", not r.recording),
                                        (f"last failed ({r.last_error or 'no error code'})",
                                         (r.last_status or "").upper() == "FAILURE")) if bad]
                gaps.append(f"recorder {r.name} {' and '.join(why)}")
        channels = [c for c in setup.channels if (c.last_status or "").upper() != "FAILURE"]
        if not setup.channels:
            gaps.append("no delivery channel")
        elif not channels:
            gaps.extend(f"delivery channel {c.name} fails to deliver ({c.last_error or 'no error code'})"
                        for c in setup.channels)
        details = {"recorders": [r.model_dump() for r in setup.recorders],
                   "channels": [c.model_dump() for c in setup.channels]}
        if gaps:
            yield Result.of(Status.FAIL, setup, f"AWS Config in {setup.region}: {'; '.join(gaps)}.", details=details)
        else:
            yield Result.of(Status.PASS, setup, f"AWS Config in {setup.region}: recorder {good[0].name} records "
                            f"all supported resources and delivers through {channels[0].name}.", details=details)


# --- budgets -------------------------------------------------------------------------------------------------


@check(
    id="budget_alert_configured",
    title="A cost budget alerts someone", problem="No cost budget alerts anyone",
    resources=["budgets.budgets"],
    severity="low",
    remediation="Create a monthly cost budget near the usual bill with an actual-spend notification (for "
    "example above 80 %) and a forecast notification, each with an e-mail or SNS subscriber.",
)
def budget_alert_configured(view: InventoryView, params: dict[str, Any]) -> Iterator[Result]:
    """At least one cost budget has a notification with a subscriber: an unexpected bill (crypto-mining on a
    stolen key) is often the first sign of compromise, and nobody reads a budget that tells no one."""
    found: list[Budget] = view.get("budgets.budgets")
    evidence = sorted({e for b in found for e in b.evidence})
    alerting = [(b, n) for b in found if b.budget_type == "COST" for n in b.notifications if n.subscribers]
    details = {"budgets": [{"name": b.name, "type": b.budget_type, "notifications": len(b.notifications),
                            "subscribers": sum(len(n.subscribers) for n in b.notifications)} for b in found]}
    if alerting:
        budget, note = alerting[0]
        yield Result(Status.PASS, _account(view), f"Cost budget {budget.name} notifies "
                     f"{counted(len(note.subscribers), 'subscriber')} on {note.describe()}.", "global", evidence,
                     details)
    elif not found:
        yield Result(Status.FAIL, _account(view), "The account has no budget, so nobody hears of an unexpected "
                     "bill until it arrives.", "global", evidence, details)
    else:
        cost = [b for b in found if b.budget_type == "COST"]
        why = ("no cost budget (only " + ", ".join(sorted({b.budget_type for b in found})) + ")" if not cost
               else "no notification of " + ", ".join(b.name for b in cost) + " has a subscriber")
        yield Result(Status.FAIL, _account(view), f"No budget alerts anyone: {why}.", "global", evidence, details)
