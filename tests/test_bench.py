"""The benchmark harness stays correct as check families land: its floor accounts for every permission the
registered collectors declare, its seeding works against the emulator, and ``--version`` stays import-free.
Figures themselves are printed by ``make bench``, never asserted here."""

from __future__ import annotations

import subprocess
import sys

import boto3

from auditpack.resources.base import COLLECTORS, calls_allowed_by
from bench.needs import CHEAPER_SOURCE, plan_for_registered_checks
from bench.run import floor_plan
from bench.seed import SIZES, Size, seed, spread

HEAVY = {"boto3", "botocore", "weasyprint", "pydantic", "jinja2", "rich", "cerberus", "yaml", "moto"}


def test_the_floor_accounts_for_every_permission_of_the_collectors_the_checks_use():
    plan = plan_for_registered_checks()
    enumerated = {f"{e.service}:{op}" for e in plan.enumerations for op in e.operations}
    sources = {e.source for e in plan.enumerations}
    for rtype in sources & set(COLLECTORS):
        for permission in COLLECTORS[rtype].permissions:
            for service, operation in calls_allowed_by(permission, COLLECTORS[rtype].service):
                call = f"{service}:{operation}"
                assert (call in enumerated or call in plan.per_resource or permission in plan.avoided), permission
    for op, instead in plan.avoided.items():
        service, ops = CHEAPER_SOURCE[op]
        assert instead == f"{service}:{'+'.join(ops)}"
        assert any(e.service == service and set(ops) <= set(e.operations) for e in plan.enumerations), op


def test_the_floor_asks_each_per_resource_question_once():
    plan = plan_for_registered_checks()
    op = next(iter(sorted(plan.per_resource)))
    service, name = op.split(":")
    call = {"service": service, "region": "us-east-1", "operation": name, "params": {"Id": "x"}}
    twice = floor_plan(plan, SIZES["S"], [call, dict(call), {**call, "params": {"Id": "y"}}], max_workers=4)
    assert [r["params"] for r in twice["requests"]] == [{"Id": "x"}, {"Id": "y"}]
    assert {e["region"] for e in twice["enumerations"]} <= set(SIZES["S"].regions)


def test_sizes_spread_resources_over_their_regions():
    assert spread(5, ("a", "b")) == {"a": 3, "b": 2}
    assert len(SIZES["L"].regions) == 4 and len(SIZES["M"].regions) == 2
    assert SIZES["L"].users == 10_000 and SIZES["M"].functions == 1_000


