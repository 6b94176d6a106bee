"""``findings.asff.json``: AWS Security Finding Format, ready for Security Hub's BatchImportFindings.

The file is a JSON array of request bodies, each ``{"Findings": [...]}`` with at most 100 findings (the
API's limit), so importing it is ``for body in json.load(f): securityhub.batch_import_findings(**body)``.
Findings go to the default custom-integration product of their own account and region: the only product
ARN an account may import into without a partner registration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditpack.models import Assessment, Finding, Status
from auditpack.render import RenderContext, output
from auditpack.render.common import (
    Lazy,
    clip,
    iso,
    nist_requirement,
    partition_of,
    real_region,
    with_waivers,
    write_json,
)
from auditpack.render.disclosure import shareable_details

FILENAME = "findings.asff.json"
SCHEMA_VERSION = "2018-10-08"
BATCH_SIZE = 100  # BatchImportFindings accepts at most 100 findings per call
MAX_REQUIREMENTS = 32  # Compliance.RelatedRequirements holds at most 32 entries
NIST_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/NIST 800-53 Controls (USA)"

COMPLIANCE_STATUS = {
    Status.PASS: "PASSED",
    Status.FAIL: "FAILED",
    Status.WAIVED: "FAILED",  # the resource still fails; Workflow SUPPRESSED carries the waiver
    Status.ERROR: "WARNING",  # the check could not be evaluated: information is missing
    Status.NOT_APPLICABLE: "NOT_AVAILABLE",
}


def resource_type(cfn_type: str) -> str:
    """ASFF spells CloudFormation types without separators: AWS::CloudTrail::Trail -> AwsCloudTrailTrail."""
    parts = [p for p in cfn_type.split("::") if p]
    if len(parts) < 2 or parts[0] != "AWS":
        return "Other"
    # Acronyms are capitalised like words (EC2 -> Ec2, IAM -> Iam); CamelCase names stay (CloudTrail).
    return "Aws" + "".join(p.capitalize() if p.isupper() else p[:1].upper() + p[1:] for p in parts[1:])


def severity_label(finding: Finding) -> str:
    """Security Hub's convention: a passed or not-applicable control check is INFORMATIONAL."""
    if finding.status in (Status.PASS, Status.NOT_APPLICABLE):
        return "INFORMATIONAL"
    return finding.severity.value.upper()


def asff_finding(assessment: Assessment, finding: Finding) -> dict[str, Any]:
    region = real_region(finding, assessment)
    partition = partition_of(finding.resource.arn)
    account = finding.account
    now = iso(assessment.run.finished_at)
    check = next((c for c in assessment.checks if c.id == finding.check_id), None)
    fields = {
        "auditpack/FindingId": finding.id,
        "auditpack/CheckId": finding.check_id,
        "auditpack/Status": finding.status.value,
        "auditpack/RunId": assessment.run.id,
        **{f"auditpack/{k}": clip(v, 2048) for k, v in shareable_details(finding.details).items()},
    }
    if finding.region != real_region(finding, assessment):
        fields["auditpack/Region"] = finding.region  # "global": filed under the scan's home region
    result: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": clip(f"auditpack/{account}/{finding.id}", 512),
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "GeneratorId": clip(f"auditpack/{finding.check_id}", 512),
        "AwsAccountId": account,
        "Region": region,
        "Types": [NIST_TYPE],
        "CreatedAt": iso(assessment.run.started_at),
        "UpdatedAt": now,
        "Severity": {"Label": severity_label(finding), "Original": finding.severity.value.upper()},
        "Title": clip(check.title if check else finding.check_id, 256),
        "Description": clip(finding.message.strip() or f"{finding.check_id}: {finding.status.value}", 1024),
        "Remediation": {"Recommendation": {"Text": clip(finding.remediation, 512)}},
        "ProductFields": fields,
        "Resources": [{
            "Type": resource_type(finding.resource.type),
            "Id": finding.resource.arn,
            "Partition": partition,
            "Region": region,
        }],
        "Compliance": {
            "Status": COMPLIANCE_STATUS[finding.status],
            "RelatedRequirements": [nist_requirement(c) for c in finding.control_ids][:MAX_REQUIREMENTS],
        },
        "RecordState": "ACTIVE",
    }
    if finding.resource.name.strip():
        result["Resources"][0]["Details"] = {"Other": {"Name": clip(finding.resource.name, 1024)}}
    if not result["Compliance"]["RelatedRequirements"]:
        del result["Compliance"]["RelatedRequirements"]
    if finding.waiver:
        result["Workflow"] = {"Status": "SUPPRESSED"}
        result["Note"] = {
            "Text": clip(f"Waived: {finding.waiver.justification} (expires {finding.waiver.expires}"
                         f"{', ticket ' + finding.waiver.ticket if finding.waiver.ticket else ''})", 512),
            "UpdatedBy": clip(finding.waiver.approved_by, 512),
            "UpdatedAt": now,
        }
    return result


def batches(assessment: Assessment) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """BatchImportFindings bodies of at most ``BATCH_SIZE`` findings, made as they are written."""
    found = assessment.findings
    for first in range(0, len(found), BATCH_SIZE):
        yield {"Findings": [asff_finding(assessment, f) for f in found[first:first + BATCH_SIZE]]}


@output("asff", description="AWS Security Finding Format, in BatchImportFindings batches of 100",
        files=(FILENAME,), order=30)
def write_asff(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    assessment = with_waivers(assessment)
    return [write_json(ctx.pack / FILENAME, Lazy(batches(assessment)))]
