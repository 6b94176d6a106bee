"""Budget subscribers: moto 5.2.5 keeps each notification's subscribers but has no
``DescribeSubscribersForNotification`` (500), so who a budget alerts cannot be read."""

from __future__ import annotations

import json
from typing import Any

from auditpack.emulator.extensions import extension

KEYS = ("NotificationType", "ComparisonOperator", "Threshold", "ThresholdType")


def _same(stored: dict[str, Any], asked: dict[str, Any]) -> bool:
    defaults = {"ThresholdType": "PERCENTAGE"}
    return all(str(stored.get(k, defaults.get(k))) == str(asked.get(k, defaults.get(k))) for k in KEYS
               if k != "Threshold") and float(stored.get("Threshold", 0)) == float(asked.get("Threshold", 0))


def describe_subscribers_for_notification(self: Any) -> str:
    from moto.budgets.exceptions import NotFoundException

    budget = self.backend.budgets[self._get_param("AccountId")].get(self._get_param("BudgetName"))
    asked = self._get_param("Notification") or {}
    for notification in getattr(budget, "notifications", []):
        if _same(notification.details, asked):
            return json.dumps({"Subscribers": list(notification.subscribers), "NextToken": None})
    raise NotFoundException("Unable to get subscribers - the notification doesn't exist.")


@extension("budgets-subscribers", service="budgets", operations=("DescribeSubscribersForNotification",),
           reason="moto 5.2.5 keeps notification subscribers but has no DescribeSubscribersForNotification")
def install() -> None:
    from moto.budgets.responses import BudgetsResponse

    BudgetsResponse.describe_subscribers_for_notification = (  # type: ignore[attr-defined]
        describe_subscribers_for_notification)
