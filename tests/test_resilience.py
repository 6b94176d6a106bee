"""Scans through a fault-injecting proxy: retries recover exactly, exhausted retries and AccessDenied become
``error`` results on exactly the checks that need the failed call, never a pass, a crash or a hang.

The account is seeded once per module (scans only read it); every scan goes through ``FaultProxy`` with small
timeouts and attempt counts from a config file, so a fault costs about a second, not a minute. The operations
to break are taken from what a clean scan actually called, and the checks expected to break are derived from
the registries, so these tests grow with every check family that lands.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from auditpack.cli import main
from auditpack.emulator.demo import DEMO_REGIONS, seed_sample_account
from auditpack.emulator.seeding import monitoring
from auditpack.emulator.server import CLEARED_ENV, Emulator
from auditpack.library.checks import load_checks
from auditpack.resources import key_owners as leaked_keys
from auditpack.resources.base import COLLECTORS
from tests.faultproxy import FAULTS, FaultPlan, FaultProxy, Rule

IDENTITY_CALL = "sts:GetCallerIdentity"  # made before collection; denying it is a credentials error (exit 2)


@dataclass
class Baseline:
    emulator: Emulator
    workdir: Path
    findings: dict[str, str]  # finding id -> status of the clean run
    assessment: dict
    operations: list[str]  # service:Operation the clean scan called, identity call excluded
    code: int


def scan(out: Path, config: Path, *extra: str) -> tuple[int, str, dict | None]:
    """Run ``auditpack scan`` in this process; (exit code, stderr, assessment or None)."""
    err = io.StringIO()
    args = ["scan", "--out", str(out), "--quiet", "--config", str(config), "--format", "json"]
    for region in DEMO_REGIONS:
        args += ["--region", region]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([*args, *extra])
    path = out / "assessment.json"
    return code, err.getvalue(), json.loads(path.read_text()) if path.exists() else None


def write_config(path: Path, max_attempts: int) -> Path:
    """Small timeouts keep faults cheap; at least three attempts keep a loaded CI machine's one slow answer from
    passing for an injected fault."""
    path.write_text(f"collection:\n  max_workers: 8\n  max_attempts: {max_attempts}\n"
                    "  connect_timeout: 1\n  read_timeout: 1\n")
    return path


@pytest.fixture(scope="module")
def baseline(emulator_server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baseline]:
    """The demo account plus a well-configured trail and detector (so some controls are satisfied), and the
    findings of a clean scan of it through a proxy that injects nothing."""
    workdir = tmp_path_factory.mktemp("resilience")
    emulator_server.reset()
    with pytest.MonkeyPatch.context() as mp:
        for key in CLEARED_ENV:
            mp.delenv(key, raising=False)
        for key, value in emulator_server.environment().items():
            mp.setenv(key, value)
        mp.setenv("XDG_CONFIG_HOME", str(workdir / "xdg"))
        seed_sample_account()
        monitoring.trail("organization-trail", "us-east-1", multi_region=True, log_validation=True, kms=True)
        monitoring.guardduty("us-west-2")
        with FaultProxy(emulator_server.endpoint) as proxy:
            mp.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
            code, stderr, assessment = scan(workdir / "clean", write_config(workdir / "clean.yaml", 3))
        assert assessment is not None, stderr
        operations = sorted(op for op in proxy.seen if op != IDENTITY_CALL)
        yield Baseline(emulator_server, workdir, {f["id"]: f["status"] for f in assessment["findings"]},
                       assessment, operations, code)


@pytest.fixture
def via_proxy(baseline: Baseline, monkeypatch: pytest.MonkeyPatch):
    """Start a proxy with a plan and point this test's AWS configuration at it."""
    for key in CLEARED_ENV:
        monkeypatch.delenv(key, raising=False)
    for key, value in baseline.emulator.environment().items():
        monkeypatch.setenv(key, value)

    @contextlib.contextmanager
    def start(plan: FaultPlan) -> Iterator[FaultProxy]:
        with FaultProxy(baseline.emulator.endpoint, plan, max_requests=2000, lifetime=50) as proxy:
            monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
            yield proxy

    return start