def test_seeding_creates_every_resource_type_of_a_size(aws):
    tiny = Size("T", users=4, functions=3, secrets=3, instances=3, regions=("us-east-1", "us-west-2"), packages=2,
                layers=6, buckets=2, large_bucket_keys=30, queues=4)
    seed(tiny)
    iam = boto3.client("iam", region_name="us-east-1")
    users = [u for u in iam.list_users()["Users"] if u["UserName"].startswith("bench-user-")]
    assert len(users) == 4
    assert all(iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"] for u in users)
    # Only what the size adds: the sample account seeded under it has functions, secrets and instances too.
    functions = sum(1 for r in tiny.regions for f in boto3.client("lambda", region_name=r).list_functions()["Functions"]
                    if f["FunctionName"].startswith("bench-fn-"))
    secrets = sum(1 for r in tiny.regions for s in boto3.client("secretsmanager", region_name=r).list_secrets()[
        "SecretList"] if s["Name"].startswith("bench/"))
    instances = sum(1 for r in tiny.regions
                    for res in boto3.client("ec2", region_name=r).describe_instances()["Reservations"]
                    for i in res["Instances"]
                    if any(t["Key"] == "Name" and t["Value"].startswith("bench-") for t in i.get("Tags", [])))
    assert (functions, secrets, instances) == (3, 3, 3)
    queues = sum(len(boto3.client("sqs", region_name=r).list_queues(QueueNamePrefix="bench-q-").get("QueueUrls", []))
                 for r in tiny.regions)
    assert queues == 4
    from auditpack.resources.lambda_code import MAX_PACKAGE
    from auditpack.resources.s3_objects import MAX_BYTES, MAX_KEYS
    from bench.needs import downloads_needed

    needs = downloads_needed(tiny.regions, {MAX_PACKAGE: 64 * 2**20, MAX_KEYS: 10_000, MAX_BYTES: 2**20})
    bench_packages = {sha for (_r, name, _v), sha in needs.package_of.items() if name.startswith("bench-fn-")}
    assert len(bench_packages) == 2, "three functions share two packages"
    # per region: the large bucket's three .npmrc; the small bucket in us-east-1 adds .env, state and config.json
    assert needs.objects >= 2 * 3 + 3 and needs.bytes > needs.package_bytes > 0
    capped = downloads_needed(tiny.regions, {MAX_PACKAGE: 64 * 2**20, MAX_KEYS: 10, MAX_BYTES: 8})
    assert capped.object_bytes <= 8 * capped.objects < 8 * needs.objects


def test_the_floor_locates_each_package_once_however_many_versions_run_it():
    from bench.needs import DownloadNeeds

    plan = plan_for_registered_checks()
    assert "lambda:GetFunction" in plan.per_resource and "lambda:GetFunction" not in plan.avoided
    downloads = DownloadNeeds(package_of={("us-east-1", "a", "$LATEST"): "P", ("us-east-1", "a", "1"): "P",
                                          ("us-east-1", "b", "$LATEST"): "Q"})
    calls = [{"service": "lambda", "region": "us-east-1", "operation": "GetFunction",
              "params": {"FunctionName": name, "Qualifier": version}} for name, version in
             (("a", "$LATEST"), ("a", "1"), ("b", "$LATEST"))]
    floor = floor_plan(plan, SIZES["S"], calls, max_workers=4, downloads=downloads)
    assert [r["params"]["FunctionName"] for r in floor["requests"]] == ["a", "b"]


def test_version_imports_no_heavy_library():
    trace = subprocess.run([sys.executable, "-X", "importtime", "-c",
                            "import sys; from auditpack.cli import main; sys.exit(main(['--version']))"],
                           capture_output=True, text=True, check=True)
    assert trace.stdout.startswith("auditpack ")
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in trace.stderr.splitlines() if "|" in line}
    assert not imported & HEAVY, imported & HEAVY


def test_repeated_runs_compare_by_median_and_count_calls_once():
    from collections import Counter

    from bench.run import Measured, median_of

    runs = [Measured(3.0, 100.0, Counter({"sts:GetCallerIdentity": 1}), 0, 1),
            Measured(1.0, 300.0, Counter({"sts:GetCallerIdentity": 2}), 5, 0),
            Measured(2.0, 200.0, Counter(), 0, 0)]
    middle = median_of(runs)
    assert (middle.wall, middle.peak_mb, middle.calls, middle.code) == (2.0, 200.0, runs[0].calls, 1)


def test_peak_memory_counts_a_childs_own_process_and_what_it_starts():
    """The scan's figure is its own VmHWM; the Kingfisher process it starts is added in the sampled figure."""
    from bench.run import run_child

    grandchild = "import time; block = bytearray(80 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(1)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    code, _wall, own_mb, together_mb, _errors = run_child([sys.executable, "-c", parent], {})
    assert code == 0
    assert own_mb < 60, "the parent itself holds no large block"
    assert together_mb >= own_mb + 70, "the child's 80 MB must show in the figure with children"


def test_peak_memory_counts_a_forked_scan_as_auditpacks_own():
    """The command line scans in a forked child (``auditpack.apart``) while the process started waits: the
    child's memory is the scan's, not a program it started."""
    from bench.run import run_child

    parent = ("import multiprocessing, time\n"
              "def scan():\n"
              "    block = bytearray(120 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(1)\n"
              "child = multiprocessing.get_context('fork').Process(target=scan); child.start(); child.join()\n"
              "raise SystemExit(child.exitcode)")
    code, _wall, own_mb, together_mb, errors = run_child([sys.executable, "-c", parent], {})
    assert code == 0, errors
    assert own_mb > 120 and together_mb < own_mb + 30


