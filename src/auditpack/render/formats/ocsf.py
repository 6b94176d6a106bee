"""``findings.ocsf.json``: OCSF Compliance Finding events (class 2003) for security data lakes and SIEMs.

One event per finding and control: OCSF's ``compliance.control`` holds a single control, so a finding that
evidences AU-2 and AU-12 becomes two events that share ``finding_info.uid`` prefix and differ in the control.
The file is one JSON array of events, ready for a bulk loader (Amazon Security Lake, OpenSearch, Splunk).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditpack.models import Assessment, Finding, Severity, Status
from auditpack.render import RenderContext, output
from auditpack.render.common import (
    Lazy,
    millis,
    nist_requirement,
    partition_of,
    real_region,
    with_waivers,
    write_json,
)
from auditpack.render.disclosure import shareable_details

OCSF_VERSION = "1.8.0"
FILENAME = "findings.ocsf.json"
STANDARD = "NIST SP 800-53 Rev. 5"  # the spelling OCSF's own dictionary uses in compliance.standards

CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
SEVERITY_ID = {Severity.INFORMATIONAL: 1, Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4,
               Severity.CRITICAL: 5}
# compliance.status_id: 1 Pass, 2 Warning (no result for lack of information), 3 Fail, 99 Other.
COMPLIANCE_STATUS = {
    Status.PASS: (1, "Pass"),
    Status.FAIL: (3, "Fail"),
    Status.WAIVED: (3, "Fail"),  # still failing on the resource; the waiver shows as a Suppressed finding
    Status.ERROR: (2, "Warning"),
    Status.NOT_APPLICABLE: (99, "Not Applicable"),
}
# Finding status_id: 1 New, 3 Suppressed (an approved waiver).
FINDING_STATUS = {Status.WAIVED: (3, "Suppressed")}


def event(assessment: Assessment, finding: Finding, control_id: str) -> dict[str, Any]:
    region = real_region(finding, assessment)
    when = millis(assessment.run.finished_at)
    compliance_id, compliance_name = COMPLIANCE_STATUS[finding.status]
    status_id, status_name = FINDING_STATUS.get(finding.status, (1, "New"))
    resource: dict[str, Any] = {
        "uid": finding.resource.arn,
        "name": finding.resource.name,
        "type": finding.resource.type,
        "region": region,
        "cloud_partition": partition_of(finding.resource.arn),
    }
    result: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": when,
        "severity_id": SEVERITY_ID[finding.severity],
        "severity": finding.severity.value.capitalize(),
        "status_id": status_id,
        "status": status_name,
        "status_code": finding.status.value,
        "message": finding.message,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "product": {"name": "auditpack", "vendor_name": "auditpack", "version": assessment.tool.version},
            "uid": f"{assessment.run.id}:{finding.id}:{control_id}",
            "correlation_uid": assessment.run.id,
        },
        "finding_info": {
            "uid": f"{finding.id}:{control_id}",
            "title": _check_title(assessment, finding.check_id),
            "desc": finding.message,
            "types": ["Compliance"],
            "created_time": when,
            "analytic": {"uid": finding.check_id, "name": finding.check_id, "type_id": 1, "type": "Rule"},
        },
        "cloud": {
            "provider": "AWS",
            "region": region,
            "account": {"uid": finding.account, "type_id": 10, "type": "AWS Account"},
        },
        "compliance": {
            "standards": [STANDARD],
            "control": control_id,
            "requirements": [nist_requirement(control_id)],
            "status_id": compliance_id,
            "status": compliance_name,
            "status_code": finding.status.value,
        },
        "resources": [resource],
        "remediation": {"desc": finding.remediation},
    }
    if finding.waiver:
        result["comment"] = (f"Waived: {finding.waiver.justification} (approved by {finding.waiver.approved_by}, "
                             f"expires {finding.waiver.expires})")
    details = shareable_details(finding.details)
    if details:
        result["unmapped"] = details
    return result


def _check_title(assessment: Assessment, check_id: str) -> str:
    return next((c.title for c in assessment.checks if c.id == check_id), check_id)


def events(assessment: Assessment) -> Iterator[dict[str, Any]]:
    """One event per finding and control, made as they are written."""
    return (event(assessment, f, control_id) for f in assessment.findings for control_id in f.control_ids)


@output("ocsf", description=f"OCSF {OCSF_VERSION} Compliance Finding events (class 2003)",
        files=(FILENAME,), order=20)
def write_ocsf(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    assessment = with_waivers(assessment)
    return [write_json(ctx.pack / FILENAME, Lazy(events(assessment)))]
