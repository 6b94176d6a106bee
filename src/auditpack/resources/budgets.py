"""AWS Budgets: each budget, its notifications and who each notification reaches. Budgets is global."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from auditpack.resources.base import AwsResource, Reader, collector


class BudgetNotification(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str  # ACTUAL or FORECASTED
    threshold: float
    threshold_type: str = "PERCENTAGE"
    subscribers: tuple[str, ...] = ()  # "EMAIL a@example.com", "SNS arn:..."

    def describe(self) -> str:
        unit = "%" if self.threshold_type == "PERCENTAGE" else " (absolute)"
        return f"{self.kind.lower()} spend above {self.threshold:g}{unit}"


class Budget(AwsResource):
    cfn_type: ClassVar[str] = "AWS::Budgets::Budget"

    budget_type: str  # COST, USAGE, RI_UTILIZATION, ...
    notifications: tuple[BudgetNotification, ...] = ()


# One IAM action allows the three reads (IAM_ACTIONS in auditpack.resources.base).
@collector("budgets.budgets", service="budgets", regional=False, permissions=["budgets:ViewBudget"])
def budgets(ctx: Reader) -> list[Budget]:
    out = []
    for page in ctx.paginate("budgets", "describe_budgets", AccountId=ctx.account):
        for raw in page.data.get("Budgets", []):
            name = raw["BudgetName"]
            evidence = [page.evidence]
            notifications = []
            for npage in ctx.paginate("budgets", "describe_notifications_for_budget", AccountId=ctx.account,
                                      BudgetName=name):
                evidence.append(npage.evidence)
                for notification in npage.data.get("Notifications", []):
                    subscribers: list[Any] = []
                    for spage in ctx.paginate("budgets", "describe_subscribers_for_notification",
                                              AccountId=ctx.account, BudgetName=name, Notification=notification):
                        evidence.append(spage.evidence)
                        subscribers.extend(spage.data.get("Subscribers", []))
                    notifications.append(BudgetNotification(
                        kind=notification.get("NotificationType", ""),
                        threshold=float(notification.get("Threshold", 0)),
                        threshold_type=notification.get("ThresholdType", "PERCENTAGE"),
                        subscribers=tuple(f"{s.get('SubscriptionType')} {s.get('Address')}" for s in subscribers)))
            out.append(Budget(arn=ctx.arn("budgets", f"budget/{name}", region=""), name=name, account=ctx.account,
                              region=ctx.region, evidence=tuple(evidence), budget_type=raw.get("BudgetType", ""),
                              notifications=tuple(notifications)))
    return out