def test_a_child_starting_a_program_is_not_counted_twice():
    """Between vfork and exec a child runs in its parent's memory, which /proc reports for both."""
    from bench.run import run_child

    parent = ("import subprocess, time\nblock = bytearray(150 * 2**20); block[::4096] = b'x' * len(block[::4096])\n"
              "start = time.time()\nwhile time.time() - start < 1.5: subprocess.run(['true'])")
    code, _wall, own_mb, together_mb, errors = run_child([sys.executable, "-c", parent], {})
    assert code == 0, errors
    assert own_mb > 150
    assert together_mb < own_mb + 30, f"{together_mb:.0f} MB sampled for a {own_mb:.0f} MB process"


def test_the_report_gives_the_full_pack_its_own_figure(capsys):
    """The floor comparison is made on ``assessment.json`` alone; the full pack's peak is printed beside it."""
    from collections import Counter
    from types import SimpleNamespace

    from bench.run import Measured, report
    from bench.seed import SIZES

    calls = Counter({"sts:GetCallerIdentity": 1})
    scan, floor = Measured(2.0, 110.0, calls, 0, 1, 220.0), Measured(1.5, 100.0, calls, 0, 0)
    full = Measured(6.5, 180.0, calls, 0, 1, 230.0)
    from bench.needs import DownloadNeeds

    scan.downloaded, floor.downloaded = 2100, 2000
    needed = DownloadNeeds(packages=3, package_bytes=1500, objects=4, object_bytes=500)
    figures = report(SIZES["S"], 5.0, scan, floor, SimpleNamespace(avoided={}), runs=7, full=full, downloads=needed)
    assert (figures["scan_peak_mb"], figures["full_pack_peak_mb"], figures["full_pack_wall_s"]) == (110.0, 180.0, 6.5)
    assert (figures["bytes_downloaded"], figures["bytes_needed"]) == (2100, 2000)
    out = capsys.readouterr().out
    assert "full pack   180.0MB" in out
    assert "bytes  scan     2,100  needed     2,000  1.05x" in out, out


def test_the_floor_counts_one_detector_start_and_reports_it_apart(aws, tmp_path):
    """The floor runs the scan's detector once on an empty input; its seconds come back on their own, so the
    bench can print the floor with the detector beside the previous floor, calls only."""
    import json
    import os

    from bench.run import measure_floor

    plan = floor_plan(plan_for_registered_checks(), SIZES["S"], [], max_workers=2)
    assert plan["detector"] is not None, "the built-in checks read secret sources, so the scan starts the detector"
    assert plan["detector"]["argv"][1:3] == ["scan", "{input}"]
    plan["enumerations"] = []  # the identity call alone: what is measured here is the detector's run
    floor = measure_floor(plan, dict(os.environ), tmp_path)
    assert floor.calls == {"sts:GetCallerIdentity": 1}
    assert 0 < floor.detector_s < floor.wall
    assert floor.calls_only_s == floor.wall - floor.detector_s

    plan["detector"]["argv"] = [sys.executable, "-c", "import sys; sys.exit(7)"]
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    failed = subprocess.run([sys.executable, "bench/floor.py", str(tmp_path / "plan.json"), str(tmp_path / "r.json")],
                            capture_output=True, text=True, env=dict(os.environ))
    assert failed.returncode != 0 and "exited with 7" in failed.stderr, "a failed detector is never a fast floor"


