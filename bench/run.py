"""Benchmarks: a scan of an emulated account at sizes S, M and L, side by side with the floor.

    python bench/run.py                 # S and M
    python bench/run.py --size L        # L only (seeding alone takes minutes)
    python bench/run.py --no-peer       # without the peer, even when bench/.peer-venv holds it

For each size: seed an in-process emulator with plain boto3 calls, run ``auditpack scan`` as a child process
writing ``assessment.json`` (API calls counted by operation through a botocore hook, peak memory from the
child's ``VmHWM``), then run the floor (``bench/floor.py``): a plain boto3 script that makes only the calls the
registered checks need (``bench/needs.py``) with the same concurrency against the same emulator, and then
starts the secret detector once on an empty input (printed beside the floor of the calls alone). Prints the
ratios the performance issue targets, then the peak of one scan writing the full pack (every default format,
the PDF included), and, when ``make bench-peer`` installed it, the peer (``bench/peer.py``: Prowler with the
equivalent checks on the same account) and how many times faster the full pack is. ``docs/performance.md``
explains the method and records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

from bench import peer as peers  # noqa: E402
from bench.needs import IDENTITY, DownloadNeeds, NeedsPlan, downloads_needed, plan_for_registered_checks  # noqa: E402
from bench.seed import SIZES, Size, seed  # noqa: E402

REPEATS = {"S": 7, "M": 3, "L": 3}  # scan/floor pairs per size, run alternately; medians compared
TARGETS = {"calls": 1.1, "bytes": 1.05, "wall": 1.3, "peak_mb_at_L": 400.0, "version_s": 0.5, "peer_ratio": 10.0}
HEAVY_MODULES = ("boto3", "botocore", "weasyprint", "pydantic", "jinja2", "rich", "cerberus", "yaml", "moto")


@dataclass
class Measured:
    wall: float
    peak_mb: float
    calls: Counter[str]
    retries: int
    code: int
    together_mb: float = 0.0  # sampled peak of the process and its children (Kingfisher) at the same moment
    downloaded: int = 0  # bytes of code packages, layer contents and S3 object bodies
    detector_s: float = 0.0  # of the floor's wall: its one detector run on an empty input

    @property
    def calls_only_s(self) -> float:
        """The floor as it was before it counted the detector's start: its calls alone."""
        return self.wall - self.detector_s


