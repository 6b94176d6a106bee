"""The one place where concurrency lives: collectors run over (account, service, region) in a bounded pool.

A collector that depends on others (``needs``) starts as soon as what it needs is collected in its own
partition, not when every collector of an earlier stage is done: the user data of one region's instances is
read while another region's functions are still being listed. Jobs are only submitted once their inputs
are in, so the pool is never blocked by jobs waiting on each other, and no more are submitted than it has
threads: the scheduler picks which ready job runs next. A job that fails becomes a ``CollectionError`` for
its resource type in its partition; the scan goes on.

A ``Milestone`` lets work that needs only some resource types (the secret detector) start while the rest is
still being collected; its jobs, and the jobs they need, run before the others, so that it is reached early.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.gate import Gate, ScanMemo, collector_gate
from auditpack.collect.session import AccountSession
from auditpack.memory import limit_malloc_arenas
from auditpack.models import CollectionError
from auditpack.progress import SILENT, Progress
from auditpack.resources.base import (
    COLLECTORS,
    GLOBAL_REGION,
    CallFailed,
    CollectorSpec,
    DependencyFailed,
    required_collectors,
)
from auditpack.resources.inventory import Inventory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Milestone:
    """``reached(inventory)`` is called once every job of ``resource_types`` has finished, failed or not.

    It runs on the scheduler's thread, where nothing writes the inventory while it reads; it must return at
    once (start a thread for long work) and must not write the inventory. Jobs of these types, and the jobs
    they need, are submitted before the others.
    """

    resource_types: frozenset[str]
    reached: Callable[[Inventory], None]


def _feeding(specs: list[CollectorSpec], wanted: frozenset[str]) -> set[str]:
    """``wanted`` and every resource type they need, directly or not."""
    needs = {spec.resource_type: spec.needs for spec in specs}
    found: set[str] = set()
    todo = [r for r in wanted if r in needs]
    while todo:
        rtype = todo.pop()
        if rtype not in found:
            found.add(rtype)
            todo.extend(needs[rtype])
    return found


@dataclass(frozen=True)
class Job:
    spec: CollectorSpec
    account: AccountSession
    region: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.spec.resource_type, self.account.account, self.region


def _inputs(spec: CollectorSpec, scanned: list[str]) -> list[str]:
    """What a job reads: its needs, and the types it comes ``after`` that this scan collects."""
    return [*spec.needs, *spec.comes_after(scanned)]


def _prerequisites(job: Job, regions: list[str], scanned: list[str]) -> list[tuple[str, str, str]]:
    """The jobs whose results ``job`` reads: its inputs in the same account, in its own region (a regional job),
    in every region (a global job needing regional results) or globally (a global need)."""
    keys = []
    for dep in _inputs(job.spec, scanned):
        spec = COLLECTORS[dep]
        if not spec.regional:
            keys.append((dep, job.account.account, GLOBAL_REGION))
        elif job.region == GLOBAL_REGION:
            keys.extend((dep, job.account.account, region) for region in regions)
        else:
            keys.append((dep, job.account.account, job.region))
    return keys


def _describe_error(exc: BaseException, ctx: Gate, spec: CollectorSpec) -> CollectionError:
    if isinstance(exc, DependencyFailed):
        return exc.error.model_copy(update={"resource_type": spec.resource_type, "region": ctx.region, "checks": []})
    if isinstance(exc, CallFailed):
        operation, code, message = exc.operation, exc.code, exc.message
    else:
        declared = spec.permissions[0].split(":", 1)[1] if spec.permissions else "(no call)"
        operation = ctx.calls[-1].split(":", 1)[1] if ctx.calls else declared
        code, message = "CollectorFailure", f"{type(exc).__name__}: {exc}"
    return CollectionError(
        account=ctx.account,
        region=ctx.region,
        service=spec.service,
        operation=operation,
        error_code=code,
        message=message[:500],
        resource_type=spec.resource_type,
    )


def collect(
    accounts: list[AccountSession],
    regions: list[str],
    resource_types: Iterable[str],
    recorder: EvidenceRecorder,
    *,
    max_workers: int = 16,
    home_region: str | None = None,
    progress: Progress = SILENT,
    milestone: Milestone | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Inventory:
    """Run every collector ``resource_types`` need over ``accounts`` and ``regions``; ``parameters`` are the
    check and organization-defined parameters in force, which bound what some collectors read (a size cap, how
    far back to look: ``Reader.parameter``)."""
    specs = required_collectors(resource_types)
    scanned = [spec.resource_type for spec in specs]
    home = home_region or regions[0]
    inventory = Inventory(
        accounts=[a.account for a in accounts],
        regions=list(regions),
        partitions={a.account: a.session.get_partition_for_region(home) for a in accounts},
    )
    jobs = [
        Job(spec, account, region)
        for account in accounts
        for spec in specs
        for region in (regions if spec.regional else [GLOBAL_REGION])
    ]
    first = _feeding(specs, milestone.resource_types) if milestone else set()
    to_milestone = sum(1 for job in jobs if milestone and job.spec.resource_type in milestone.resource_types)
    waiting_on = {job.key: set(_prerequisites(job, regions, scanned)) for job in jobs}
    dependents: dict[tuple[str, str, str], list[Job]] = {}
    for job in jobs:
        for key in waiting_on[job.key]:
            dependents.setdefault(key, []).append(job)
    total = len(jobs)
    done = 0
    # Jobs not yet finished per service: at none, every account lets go of that service's clients and models.
    unfinished = Counter(job.spec.service for job in jobs)
    cancelled = threading.Event()
    memo = ScanMemo()

    def fan_out(fn, items):
        return list(fan_pool.map(fn, items))

    def context(job: Job) -> Gate:
        """Built on this thread, when the job is submitted: its inputs are complete and nothing writes the
        inventory while they are read."""
        partition_region = None if job.region == GLOBAL_REGION else job.region
        needed, needed_errors = {}, {}
        for dep in _inputs(job.spec, scanned):
            dep_errors = inventory.errors_for((dep,), job.account.account, partition_region)
            if dep_errors:
                needed_errors[dep] = dep_errors[0]
            needed[dep] = inventory.view(job.account.account, partition_region).get(dep)
        return collector_gate(
            job.spec,
            account=job.account.account,
            region=job.region,
            partition=inventory.partitions[job.account.account],
            client_factory=job.account.client,
            recorder=recorder,
            needed=needed,
            needed_errors=needed_errors,
            home_region=home,
            regions=tuple(regions),
            cancelled=cancelled,
            fan_out=fan_out,
            fetch=job.account.fetch,
            memo=memo,
            parameters=parameters or {},
        )

    def run(job: Job, ctx: Gate) -> tuple[Job, list, CollectionError | None, list[str]]:
        try:
            return job, job.spec.func(ctx), None, ctx.calls
        except Exception as exc:  # every failure is data: it becomes an error result, never a crash
            log.debug("collector %s failed in %s/%s", job.spec.resource_type, ctx.account, ctx.region,
                      exc_info=True)
            return job, [], _describe_error(exc, ctx, job.spec), ctx.calls

    # Not a ``with`` block: leaving one waits for every running job, so Ctrl-C would wait for whole collectors.
    # On an interrupt, running collectors are told to stop at their next call and queued jobs are dropped.
    limit_malloc_arenas()
    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="collect")
    # Per-resource calls inside a job (ctx.each) run on a second pool of the same size: a job waiting on its
    # own fan-out never holds a slot that fan-out work needs, so the two pools cannot deadlock.
    fan_pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fan-out")
    ready: list[tuple[bool, int, Job]] = []  # a heap: the milestone's jobs first, then in dependency order
    order = itertools.count()
    running: set = set()

    def make_ready(job: Job) -> None:
        heapq.heappush(ready, (job.spec.resource_type not in first, next(order), job))

    def submit_ready() -> None:
        while ready and len(running) < max_workers:
            job = heapq.heappop(ready)[2]
            running.add(pool.submit(run, job, context(job)))

    try:
        if milestone and not to_milestone:
            milestone.reached(inventory)
        for job in jobs:
            if not waiting_on[job.key]:
                make_ready(job)
        submit_ready()
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job, resources, error, calls = future.result()
                inventory.calls.extend(calls)
                if error is not None:
                    inventory.fail(job.spec.resource_type, error)
                else:
                    inventory.add(job.spec.resource_type, job.account.account, job.region, resources)
                done += 1
                unfinished[job.spec.service] -= 1
                if not unfinished[job.spec.service]:
                    for account in accounts:
                        account.release(job.spec.service)
                if milestone and job.spec.resource_type in milestone.resource_types:
                    to_milestone -= 1
                    if not to_milestone:
                        milestone.reached(inventory)
                progress.advance(done, total, f"{job.spec.resource_type} {job.account.account} {job.region}")
                for later in dependents.get(job.key, []):
                    waiting_on[later.key].discard(job.key)
                    if not waiting_on[later.key]:
                        make_ready(later)
            submit_ready()
    except BaseException:
        cancelled.set()
        for account in accounts:
            account.cancelled.set()
        pool.shutdown(wait=False, cancel_futures=True)
        fan_pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    fan_pool.shutdown(wait=True)
    return inventory