def test_the_report_prints_the_previous_floor_beside_the_new_one(capsys):
    from collections import Counter
    from types import SimpleNamespace

    from bench.run import Measured, report

    calls = Counter({"sts:GetCallerIdentity": 1})
    scan = Measured(2.0, 110.0, calls, 0, 1, 220.0)
    floor = Measured(1.6, 100.0, calls, 0, 0, detector_s=0.5)
    figures = report(SIZES["S"], 5.0, scan, floor, SimpleNamespace(avoided={}), runs=7)
    out = capsys.readouterr().out
    assert "floor    1.60s   1.25x" in out
    assert "previous floor, calls only    1.10s   1.82x" in out
    assert (figures["floor_wall_s"], figures["floor_calls_only_s"], figures["floor_detector_s"]) == (1.6, 1.1, 0.5)


def test_every_cited_check_has_a_decided_peer_equivalent():
    """A new check must say which Prowler checks judge the same thing (or that none does, as an empty tuple),
    so the end-to-end ratio keeps comparing the same work."""
    from bench.peer import EQUIVALENT
    from bench.run import cited_checks

    assert sorted(EQUIVALENT) == cited_checks()


def test_the_peer_runs_only_checks_the_installed_version_has():
    from bench.peer import plan

    equivalent = {"a": ("p_a",), "b": ("p_shared", "p_gone"), "c": ("p_shared",), "d": (), "e": ("p_gone",)}
    peer = plan(["a", "b", "c", "d", "e", "f"], {"p_a", "p_shared", "p_other"}, "9.9", equivalent)
    assert peer.checks == ["p_a", "p_shared"], "each verified check once, in our order"
    assert peer.missing == ["p_gone"]
    assert peer.unmatched == ["d", "e", "f"], "no equivalent, all equivalents missing, or never mapped"
    assert "checks equivalent to 3 of our 6" in peer.describe(6) and "p_gone" in peer.describe(6)