def _status_kb(pid: int, field: str) -> int:
    """A size from ``/proc/PID/status`` (``VmHWM``: peak resident set so far; ``VmRSS``: now), 0 once gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def _proportional_kb(pid: int) -> int:
    """The process' share of resident memory (``Pss``): a page shared with another process counts half, so
    the sum over processes is what they hold together (a forked child shares all its parent's pages)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return _status_kb(pid, "VmRSS")
    match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
    return int(match.group(1)) if match else _status_kb(pid, "VmRSS")


def _children(pid: int) -> list[int]:
    """The process' child processes (each thread lists the ones it started)."""
    found = []
    try:
        listings = list(Path(f"/proc/{pid}/task").glob("*/children"))
    except OSError:  # it ended while we looked (a short-lived program: ldconfig, a compiler)
        return found
    for listing in listings:
        try:
            found += [int(c) for c in listing.read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[tuple[int, int]]:
    """(process, its parent) for every descendant of ``pid``: the command line scans in a forked child of the
    process started, and that child starts Kingfisher."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child in _children(parent):
            found.append((child, parent))
            todo.append(child)
    return found


def _forked_from(pid: int, other: int) -> bool:
    """A process forked from auditpack (and not since turned into another program by ``exec``) keeps its
    command line; Kingfisher, or any program started, has its own."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes() == Path(f"/proc/{other}/cmdline").read_bytes()
    except OSError:
        return False


def _shares_memory_with(child: int, parent: int) -> bool:
    """True for a child between ``vfork`` and ``exec`` (how ``subprocess`` starts a program on Linux): it runs in
    its parent's memory, which ``/proc`` then reports in full for both processes, so summing them would count
    the parent twice (a 300 MB process sampled at 615 MB while it started programs). Both read one memory
    map, so their ``statm`` lines are the same; two processes with memories of their own practically never are.
    """
    try:
        return Path(f"/proc/{child}/statm").read_text() == Path(f"/proc/{parent}/statm").read_text()
    except OSError:
        return False


def run_child(args: list[str], env: dict[str, str],
              timeout: float = 3600) -> tuple[int, float, float, float, str]:
    """(exit code, wall seconds, peak MB, peak MB with Kingfisher, stderr) of one child process.

    The peak is auditpack's, whether it runs as one process or two (``auditpack.apart``: the scan in a forked
    child, the PDF's layout in the process started once that child is gone): the larger of the largest
    ``VmHWM`` any of its processes reached, and what they held at the same moment (their ``Pss``, sampled at
    each poll; a forked child shares its parent's pages, which ``Pss`` counts once). rusage's ``ru_maxrss``
    would report this (large, emulator-holding) parent's size, which a child inherits across fork and exec on
    Linux. The scan also runs Kingfisher as a process of its own; the second figure adds it, sampled, so a
    spike shorter than the poll interval can be missed.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as errors:
        child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        deadline, peak_kb, together_kb = start + timeout, 0, 0
        while child.poll() is None:
            processes = [(c, p) for c, p in _tree(child.pid) if not _shares_memory_with(c, p)]
            ours = [child.pid, *(c for c, _ in processes if _forked_from(c, child.pid))]
            held = [_proportional_kb(pid) for pid in ours]
            peak_kb = max(peak_kb, sum(held), *(_status_kb(pid, "VmHWM") for pid in ours))
            together_kb = max(together_kb, sum(held) + sum(
                _proportional_kb(c) for c, _ in processes if c not in ours))
            if time.perf_counter() > deadline:
                child.kill()
                raise TimeoutError(f"{args[:3]} ran longer than {timeout}s")
            time.sleep(0.02)
        wall = time.perf_counter() - start
        errors.seek(0)
        return child.returncode, wall, peak_kb / 1024, max(together_kb, peak_kb) / 1024, errors.read()


def measure_scan(size: Size, env: dict[str, str], work: Path,
                 full_pack: bool = False) -> tuple[Measured, list[dict[str, Any]]]:
    """One scan writing ``assessment.json`` alone (what the floor is compared with), or with ``full_pack``
    every default format, the PDF included (what a quarterly assessment writes)."""
    log = work / "calls.json"
    out = work / "pack"
    shutil.rmtree(out, ignore_errors=True)  # each scan writes a new pack, not one replacing an earlier run's
    args = [sys.executable, str(ROOT / "bench" / "scan_child.py"), "scan", "--out", str(out), "--quiet"]
    if not full_pack:
        args += ["--format", "json"]
    for region in size.regions:
        args += ["--region", region]
    code, wall, peak, together, stderr = run_child(args, {**env, "AUDITPACK_BENCH_CALL_LOG": str(log)})
    if code not in (0, 1, 3):
        raise RuntimeError(f"scan failed with exit {code}: {stderr.strip()[-2000:]}")
    logged = json.loads(log.read_text())
    calls = [c for c in logged if c["operation"] != "Download"]
    counted = Counter(f"{c['service']}:{c['operation']}" for c in calls)
    downloaded = sum(c.get("bytes", 0) for c in logged)
    return Measured(wall, peak, counted, sum(c["retries"] for c in calls), code, together, downloaded), calls


def detector_plan(needs: NeedsPlan) -> dict[str, Any] | None:
    """How the floor starts the secret detector: the scan's executable, flags and rule cache, on an input the
    floor makes (``{input}``). None when no needed collector is a secret source (the scan then starts none)."""
    from auditpack.resources.base import COLLECTORS, secret_source_types
    from auditpack.secrets import kingfisher

    if not {e.source for e in needs.enumerations} & secret_source_types(COLLECTORS.values()):
        return None
    return {"argv": [str(kingfisher.binary()), "scan", "{input}", *kingfisher.FLAGS],
            "env": {"KF_RULE_CACHE_DIR": str(kingfisher.rule_cache_dir())},
            "ok_exit_codes": [0, kingfisher.FOUND_EXIT]}


def floor_plan(needs: NeedsPlan, size: Size, scan_calls: list[dict[str, Any]], max_workers: int,
               downloads: DownloadNeeds | None = None) -> dict[str, Any]:
    """The floor's calls: every enumeration per partition, and each distinct per-resource request the scan made,
    except a ``GetFunction`` for a package another version's ``GetFunction`` already locates."""
    from auditpack.collect.session import MAX_POOL_CONNECTIONS
    from auditpack.library.config import CollectionSettings

    home = size.regions[0]
    enumerations = [
        {"service": e.service, "operations": list(e.operations), "region": region}
        for e in needs.enumerations
        for region in (size.regions if e.regional else [home])
    ]
    requests, seen, located = [], set(), set()
    package_of = downloads.package_of if downloads else {}
    for c in scan_calls:
        op = f"{c['service']}:{c['operation']}"
        key = (op, c["region"], json.dumps(c["params"], sort_keys=True, default=str))
        if op == "lambda:GetFunction":
            params = c["params"]
            sha = package_of.get((c["region"], params.get("FunctionName"), params.get("Qualifier", "$LATEST")))
            if sha in located:
                continue
            if sha:
                located.add(sha)
        if op in needs.per_resource and key not in seen:
            seen.add(key)
            requests.append({"service": c["service"], "region": c["region"], "operation": c["operation"],
                             "params": c["params"]})
    settings = CollectionSettings()
    return {
        "detector": detector_plan(needs),
        "home_region": home,
        "max_workers": max_workers,
        "client": {"max_attempts": settings.max_attempts, "connect_timeout": settings.connect_timeout,
                   "read_timeout": settings.read_timeout, "max_pool_connections": MAX_POOL_CONNECTIONS},
        "enumerations": enumerations,
        "requests": requests,
    }


def measure_floor(plan: dict[str, Any], env: dict[str, str], work: Path) -> Measured:
    plan_path, result_path = work / "floor-plan.json", work / "floor-result.json"
    plan_path.write_text(json.dumps(plan, default=str))
    floor = [sys.executable, str(ROOT / "bench" / "floor.py"), str(plan_path), str(result_path)]
    code, wall, peak, _together, stderr = run_child(floor, env)
    if code != 0:
        raise RuntimeError(f"floor failed with exit {code}: {stderr.strip()[-2000:]}")
    result = json.loads(result_path.read_text())
    return Measured(wall, peak, Counter(result["calls"]), 0, code, downloaded=result.get("bytes", 0),
                    detector_s=result.get("detector_s", 0.0))


def version_timing(runs: int = 7) -> tuple[float, list[str]]:
    """Median wall time of ``auditpack --version`` and the heavy modules it imports (should be none)."""
    script = [sys.executable, "-c", "import sys; from auditpack.cli import main; sys.exit(main(['--version']))"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(script, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    trace = subprocess.run([sys.executable, "-X", "importtime", *script[1:]], check=True, capture_output=True,
                           text=True).stderr
    imported = {m.group(1).split(".")[0] for m in re.finditer(r"\|\s+(\S+)\s*$", trace, re.MULTILINE)}
    return statistics.median(times), sorted(imported & set(HEAVY_MODULES))


def warm_up() -> None:
    """Import (and so byte-compile) everything both children load, so neither pays first-run compilation."""
    subprocess.run([sys.executable, "-c", "import boto3, auditpack.scan; from auditpack.library.validation import "
                    "load_library; from auditpack.resources.base import COLLECTORS; "
                    "from auditpack.render import FORMATS; "
                    "load_library(None, None, formats=FORMATS.names()); COLLECTORS.load()"], check=True)


def median_of(runs: list[Measured]) -> Measured:
    """The first run's calls and exit code, with the median wall time and peak memory of all runs."""
    return Measured(statistics.median(r.wall for r in runs), statistics.median(r.peak_mb for r in runs),
                    runs[0].calls, runs[0].retries, runs[0].code, statistics.median(r.together_mb for r in runs),
                    runs[0].downloaded, statistics.median(r.detector_s for r in runs))


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


@dataclass
class Peer:
    """The installed peer and the checks it runs; ``absent`` says why it is not measured instead."""

    exe: Path | None
    plan: peers.PeerPlan | None
    absent: str = ""


def find_peer(ours: list[str], wanted: bool) -> Peer:
    """The peer when ``make bench-peer`` installed it (and ``--no-peer`` was not given), its checks verified."""
    exe = peers.executable()
    if not wanted:
        return Peer(None, None, "--no-peer given")
    if exe is None:
        return Peer(None, None, f"{peers.PEER_VENV.relative_to(ROOT)} holds no {peers.PEER_NAME} "
                                 "(`make bench-peer` installs it)")
    plan = peers.plan(ours, peers.installed_checks(), peers.installed_version())
    if not plan.checks:
        return Peer(None, plan, f"none of the equivalent checks exists in {peers.PEER_NAME} {plan.version}")
    return Peer(exe, plan)


def peer_report(full: Measured | None, peer: Peer, run: peers.PeerRun | None,
                scan: Measured | None = None) -> dict[str, Any]:
    """The end-to-end line: the peer's wall against our full pack's (the target), and against the scan writing
    ``assessment.json`` alone (what the pack costs beyond it), or plainly that the peer was not run."""
    if run is None or peer.plan is None or full is None:
        print(f"peer   {peers.PEER_NAME} not measured: {peer.absent}")
        return {"peer_measured": False, "peer_not_measured_because": peer.absent}
    judged = len([c for c in peer.plan.checks if run.by_check.get(c)])
    print(f"peer   {peers.PEER_NAME} {peer.plan.version} {run.wall:7.2f}s   full pack {full.wall:7.2f}s   "
          f"{ratio(run.wall, full.wall)} faster   (target >= {TARGETS['peer_ratio']:.0f}x; one run each)")
    if scan is not None:
        print(f"       against our scan writing assessment.json alone ({scan.wall:.2f}s, median): "
              f"{ratio(run.wall, scan.wall)} faster")
    print(f"       {peers.PEER_NAME}: {len(peer.plan.checks)} checks, OCSF only, {run.findings} findings "
          f"({', '.join(f'{k} {v}' for k, v in sorted(run.status.items()))}) from {judged} of its checks, "
          f"exit {run.code}, peak {run.peak_mb:.0f} MB")
    if run.unimplemented:
        print(f"       the emulator lacks {sum(run.unimplemented.values())} of the peer's requests (answered 500, "
              f"not retried): {', '.join(f'{op} {n}' for op, n in sorted(run.unimplemented.items()))}")
    return {"peer_measured": True, "peer": peers.PEER_NAME, "peer_version": peer.plan.version,
            "peer_checks": len(peer.plan.checks), "peer_wall_s": round(run.wall, 2),
            "peer_findings": run.findings, "peer_peak_mb": round(run.peak_mb, 1),
            "peer_unimplemented_requests": dict(run.unimplemented),
            "peer_ratio": round(run.wall / full.wall, 2) if full.wall else None}


def report(size: Size, seeding: float, scan: Measured, floor: Measured, needs: NeedsPlan,
           runs: int = 1, full: Measured | None = None, downloads: DownloadNeeds | None = None) -> dict[str, Any]:
    needed_total = sum(floor.calls.values())
    made_total = sum(scan.calls.values())
    print(f"\n== {size.describe()} (seeded in {seeding:.1f}s)")
    print(f"{'operation':<44}{'scan':>9}{'needed':>9}{'ratio':>8}")
    for op in sorted(set(scan.calls) | set(floor.calls)):
        note = f"  (avoidable: {needs.avoided[op]})" if op in needs.avoided else ""
        print(f"{op:<44}{scan.calls.get(op, 0):>9}{floor.calls.get(op, 0):>9}"
              f"{ratio(scan.calls.get(op, 0), floor.calls.get(op, 0)):>8}{note}")
    print(f"{'total':<44}{made_total:>9}{needed_total:>9}{ratio(made_total, needed_total):>8}"
          f"   (scan retries: {scan.retries})")
    median = f", median of {runs} runs each" if runs > 1 else ""
    print(f"wall   scan {scan.wall:7.2f}s   floor {floor.wall:7.2f}s   {ratio(scan.wall, floor.wall)}"
          f"   (target <= {TARGETS['wall']}x{median}; floor = calls + one detector run on an empty input)")
    print(f"       previous floor, calls only {floor.calls_only_s:7.2f}s   {ratio(scan.wall, floor.calls_only_s)}"
          f"   (detector's fixed start {floor.detector_s:.2f}s, measured in the same floor run)")
    print(f"calls  scan {made_total:7d}    needed {needed_total:6d}    {ratio(made_total, needed_total)}"
          f"   (target <= {TARGETS['calls']}x)")
    wanted = downloads or DownloadNeeds()
    print(f"bytes  scan {scan.downloaded:9,d}  needed {wanted.bytes:9,d}  {ratio(scan.downloaded, wanted.bytes)}"
          f"   (target <= {TARGETS['bytes']}x; {wanted.packages} distinct packages {wanted.package_bytes:,d} B, "
          f"{wanted.objects} candidate objects {wanted.object_bytes:,d} B; floor downloaded {floor.downloaded:,d})")
    print(f"peak   scan {scan.peak_mb:7.1f}MB  floor {floor.peak_mb:6.1f}MB"
          f"   (target <= {TARGETS['peak_mb_at_L']:.0f} MB at L)   scan exit code {scan.code}")
    print(f"peak   scan with Kingfisher {scan.together_mb:7.1f}MB   (both processes at the same moment, sampled)")
    figures = {"size": size.name, "runs": runs, "seed_s": round(seeding, 1), "scan_wall_s": round(scan.wall, 2),
               "floor_wall_s": round(floor.wall, 2), "floor_calls_only_s": round(floor.calls_only_s, 2),
               "floor_detector_s": round(floor.detector_s, 2), "calls": made_total, "needed": needed_total,
               "scan_peak_mb": round(scan.peak_mb, 1), "floor_peak_mb": round(floor.peak_mb, 1),
               "scan_with_detector_peak_mb": round(scan.together_mb, 1), "bytes_downloaded": scan.downloaded,
               "bytes_needed": wanted.bytes, "floor_bytes_downloaded": floor.downloaded,
               "distinct_packages": wanted.packages, "candidate_objects": wanted.objects}
    if full is not None:
        print(f"peak   full pack {full.peak_mb:7.1f}MB   with Kingfisher {full.together_mb:6.1f}MB   "
              f"(every default format, PDF included; one run, {full.wall:.2f}s)")
        figures |= {"full_pack_peak_mb": round(full.peak_mb, 1),
                    "full_pack_with_detector_peak_mb": round(full.together_mb, 1),
                    "full_pack_wall_s": round(full.wall, 2)}
    return figures


def bench_size(size: Size, needs: NeedsPlan, max_workers: int, peer: Peer | None = None) -> dict[str, Any]:
    from auditpack.emulator.server import running_emulator

    with running_emulator() as emulator, tempfile.TemporaryDirectory(prefix=f"bench-{size.name}-") as tmp:
        work = Path(tmp)
        emulator.reset()  # moto keeps its state in this process: an earlier size's server left it behind
        start = time.perf_counter()
        seed(size)
        seeding = time.perf_counter() - start
        downloads = downloads_needed(size.regions, check_parameters())
        env = {**os.environ, **emulator.environment(), "XDG_CONFIG_HOME": str(work / "xdg")}
        # moto imports a service's backend on its first request: one untimed pass over the enumerations, so
        # that neither the scan nor the floor pays for the emulator's own start-up.
        measure_floor(floor_plan(needs, size, [], max_workers), env, work)
        scan, calls = measure_scan(size, env, work)
        plan = floor_plan(needs, size, calls, max_workers, downloads)
        floor = measure_floor(plan, env, work)
        # A small scan takes a second or two, where a shared machine's noise is as large as the gap measured:
        # repeat scan and floor alternately and compare medians (the calls are counted on the first scan).
        scans, floors = [scan], [floor]
        for _ in range(REPEATS.get(size.name, 1) - 1):
            scans.append(measure_scan(size, env, work)[0])
            floors.append(measure_floor(plan, env, work))
        full, _ = measure_scan(size, env, work, full_pack=True)
        figures = report(size, seeding, median_of(scans), median_of(floors), needs, runs=len(scans), full=full,
                         downloads=downloads)
        peer = peer or Peer(None, None, "not asked for")
        run = None
        if peer.exe is not None and peer.plan is not None:  # same account, after ours: neither changes it
            try:
                run = peers.measure_peer(run_child, peer.exe, peer.plan, size.regions, env, work)
            except (RuntimeError, TimeoutError) as exc:  # said plainly; our figures and other sizes still stand
                peer = Peer(None, peer.plan, f"its run failed: {exc}")
        return figures | peer_report(full, peer, run, median_of(scans))


def cited_checks() -> list[str]:
    """Every check id the built-in controls cite: what our full pack judges, so what the peer must match."""
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS

    return sorted(load_library(None, None, formats=FORMATS.names()).checks)


def check_parameters() -> dict[str, Any]:
    """The check parameters in force by default (the caps the content collectors read under)."""
    from auditpack.library.validation import load_library
    from auditpack.render import FORMATS

    return dict(load_library(None, None, formats=FORMATS.names()).params.values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", action="append", choices=sorted(SIZES), help="size to run; repeatable "
                        "(default: S and M)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--no-peer", dest="peer", action="store_false",
                        help=f"do not run {peers.PEER_NAME} even when `make bench-peer` installed it")
    args = parser.parse_args(argv)
    from auditpack.library.config import CollectionSettings

    needs = plan_for_registered_checks()
    print("What the registered checks need (bench/needs.py):")
    for line in needs.describe():
        print(f"  {line}")
    print(f"  plus {IDENTITY[0]}:{IDENTITY[1]} once")
    warm_up()
    version_s, heavy = version_timing()
    print(f"\nauditpack --version: {version_s * 1000:.0f} ms median (target < {TARGETS['version_s'] * 1000:.0f} ms); "
          f"heavy modules imported: {', '.join(heavy) or 'none'}")
    peer = find_peer(cited_checks(), args.peer)
    if peer.plan is not None:
        print(f"\nThe peer: {peer.plan.describe(len(cited_checks()))}")
    if peer.exe is None:
        print(f"\nThe peer ({peers.PEER_NAME}) is not measured: {peer.absent}")
    results = [bench_size(SIZES[name], needs, CollectionSettings().max_workers, peer)
               for name in (args.size or ["S", "M"])]
    if args.json:
        args.json.write_text(json.dumps({"version_s": round(version_s, 3), "version_heavy_imports": heavy,
                                         "sizes": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
