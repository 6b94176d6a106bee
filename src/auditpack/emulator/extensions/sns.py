"""SNS confirmation: moto 5.2.5 confirms every subscription at once; AWS keeps e-mail and HTTP(S) ones pending
(listed as ``PendingConfirmation``) until the endpoint confirms with the token AWS sent it.

Here those subscriptions stay pending until ``ConfirmSubscription`` is called with ``confirmation_token``
of the topic and endpoint (what the confirmation message would carry), so an alarm whose topic nobody
confirmed can be told from one that reaches a person.
"""

from __future__ import annotations

import hashlib
from typing import Any

from auditpack.emulator.extensions import extension

CONFIRMED_BY_ENDPOINT = frozenset({"email", "email-json", "http", "https"})


def confirmation_token(topic_arn: str, endpoint: str) -> str:
    """The token the emulator "sends" to a pending subscription's endpoint."""
    return hashlib.sha256(f"{topic_arn}\x1f{endpoint}".encode()).hexdigest()


def _pending(backend: Any) -> set[str]:
    return backend.__dict__.setdefault("auditpack_pending_subscriptions", set())


def subscribe(original: Any) -> Any:
    def wrapped(self: Any) -> Any:
        from moto.core.responses import ActionResult

        answer = original(self)
        if self._get_param("Protocol") not in CONFIRMED_BY_ENDPOINT:
            return answer
        arn = answer.result["SubscriptionArn"]
        _pending(self.backend).add(arn)
        wants_arn = str(self._get_param("ReturnSubscriptionArn", "false")).lower() == "true"
        return ActionResult({"SubscriptionArn": arn if wants_arn else "pending confirmation"})

    return wrapped


def _listing(original: Any) -> Any:
    def wrapped(self: Any) -> Any:
        from moto.core.responses import ActionResult

        answer = original(self)
        pending = _pending(self.backend)
        rows = [{"SubscriptionArn": "PendingConfirmation" if s.arn in pending else s.arn, "Owner": s.owner,
                 "Protocol": s.protocol, "Endpoint": s.endpoint, "TopicArn": s.topic.arn}
                for s in answer.result["Subscriptions"]]
        return ActionResult({"Subscriptions": rows, "NextToken": answer.result.get("NextToken")})

    return wrapped


def confirm_subscription(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.sns.exceptions import SNSInvalidParameter

    topic_arn, token = self._get_param("TopicArn"), self._get_param("Token")
    pending = _pending(self.backend)
    for arn in sorted(pending):
        sub = self.backend.subscriptions.get(arn)
        if sub is not None and sub.topic.arn == topic_arn and confirmation_token(topic_arn, sub.endpoint) == token:
            pending.discard(arn)
            sub.confirmed = True
            return ActionResult({"SubscriptionArn": arn})
    raise SNSInvalidParameter("Invalid token")


@extension("sns-pending-subscriptions", service="sns",
           operations=("Subscribe", "ConfirmSubscription", "ListSubscriptions", "ListSubscriptionsByTopic"),
           reason="moto 5.2.5 confirms e-mail and HTTP subscriptions at once, where AWS keeps them pending")
def install() -> None:
    from moto.sns.responses import SNSResponse

    SNSResponse.subscribe = subscribe(SNSResponse.subscribe)  # type: ignore[method-assign]
    SNSResponse.list_subscriptions = _listing(SNSResponse.list_subscriptions)  # type: ignore[method-assign]
    SNSResponse.list_subscriptions_by_topic = _listing(  # type: ignore[method-assign]
        SNSResponse.list_subscriptions_by_topic)
    SNSResponse.confirm_subscription = confirm_subscription  # type: ignore[method-assign]