def checks_needing(operation: str) -> tuple[set[str], set[str]]:
    """(checks whose own collectors call ``operation``, those plus checks that reach it through ``needs``).

    A collector may read a dependency as optional, so the second set is an upper bound."""
    COLLECTORS.load()
    service, name = operation.split(":", 1)
    calling = {t for t, spec in COLLECTORS.items() if f"{service}:{name}" in spec.permissions}
    reaching = set(calling)
    changed = True
    while changed:
        changed = False
        for rtype, spec in COLLECTORS.items():
            if rtype not in reaching and reaching & set(spec.needs):
                reaching.add(rtype)
                changed = True
    checks = load_checks()
    direct = {c for c, spec in checks.items() if calling & set(spec.resources)}
    indirect = {c for c, spec in checks.items() if reaching & set(spec.resources)}
    return direct, indirect


def by_check(assessment: dict) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for f in assessment["findings"]:
        out.setdefault(f["check_id"], {})[f["id"]] = f["status"]
    return out


def test_clean_scan_through_the_proxy_exercises_collectors(baseline: Baseline):
    assert baseline.code in (0, 1, 3)
    assert baseline.operations, "the clean scan made no collector call through the proxy"
    assert baseline.findings


def test_with_retries_a_faulty_service_yields_exactly_the_clean_findings(baseline, via_proxy, tmp_path):
    """Every operation meets one fault on its first request (each kind used), and a fifth of the rest are
    throttled; with enough attempts the result is identical, finding by finding."""
    transient = [f for f in FAULTS if f != "deny"]
    rules = [Rule(transient[i % len(transient)], op, first=1) for i, op in enumerate(baseline.operations)]
    plan = FaultPlan([*rules, Rule("throttle", "*", rate=0.2, first=3)], seed=8, slow_seconds=1.5)
    with via_proxy(plan) as proxy:
        code, stderr, assessment = scan(tmp_path / "pack", write_config(tmp_path / "c.yaml", 6))
    assert assessment is not None, stderr
    assert set(proxy.faults()) == set(transient), f"not every fault was injected: {proxy.faults()}"
    assert {f["id"]: f["status"] for f in assessment["findings"]} == baseline.findings
    assert code == baseline.code


@pytest.mark.parametrize("fault", ["throttle", "server_error", "unavailable", "slow", "drop"])
def test_when_retries_run_out_the_checks_are_errors_and_their_controls_not_assessed(
        baseline, via_proxy, tmp_path, fault):
    satisfied = [c for c in baseline.assessment["controls"] if c["status"] == "satisfied"]
    assert satisfied, "the seeded account must satisfy some control for this test to mean anything"
    checks = load_checks()
    needed_types = {t for c in satisfied for check_id in c["checks"] for t in checks[check_id].resources}
    COLLECTORS.load()
    candidates = [op for op in baseline.operations
                  if any(op in COLLECTORS[t].permissions for t in needed_types if t in COLLECTORS)]
    assert candidates, "no call of the satisfied controls' collectors was seen"
    operation = candidates[0]
    direct, indirect = checks_needing(operation)
    controls = [c["id"] for c in satisfied]

    plan = FaultPlan([Rule(fault, operation)], slow_seconds=1.5)
    with via_proxy(plan) as proxy:
        code, stderr, assessment = scan(tmp_path / "pack", write_config(tmp_path / "c.yaml", 3),
                                        *[a for c in controls for a in ("--control", c)])
    assert proxy.injected[(operation, fault)] >= 3, "the fault was not injected on every attempt"
    assert assessment is not None, stderr
    assert "Traceback" not in stderr
    assert code == 3, f"expected exit 3 (not assessed) when {operation} always fails with {fault}"
    statuses = by_check(assessment)
    affected = {c for c, found in statuses.items() if "error" in found.values()}
    assert direct & set(statuses) <= affected <= indirect
    for check_id in affected:
        assert "pass" not in statuses[check_id].values() or checks[check_id].scope == "region"
    for control in assessment["controls"]:
        if set(control["checks"]) & affected:
            assert control["status"] == "not-assessed", control["id"]
        else:
            assert control["status"] == "satisfied", control["id"]
    name = operation.split(":", 1)[1]
    assert any(e["operation"] == name for e in assessment["errors"]), assessment["errors"]


