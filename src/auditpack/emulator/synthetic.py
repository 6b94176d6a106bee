"""A synthetic assessment of any size, for the report benchmark and the report tests.

Rendering does not need AWS, so its scale can be measured without the emulator (whose request rate would make
a 10,000-finding scan a test of moto, not of the report; docs/performance.md). The assessment is deterministic for a
given size and seed, uses every part of the model the report shows (waivers in each state, a comparison,
errors, parameters, several accounts), and can write matching evidence files into a pack folder.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditpack.evaluate.assessment import control_status
from auditpack.models import (
    Assessment,
    CheckInfo,
    CheckSummary,
    CollectionError,
    Comparison,
    ControlChange,
    ControlResult,
    ControlStatus,
    Finding,
    Identity,
    Organization,
    ParameterValue,
    ResourceRef,
    Run,
    Scope,
    Severity,
    Status,
    Tool,
    Waiver,
    WaiverState,
    WaiverStatus,
)

FAMILIES = {
    "AC": "Access Control", "AU": "Audit and Accountability", "CM": "Configuration Management",
    "CP": "Contingency Planning", "IA": "Identification and Authentication", "IR": "Incident Response",
    "RA": "Risk Assessment", "SC": "System and Communications Protection", "SI": "System and Information Integrity",
}
SERVICES = [("ec2", "AWS::EC2::Instance", "i-"), ("iam", "AWS::IAM::User", "user-"),
            ("lambda", "AWS::Lambda::Function", "fn-"), ("s3", "AWS::S3::Bucket", "bucket-"),
            ("rds", "AWS::RDS::DBInstance", "db-"), ("kms", "AWS::KMS::Key", "key-")]
SEVERITIES = [Severity.CRITICAL, Severity.HIGH, Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM, Severity.LOW]


def synthetic_assessment(findings: int = 10_000, controls: int = 60, checks: int = 40, accounts: int = 4,
                         regions: tuple[str, ...] = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1"),
                         seed: int = 7, pack: Path | None = None) -> Assessment:
    """An assessment with about ``findings`` results; with ``pack``, also the evidence files they cite."""
    rng = random.Random(seed)
    account_ids = [f"{100000000000 + 111111111 * (i + 1):012d}" for i in range(accounts)]
    started = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    infos = []
    for i in range(checks):
        service, rtype, _ = SERVICES[i % len(SERVICES)]
        infos.append(CheckInfo(
            id=f"{service}_rule_{i:02d}", title=f"{service.upper()} resources meet rule {i}",
            problem=f"{service.upper()} resources break rule {i}",
            description=f"Each {rtype} is judged against rule {i}; ``limit_{i}`` sets its threshold.",
            severity=SEVERITIES[i % len(SEVERITIES)],
            remediation=f"Change the {service} setting `limit_{i}` for rule {i}.",
            resource_types=[f"{service}.things"], permissions=[f"{service}:Describe{i}"]))

    evidence_paths = [f"evidence/{a}/{r}/{s}/Describe{n}-0001.json"
                      for a in account_ids for r in regions for s, _, _ in SERVICES for n in ("Things", "Settings")]
    if pack is not None:
        for rel in evidence_paths:
            path = pack / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"operation": rel.rsplit("/", 1)[-1], "response": {"Items": []}}))

    all_findings: list[Finding] = []
    for n in range(findings):
        info = infos[n % checks]
        service, rtype, prefix = SERVICES[(n % checks) % len(SERVICES)]
        account = account_ids[n % accounts]
        region = regions[(n // accounts) % len(regions)]
        name = f"{prefix}{rng.getrandbits(48):012x}"
        arn = f"arn:aws:{service}:{region}:{account}:{rtype.split('::')[-1].lower()}/{name}"
        roll = rng.random()
        status = (Status.FAIL if roll < 0.25 else Status.ERROR if roll < 0.27 else Status.WAIVED if roll < 0.28
                  else Status.NOT_APPLICABLE if roll < 0.30 else Status.PASS)
        details = {"age_days": rng.randint(1, 900)}
        if status == Status.FAIL and n % 7 == 0:
            details |= {"key_masked": "AKIA…MPLE", "key_fingerprint": f"hmac-sha256:{rng.getrandbits(128):032x}"}
        waiver = None
        if status == Status.WAIVED:
            waiver = Waiver(check_id=info.id, resource=f"arn:aws:{service}:*", justification="Compensating control "
                            "in place until the Q3 migration.", approved_by="CISO", expires="2027-03-31",
                            ticket="RISK-42")
        all_findings.append(Finding(
            id=Finding.stable_id(info.id, arn, region), check_id=info.id, status=status, severity=info.severity,
            resource=ResourceRef(arn=arn, type=rtype, name=name), region=region, account=account, control_ids=[],
            message=(f"{rtype} {name} breaks rule {n % checks}: setting is {rng.choice(['off', 'too weak', 'stale'])}."
                     if status != Status.PASS else f"{rtype} {name} meets rule {n % checks}."),
            remediation=info.remediation,
            evidence=[evidence_paths[(n * 3) % len(evidence_paths)], evidence_paths[(n * 3 + 1) % len(evidence_paths)]],
            details=details, waiver=waiver))

    by_check: dict[str, list[Finding]] = {}
    for f in all_findings:
        by_check.setdefault(f.check_id, []).append(f)
    results = []
    families = list(FAMILIES)
    for i in range(controls):
        family = families[i % len(families)]
        cid = f"{family}-{2 + i // len(families)}" + (f"({i % 3 + 1})" if i % 4 == 3 else "")
        cited = sorted({infos[(i * 3 + k) % checks].id for k in range(1 + i % 3)})
        mine = [f for c in cited for f in by_check.get(c, [])]
        for f in mine:
            if cid not in f.control_ids:
                f.control_ids.append(cid)
        summaries = []
        for c in cited:
            fs = by_check.get(c, [])
            summaries.append(CheckSummary(
                check_id=c, title=next(x.title for x in infos if x.id == c),
                passed=sum(f.status == Status.PASS for f in fs), failed=sum(f.status == Status.FAIL for f in fs),
                errors=sum(f.status == Status.ERROR for f in fs),
                not_applicable=sum(f.status == Status.NOT_APPLICABLE for f in fs),
                waived=sum(f.status == Status.WAIVED for f in fs)))
        results.append(ControlResult(
            id=cid, oscal_id=cid.lower().replace("(", ".").replace(")", ""), title=f"Control {cid} title",
            family=FAMILIES[family], summary=f"What {cid} asks of an AWS account, in plain words.",
            status=control_status(mine), checks=cited,
            parameters={f"{family.lower()}-{i:02d}_odp.01": ParameterValue(
                name="Maximum age in days", parameter=f"limit_{i}", value=90, source="config",
                odp_id=f"{family.lower()}-{i:02d}_odp.01")} if i % 2 else {},
            check_results=summaries,
            accounts={a: control_status(f for f in mine if f.account == a) for a in account_ids}))

    failing = [f.id for f in all_findings if f.status == Status.FAIL]
    waived = [f.id for f in all_findings if f.status == Status.WAIVED]
    return Assessment(
        tool=Tool(version="0.1.0"),
        run=Run(id="00000000-0000-4000-8000-000000000001", started_at=started,
                finished_at=started + timedelta(minutes=14, seconds=9)),
        scope=Scope(accounts=account_ids, regions=list(regions),
                    identity=Identity(arn=f"arn:aws:sts::{account_ids[0]}:assumed-role/Auditor/session",
                                      account=account_ids[0])),
        organization=Organization(name="Example Corp", system="Payments Platform"),
        controls=results, checks=infos, findings=all_findings,
        errors=[CollectionError(account=account_ids[-1], region=regions[-1], service="ec2",
                                operation="DescribeThings", error_code="AccessDenied",
                                message="User is not authorized to perform ec2:DescribeThings",
                                resource_type="ec2.things", checks=[infos[0].id])],
        waivers=[
            WaiverStatus(waiver=Waiver(check_id=infos[1 % checks].id, resource="arn:aws:iam::*",
                                       justification="Accepted", approved_by="CISO", expires="2027-03-31"),
                         state=WaiverState.ACTIVE,
                         finding_ids=waived[:5]),
            WaiverStatus(waiver=Waiver(check_id=infos[2 % checks].id, resource="arn:aws:s3:::legacy-*",
                                       justification="Old", approved_by="CISO", expires="2026-01-31"),
                         state=WaiverState.EXPIRED),
            WaiverStatus(waiver=Waiver(check_id=infos[3 % checks].id, resource="arn:aws:kms:*", justification="Unused",
                                       approved_by="CTO", expires="2027-01-31"), state=WaiverState.STALE),
        ],
        comparison=Comparison(
            previous_run_id="00000000-0000-4000-8000-000000000000", previous_started_at=started - timedelta(days=91),
            new_failures=failing[: len(failing) // 10], resolved=[f"{infos[5 % checks].id}-00000000deadbeef"],
            persisting=failing[len(failing) // 10:],
            control_changes=[ControlChange(id=results[0].id, previous=ControlStatus.SATISFIED,
                                           current=results[0].status)]),
        config={"report": {"prepared_by": "Jane Doe", "reviewed_by": "John Roe", "pdf_findings_per_control": 25}},
    )