def test_the_peer_writes_ocsf_only_and_reaches_nothing_but_loopback(tmp_path):
    from bench.peer import DEAD_PROXY, PeerPlan, command, environment

    argv = command(tmp_path / "prowler", PeerPlan("1", ["x", "y"]), ("us-east-1", "us-west-2"), tmp_path)
    formats = argv[argv.index("--output-formats") + 1:argv.index("--output-directory")]
    assert formats == ["json-ocsf"]
    assert argv[argv.index("--checks") + 1:argv.index("--filter-region")] == ["x", "y"]
    env = environment({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, tmp_path)
    assert env["HTTPS_PROXY"] == env["https_proxy"] == DEAD_PROXY and "127.0.0.1" in env["NO_PROXY"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"


def test_the_peers_findings_are_read_from_its_ocsf_file(tmp_path):
    import json

    from bench.peer import read_findings

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "peer.ocsf.json").write_text(json.dumps(
        [{"metadata": {"event_code": "iam_root_mfa_enabled"}, "status_code": "FAIL"},
         {"metadata": {"event_code": "iam_root_mfa_enabled"}, "status_code": "PASS"},
         {"metadata": {"event_code": "kms_cmk_rotation_enabled"}, "status_code": "PASS"}]))
    by_check, status = read_findings(tmp_path)
    assert by_check == {"iam_root_mfa_enabled": 2, "kms_cmk_rotation_enabled": 1}
    assert status == {"FAIL": 1, "PASS": 2}


def test_without_the_peer_the_bench_says_it_was_not_measured(capsys):
    from collections import Counter

    from bench.run import Measured, Peer, peer_report

    full = Measured(6.0, 200.0, Counter(), 0, 1)
    figures = peer_report(full, Peer(None, None, "bench/.peer-venv holds no Prowler"), None)
    assert figures == {"peer_measured": False,
                       "peer_not_measured_because": "bench/.peer-venv holds no Prowler"}
    assert "Prowler not measured: bench/.peer-venv holds no Prowler" in capsys.readouterr().out


def test_with_the_peer_the_bench_prints_both_walls_and_the_ratio(capsys):
    from collections import Counter

    from bench.peer import PeerPlan, PeerRun
    from bench.run import Measured, Peer, peer_report

    full = Measured(6.0, 200.0, Counter(), 0, 1)
    run = PeerRun(66.0, 300.0, 3, 12, Counter({"x": 12}), Counter({"FAIL": 2, "PASS": 10}))
    scan = Measured(2.2, 100.0, Counter(), 0, 1)
    figures = peer_report(full, Peer(None, PeerPlan("5.0", ["x", "y"])), run, scan)
    out = capsys.readouterr().out
    assert "assessment.json alone (2.20s, median): 30.00x faster" in out
    assert "Prowler 5.0   66.00s   full pack    6.00s   11.00x faster" in out
    assert "12 findings (FAIL 2, PASS 10) from 1 of its checks" in out
    assert figures["peer_ratio"] == 11.0 and figures["peer_wall_s"] == 66.0


def test_the_emulators_missing_operations_are_counted_not_printed():
    import logging

    from bench.peer import UnimplementedRequests

    counter = UnimplementedRequests()

    def record(last_line: str) -> logging.LogRecord:  # as werkzeug logs it: the traceback inside the message
        return logging.LogRecord("werkzeug", logging.ERROR, __file__, 1, "%s", (
            f"Error on request:\nTraceback (most recent call last):\n  File \"x.py\", line 1\n{last_line}\n",), None)

    assert not counter.filter(record("NotImplementedError: The list_report_groups action has not been implemented"))
    assert counter.filter(record("KeyError: 'a real server error is still shown'"))
    assert counter.seen == {"list_report_groups": 1}


def test_a_peer_run_that_failed_or_judged_nothing_is_an_error_never_a_figure(tmp_path):
    import json

    import pytest

    from bench.peer import PeerPlan, measure_peer

    def child(code: int, findings: list[dict]):
        def run(argv: list[str], env: dict[str, str]) -> tuple[int, float, float, float, str]:
            out = tmp_path / "peer-out"
            assert argv[argv.index("--output-directory") + 1] == str(out)
            assert env["HOME"] == str(tmp_path / "peer-home")
            out.mkdir(exist_ok=True)
            (out / "peer.ocsf.json").write_text(json.dumps(findings))
            return code, 12.5, 300.0, 300.0, "the peer's own complaint"
        return run

    peer, regions = PeerPlan("5.0", ["x"]), ("us-east-1",)
    with pytest.raises(RuntimeError, match="exit 1: the peer's own complaint"):
        measure_peer(child(1, []), tmp_path / "prowler", peer, regions, {}, tmp_path)
    with pytest.raises(RuntimeError, match="wrote no finding"):
        measure_peer(child(0, []), tmp_path / "prowler", peer, regions, {}, tmp_path)
    run = measure_peer(child(3, [{"metadata": {"event_code": "x"}, "status_code": "FAIL"}]), tmp_path / "prowler",
                       peer, regions, {}, tmp_path)
    assert (run.wall, run.findings, run.code) == (12.5, 1, 3)


def test_the_scans_calls_are_logged_though_it_scans_in_a_child(aws, tmp_path):
    """The command line scans in a forked child (``auditpack.apart``): a call log of the process started alone
    would count none of the scan's calls, and every ratio would read 0x."""
    import json
    import os
    from pathlib import Path

    log = tmp_path / "calls.json"
    child = Path(__file__).parent.parent / "bench" / "scan_child.py"
    done = subprocess.run([sys.executable, str(child), "scan", "--out", str(tmp_path / "pack"), "--quiet",
                           "--format", "json", "--region", "us-east-1", "--control", "IA-5(7)"],
                          env={**os.environ, "AUDITPACK_BENCH_CALL_LOG": str(log)}, capture_output=True, text=True)
    assert done.returncode in (0, 1, 3), done.stderr
    made = {f"{c['service']}:{c['operation']}" for c in json.loads(log.read_text())}
    assert {"sts:GetCallerIdentity", "lambda:ListFunctions"} <= made
    assert not list(tmp_path.glob("calls.json.child-*")), "the child's part is gathered into the log"