OWNER_LOOKUP = set(leaked_keys.PERMISSIONS)


def _deny_cases() -> list[str]:
    """Parametrize lazily: the operations are those of the collectors registered when the tests run."""
    COLLECTORS.load()
    return sorted({p for spec in COLLECTORS.values() for p in spec.permissions})


@pytest.mark.parametrize("operation", _deny_cases())
def test_access_denied_on_one_operation_errors_exactly_the_checks_that_need_it(
        baseline, via_proxy, tmp_path, operation):
    if operation not in baseline.operations:
        pytest.skip(f"{operation} is not called for the seeded account (no resource leads to it)")
    direct, indirect = checks_needing(operation)
    with via_proxy(FaultPlan([Rule("deny", operation)])) as proxy:
        code, stderr, assessment = scan(tmp_path / "pack", write_config(tmp_path / "c.yaml", 3))
    assert proxy.injected[(operation, "deny")] >= 1
    assert proxy.injected[(operation, "deny")] == proxy.seen[operation], "AccessDenied must not be retried"
    assert assessment is not None, stderr
    assert code in (1, 3)
    clean, now = by_check(baseline.assessment), by_check(assessment)
    denied_code = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
    name = operation.split(":", 1)[1]
    if operation in OWNER_LOOKUP:
        # Enrichment, by design: a leak whose owner cannot be looked up still fails, and says why. Its activity
        # is still read (by key id, in the account sts:GetAccessKeyInfo placed it in), so no verdict moves.
        if operation == "sts:GetAccessKeyInfo":
            # A key IAM does not know either (one of another account, found in code) can no longer be placed:
            # its check errs for it, never passes it. Every verdict the baseline had stays.
            activity = "leaked_key_no_suspicious_activity"
            added = {fid: v for fid, v in now.get(activity, {}).items() if fid not in clean.get(activity, {})}
            assert set(added.values()) <= {"error"}, added
            now[activity] = {fid: v for fid, v in now.get(activity, {}).items() if fid not in added}
        assert now == clean, "a denied owner lookup must not change any verdict"
        messages = [f["message"] for f in assessment["findings"] if f["status"] == "fail"]
        if operation.startswith("iam:"):
            assert any("owner unknown: the IAM lookup failed with AccessDenied" in m for m in messages)
        return
    if operation == "cloudtrail:LookupEvents":
        # A leaked key's history: the leak findings keep their verdicts and say what could not be added; the
        # check that judges the history errs, naming the denial. It is data, not a failed collector.
        activity = "leaked_key_no_suspicious_activity"
        assert {c: v for c, v in now.items() if c != activity} == {c: v for c, v in clean.items() if c != activity}
        assert set(now[activity].values()) == {"error"}
        messages = [f["message"] for f in assessment["findings"] if f["check_id"] == activity]
        assert all("could not be read" in m and "AccessDenied" in m for m in messages), messages
        return
    errors = [e for e in assessment["errors"] if e["operation"] == name]
    assert errors and {e["error_code"] for e in errors} <= denied_code
    affected = {c for c in now if now[c] != clean.get(c)}
    assert affected <= indirect, f"checks that do not need {operation} changed: {affected - indirect}"
    for check_id in direct & set(now):
        assert "error" in now[check_id].values(), f"{check_id} needs {operation} but shows no error"
        messages = [f["message"] for f in assessment["findings"]
                    if f["check_id"] == check_id and f["status"] == "error"]
        assert any(name in m for m in messages), messages
