"""The scheduler starts a collector as soon as what it needs is in, partition by partition."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.scheduler import Milestone, collect
from auditpack.resources.base import COLLECTORS, GLOBAL_REGION, AwsResource, CollectorSpec

ACCOUNT = "123456789012"
REGIONS = ["us-east-1", "us-west-2"]


def account(released: list[str] | None = None) -> SimpleNamespace:
    return SimpleNamespace(account=ACCOUNT, session=SimpleNamespace(get_partition_for_region=lambda _r: "aws"),
                           client=None, cancelled=threading.Event(), fetch=None,
                           release=(released if released is not None else []).append)


def resource(name: str, region: str) -> AwsResource:
    return AwsResource(arn=f"arn:aws:test:{region}:{ACCOUNT}:{name}", name=name, account=ACCOUNT, region=region)


@pytest.fixture
def register() -> Iterator[Callable[..., None]]:
    """Registers a test's own collectors for the length of the test."""
    with contextlib.ExitStack() as stack:
        def add(rtype: str, func, *, regional: bool = True, needs: tuple[str, ...] = (), service: str = "test") -> None:
            stack.enter_context(COLLECTORS.substitute(rtype, CollectorSpec(rtype, service, func, (), regional, needs)))

        yield add


def test_a_dependent_starts_in_one_region_while_another_region_is_still_listing(register, tmp_path):
    """With stage-by-stage waves this deadlocks: the west listing waits for the east dependent to run."""
    east_dependent_ran = threading.Event()

    def listing(ctx):
        if ctx.region == "us-west-2" and not east_dependent_ran.wait(timeout=10):
            raise AssertionError("the east dependent did not start while the west listing ran")
        return [resource(f"item-{ctx.region}", ctx.region)]

    def details(ctx):
        if ctx.region == "us-east-1":
            east_dependent_ran.set()
        return [resource(f"detail-of-{r.name}", ctx.region) for r in ctx.need("t.listing")]

    register("t.listing", listing)
    register("t.details", details, needs=("t.listing",))
    inventory = collect([account()], REGIONS, ["t.details"], EvidenceRecorder(tmp_path), max_workers=4)
    assert not inventory.errors.get("t.listing") and not inventory.errors.get("t.details")
    assert sorted(r.name for r in inventory.all("t.details")) == ["detail-of-item-us-east-1",
                                                                  "detail-of-item-us-west-2"]


def test_a_global_collector_waits_for_every_region_it_reads(register, tmp_path):
    def listing(ctx):
        return [resource(f"item-{ctx.region}", ctx.region)]

    def summary(ctx):
        return [resource("+".join(sorted(r.name for r in ctx.need("t.listing"))), GLOBAL_REGION)]

    register("t.listing", listing)
    register("t.summary", summary, regional=False, needs=("t.listing",))
    inventory = collect([account()], REGIONS, ["t.summary"], EvidenceRecorder(tmp_path), max_workers=4)
    assert [r.name for r in inventory.all("t.summary")] == ["item-us-east-1+item-us-west-2"]


def test_a_failed_input_fails_its_dependent_only_in_that_region(register, tmp_path):
    def listing(ctx):
        if ctx.region == "us-west-2":
            raise RuntimeError("listing broke")
        return [resource("item", ctx.region)]

    def details(ctx):
        return [resource(f"detail-of-{r.name}", ctx.region) for r in ctx.need("t.listing")]

    register("t.listing", listing)
    register("t.details", details, needs=("t.listing",))
    inventory = collect([account()], REGIONS, ["t.details"], EvidenceRecorder(tmp_path), max_workers=4)
    assert [(r.name, r.region) for r in inventory.all("t.details")] == [("detail-of-item", "us-east-1")]
    [(key, error)] = inventory.errors["t.details"].items()
    assert key == (ACCOUNT, "us-west-2") and "listing broke" in error.message


def test_a_milestone_is_reached_while_other_collectors_still_run(register, tmp_path):
    """The secret detector's start: once every job of the milestone's types is done, not at the very end."""
    reached: list[list[str]] = []
    milestone_seen = threading.Event()

    def source(ctx):
        return [resource(f"src-{ctx.region}", ctx.region)]

    def slow(ctx):
        if not milestone_seen.wait(timeout=10):
            raise AssertionError("the milestone waited for an unrelated collector")
        return [resource("slow", ctx.region)]

    def at_milestone(inventory):
        reached.append(sorted(r.name for r in inventory.all("t.source")))
        milestone_seen.set()

    register("t.slow", slow, regional=False)
    register("t.source", source)
    inventory = collect([account()], REGIONS, ["t.slow", "t.source"], EvidenceRecorder(tmp_path), max_workers=4,
                        milestone=Milestone(frozenset({"t.source"}), at_milestone))
    assert reached == [["src-us-east-1", "src-us-west-2"]]
    assert not inventory.errors.get("t.slow") and [r.name for r in inventory.all("t.slow")] == ["slow"]


def test_a_milestones_jobs_and_their_inputs_are_submitted_first(register, tmp_path):
    started: list[str] = []

    def make(name):
        def func(ctx):
            started.append(name)
            return []
        return func

    for name in ("t.a", "t.b", "t.c"):
        register(name, make(name), regional=False)
    register("t.d", make("t.d"), regional=False, needs=("t.c",))
    collect([account()], REGIONS, ["t.a", "t.b", "t.d"], EvidenceRecorder(tmp_path), max_workers=1,
            milestone=Milestone(frozenset({"t.d"}), lambda _inventory: None))
    assert started[:2] == ["t.c", "t.d"]


def test_a_milestone_with_nothing_to_collect_is_reached_at_once(register, tmp_path):
    reached = []
    register("t.a", lambda ctx: [], regional=False)
    collect([account()], REGIONS, ["t.a"], EvidenceRecorder(tmp_path), max_workers=2,
            milestone=Milestone(frozenset({"t.none"}), reached.append))
    assert len(reached) == 1


def test_a_service_is_let_go_once_its_last_job_is_done_in_every_region(register, tmp_path):
    """Its clients and parsed models are the largest part of botocore's memory: each goes as soon as the scan
    has no more calls for it, not when the whole collection ends."""
    log: list[str] = []
    west_may_finish = threading.Event()

    def listing(ctx):
        if ctx.region == "us-west-2" and not west_may_finish.wait(timeout=10):
            raise AssertionError("the east details never ran")
        log.append(f"listed {ctx.region}")
        return [resource(f"item-{ctx.region}", ctx.region)]

    def details(ctx):
        log.append(f"details {ctx.region}")
        west_may_finish.set()
        return []

    register("t.listing", listing, service="alpha")
    register("t.details", details, needs=("t.listing",), service="beta")
    collect([account(log)], REGIONS, ["t.details"], EvidenceRecorder(tmp_path), max_workers=4)
    assert log.index("alpha") > log.index("listed us-west-2") > log.index("details us-east-1"), \
        "alpha is let go only once its west listing is done, although beta ran in the east before"
    assert log[-1] == "beta" and log.count("alpha") == log.count("beta") == 1
