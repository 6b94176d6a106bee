"""The one place where concurrency lives: collectors run over (account, service, region) in a bounded pool.

Collectors that depend on others (``needs``) run in a later wave, so a wave is a flat list of independent
jobs and the pool is never blocked by jobs waiting on each other. A job that fails becomes a
``CollectionError`` for its resource type in its partition; the scan goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from auditpack.collect.base import COLLECTORS, GLOBAL_REGION, CollectContext, CollectorSpec, DependencyFailed
from auditpack.collect.evidence import EvidenceRecorder
from auditpack.collect.session import AccountSession
from auditpack.inventory import Inventory
from auditpack.models import CollectionError

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]


def load_collectors() -> None:
    """Import every service module so that its collectors register."""
    import importlib
    import pkgutil

    import auditpack.collect as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in {"base", "evidence", "scheduler", "session"}:
            importlib.import_module(f"auditpack.collect.{module.name}")


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas before the pools start; False where that is not glibc.

    glibc gives each busy thread its own arena (up to 8 per core), and the transient memory of large responses
    parsed at once in many threads stays resident in all of them: capping at two cut collection's resident
    growth by about a quarter in docs/performance.md's measurement, at no measurable cost in wall time.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        m_arena_max = -8  # from malloc.h
        return bool(libc.mallopt(m_arena_max, arenas))
    except (OSError, AttributeError):
        return False


def required_collectors(resource_types: Iterable[str]) -> list[CollectorSpec]:
    """The collectors for ``resource_types`` and everything they need, dependencies first."""
    load_collectors()
    ordered: list[CollectorSpec] = []
    seen: set[str] = set()

    def visit(rtype: str, chain: tuple[str, ...]) -> None:
        if rtype in seen:
            return
        if rtype in chain:
            raise ValueError(f"collector dependency cycle: {' -> '.join((*chain, rtype))}")
        if rtype not in COLLECTORS:
            raise KeyError(f"no collector for resource type {rtype!r}")
        spec = COLLECTORS[rtype]
        for dep in spec.needs:
            visit(dep, (*chain, rtype))
        seen.add(rtype)
        ordered.append(spec)

    for rtype in resource_types:
        visit(rtype, ())
    return ordered


def _waves(specs: list[CollectorSpec]) -> list[list[CollectorSpec]]:
    depth: dict[str, int] = {}
    for spec in specs:  # dependencies come first in ``specs``
        depth[spec.resource_type] = 1 + max((depth[d] for d in spec.needs), default=-1)
    waves: list[list[CollectorSpec]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for spec in specs:
        waves[depth[spec.resource_type]].append(spec)
    return waves


@dataclass(frozen=True)
class Job:
    spec: CollectorSpec
    account: AccountSession
    region: str


def _describe_error(exc: BaseException, ctx: CollectContext, spec: CollectorSpec) -> CollectionError:
    if isinstance(exc, DependencyFailed):
        return exc.error.model_copy(update={"resource_type": spec.resource_type, "region": ctx.region, "checks": []})
    declared = spec.permissions[0].split(":", 1)[1] if spec.permissions else "(no call)"
    operation = ctx.calls[-1].split(":", 1)[1] if ctx.calls else declared
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "Unknown"))
        message = str(err.get("Message") or exc)
        if message.lstrip().startswith("<"):  # an HTML error page (an emulator's or a proxy's): keep its title
            code_text = message.split("<title>", 1)[-1].split("</title>", 1)[0] if "<title>" in message else ""
            message = code_text.strip() or "HTML error page"
        operation = exc.operation_name or operation
    elif isinstance(exc, BotoCoreError):
        code, message = type(exc).__name__, str(exc)
    else:
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
    progress: Progress | None = None,
) -> Inventory:
    specs = required_collectors(resource_types)
    home = home_region or regions[0]
    inventory = Inventory(
        accounts=[a.account for a in accounts],
        regions=list(regions),
        partitions={a.account: a.session.get_partition_for_region(home) for a in accounts},
    )
    jobs_by_wave = [
        [
            Job(spec, account, region)
            for account in accounts
            for spec in wave
            for region in (regions if spec.regional else [GLOBAL_REGION])
        ]
        for wave in _waves(specs)
    ]
    total = sum(len(w) for w in jobs_by_wave)
    done = 0
    cancelled = threading.Event()

    def fan_out(fn, items):
        return list(fan_pool.map(fn, items))

    def run(job: Job) -> tuple[Job, list, CollectionError | None, list[str]]:
        partition_region = None if job.region == GLOBAL_REGION else job.region
        needed, needed_errors = {}, {}
        for dep in job.spec.needs:
            dep_errors = inventory.errors_for((dep,), job.account.account, partition_region)
            if dep_errors:
                needed_errors[dep] = dep_errors[0]
            needed[dep] = inventory.view(job.account.account, partition_region).get(dep)
        ctx = CollectContext(
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
        )
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
    try:
        for wave in jobs_by_wave:
            futures = [pool.submit(run, job) for job in wave]
            for future in as_completed(futures):
                job, resources, error, calls = future.result()
                inventory.calls.extend(calls)
                if error is not None:
                    inventory.fail(job.spec.resource_type, error)
                else:
                    inventory.add(job.spec.resource_type, job.account.account, job.region, resources)
                done += 1
                if progress:
                    progress(done, total, f"{job.spec.resource_type} {job.account.account} {job.region}")
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
