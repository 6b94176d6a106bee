"""Reading a key's CloudTrail history: pages, throttling, the 2-requests-per-second quota, and what is flagged.

botocore's Stubber answers before botocore's retry loop runs, so it shows pagination and a throttle that
outlasted the retries; the retries themselves are shown through the fault proxy, with real HTTP attempts that
botocore retries and the pacer spaces.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import ANY, Stubber

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate
from auditpack.collect.ratelimit import Pacer
from auditpack.collect.session import AccountSession
from auditpack.emulator.seeding.activity import Caller, record, seed_history
from auditpack.library.config import CollectionSettings
from auditpack.resources.key_activity import compute_elsewhere, key_history, summary, timeline
from tests.faultproxy import FaultPlan, FaultProxy, Rule

KEY = "AKIAQYLPMN5HHHFPZAM2"
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
CALLER = Caller("123456789012", "ci", KEY, "198.51.100.7", "python-requests/2.31")


def gate_for(client, tmp_path) -> Gate:
    return Gate(account="123456789012", region="global", partition="aws", client_factory=lambda _s, _r: client,
                recorder=EvidenceRecorder(tmp_path))


def page(*names: str, token: str | None = None) -> dict:
    events = [{"EventId": f"e-{name}", "EventName": name, "CloudTrailEvent": json.dumps(
        record(CALLER, name, source="iam", region="us-east-1", when=NOW - timedelta(hours=i)))}
        for i, name in enumerate(names)]
    return {"Events": events, **({"NextToken": token} if token else {})}


def test_every_page_of_the_history_is_read_and_recorded_with_the_key_masked(tmp_path):
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    expected = {"StartTime": ANY, "EndTime": ANY,
                "LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": KEY}]}
    with Stubber(client) as stub:
        stub.add_response("lookup_events", page("CreateUser", "GetUser", token="t1"), expected)
        stub.add_response("lookup_events", page("CreateAccessKey", token="t2"), {**expected, "NextToken": "t1"})
        stub.add_response("lookup_events", page("ListUsers"), {**expected, "NextToken": "t2"})
        history = key_history(gate_for(client, tmp_path), ["us-east-1"], KEY, NOW - timedelta(days=90), NOW)
        stub.assert_no_pending_responses()
    assert sorted(r["eventName"] for r in history.records) == ["CreateAccessKey", "CreateUser", "GetUser",
                                                               "ListUsers"]
    assert history.regions_read == ["us-east-1"] and not history.unread
    assert len(history.evidence) == 3, "each page is its own evidence file"
    written = "".join((tmp_path / ref).read_text() for ref in history.evidence)
    assert KEY not in written and "AKIA…ZAM2" in written, "the key id is masked in request and response"


def test_a_throttle_that_outlasts_the_retries_leaves_the_region_unread_not_empty(tmp_path):
    client = boto3.client("cloudtrail", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stub:
        stub.add_response("lookup_events", page("CreateUser", token="t1"))
        stub.add_client_error("lookup_events", service_error_code="ThrottlingException", http_status_code=400)
        history = key_history(gate_for(client, tmp_path), ["us-east-1"], KEY, NOW - timedelta(days=90), NOW)
    assert history.records == [] and history.regions_read == []
    [gap] = history.unread
    assert (gap.region, gap.error_code) == ("us-east-1", "ThrottlingException")
    activity = summary("AKIA…ZAM2", [], window_days=90, start=NOW, end=NOW, sources=[], regions_read=[],
                       unread=history.unread)
    assert not activity.complete


def test_the_pacer_spaces_attempts_of_one_region_and_leaves_others_alone():
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pacer = Pacer(2.0, clock=lambda: clock[0], sleep=sleep)
    for _ in range(4):
        pacer.wait()
    assert slept == [0.5, 0.5, 0.5], "the first attempt goes at once, then one every half second"
    clock[0] += 10
    pacer.wait()
    assert slept == [0.5, 0.5, 0.5], "after a pause no wait is owed"


@pytest.mark.timeout(120)
def test_botocore_retries_a_throttled_lookup_within_two_requests_per_second(aws, monkeypatch):
    """Real HTTP attempts through the fault proxy: the first two are throttled, botocore retries, and every
    attempt of every thread in the region waits for its turn."""
    seed_history([record(CALLER, "CreateUser", source="iam", region="us-east-1",
                         when=datetime.now(UTC) - timedelta(hours=1))])
    plan = FaultPlan([Rule("throttle", "cloudtrail:LookupEvents", first=2)])
    with FaultProxy(aws.endpoint, plan) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        session = AccountSession(boto3.session.Session(), "123456789012", "arn:aws:iam::123456789012:user/x",
                                 CollectionSettings(max_attempts=5))
        attempts: list[float] = []
        client = session.client("cloudtrail", "us-east-1")
        client.meta.events.register("before-send.cloudtrail.LookupEvents", lambda **_: attempts.append(
            time.monotonic()))
        results: list[int] = []

        def lookup() -> None:
            found = client.lookup_events(LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": KEY}])
            results.append(len(found["Events"]))

        threads = [threading.Thread(target=lookup) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [1, 1], "both calls succeed once the throttling stops"
        assert proxy.injected[("cloudtrail:LookupEvents", "throttle")] == 2
        assert len(attempts) == 4
        gaps = [b - a for a, b in zip(sorted(attempts), sorted(attempts)[1:], strict=False)]
        assert min(gaps) >= 0.49, f"attempts closer than the quota allows: {gaps}"
        other = session.client("cloudtrail", "us-west-2")
        started = time.monotonic()
        other.lookup_events()
        assert time.monotonic() - started < 0.45, "another region has its own quota"


def test_compute_is_flagged_only_where_no_other_identity_launches_any(tmp_path):
    ops = {"userIdentity": {"accessKeyId": "AKIAQAAAAAAAAAAAAAAB"}}
    seen: list[tuple[str, str]] = []

    class Reader:
        def paginate(self, service, operation, in_region=None, **params):
            seen.append((in_region, params["LookupAttributes"][0]["AttributeValue"]))
            mine = {"userIdentity": {"accessKeyId": KEY}}
            records = [mine, ops] if in_region == "us-east-1" else [mine]
            events = [{"CloudTrailEvent": json.dumps(r)} for r in records]
            yield type("Page", (), {"data": {"Events": events}, "evidence": "e"})()

    own = compute_elsewhere(Reader(), NOW - timedelta(days=90), NOW,
                            lambda r: r["userIdentity"]["accessKeyId"] == KEY)
    records = [record(CALLER, "RunInstances", source="ec2", region=region, when=NOW - timedelta(minutes=n))
               for n, region in enumerate(("us-east-1", "ap-southeast-1", "ap-southeast-1"))]
    flagged = [(e.region, e.flag) for e in timeline(records, own)]
    assert sorted(flagged) == [("ap-southeast-1", "compute-in-unused-region"),
                               ("ap-southeast-1", "compute-in-unused-region"), ("us-east-1", None)]
    assert sorted(seen) == [("ap-southeast-1", "RunInstances"), ("us-east-1", "RunInstances")], "asked once each"
