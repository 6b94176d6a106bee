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
