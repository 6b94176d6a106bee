"""GuardDuty findings: moto 5.2.5 has detectors but no findings (ListFindings and GetFindings answer 404).

``CreateSampleFindings`` (AWS's own way to produce findings without an incident) makes findings of the named
types, timed by the emulator's clock, so a seeder inside ``freezegun`` makes old ones; ``ListFindings``
filters them by the criteria scanners use (severity, archived) and ``GetFindings`` returns them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from auditpack.emulator.extensions import extension

# Severities AWS gives these finding types (GuardDuty's finding types reference); others are medium.
SEVERITY = {
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS": 8.0,
    "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom": 5.0,
    "CryptoCurrency:EC2/BitcoinTool.B!DNS": 8.0,
    "Backdoor:EC2/C&CActivity.B!DNS": 8.0,
    "Trojan:EC2/DNSDataExfiltration": 8.0,
    "Recon:EC2/PortProbeUnprotectedPort": 2.0,
    "Policy:IAMUser/RootCredentialUsage": 2.0,
}
MEDIUM = 5.0


def _findings(backend: Any, detector_id: str) -> list[dict[str, Any]]:
    """The findings of one detector, kept on moto's backend object (so moto's reset clears them)."""
    store: dict[str, list[dict[str, Any]]] = backend.__dict__.setdefault("auditpack_findings", {})
    return store.setdefault(detector_id, [])


def _matches(finding: dict[str, Any], criteria: dict[str, Any]) -> bool:
    values = {"severity": finding["Severity"], "service.archived": str(finding["Service"]["Archived"]).lower(),
              "type": finding["Type"], "id": finding["Id"]}
    for field, condition in (criteria.get("Criterion") or criteria.get("criterion") or {}).items():
        value = values.get(field)
        for op, operand in condition.items():
            key = op.lower()
            if key in ("equals", "eq") and str(value) not in [str(v) for v in operand]:
                return False
            if key in ("notequals", "neq") and str(value) in [str(v) for v in operand]:
                return False
            if key in ("greaterthanorequal", "gte") and not float(value) >= float(operand):
                return False
            if key in ("greaterthan", "gt") and not float(value) > float(operand):
                return False
            if key in ("lessthanorequal", "lte") and not float(value) <= float(operand):
                return False
            if key in ("lessthan", "lt") and not float(value) < float(operand):
                return False
    return True


def _detector_id(path: str) -> str:
    return path.split("/detector/", 1)[1].split("/", 1)[0]


def create_sample_findings(self: Any) -> str:
    detector_id = _detector_id(self.path)
    self.guardduty_backend.get_detector(detector_id)  # a missing detector is moto's own 400
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for finding_type in self._get_param("findingTypes") or []:
        finding_id = f"{len(_findings(self.guardduty_backend, detector_id)) + 1:032x}"
        region, account = self.region, self.current_account
        _findings(self.guardduty_backend, detector_id).append({
            "AccountId": account, "Region": region, "Id": finding_id, "Type": finding_type,
            "Arn": f"arn:aws:guardduty:{region}:{account}:detector/{detector_id}/finding/{finding_id}",
            "Severity": SEVERITY.get(finding_type, MEDIUM), "CreatedAt": now, "UpdatedAt": now,
            "Title": f"Sample finding: {finding_type}", "Description": "A sample finding.",
            "SchemaVersion": "2.0", "Partition": "aws", "Resource": {"ResourceType": "AccessKey"},
            "Service": {"Archived": False, "Count": 1, "DetectorId": detector_id, "ServiceName": "guardduty"},
        })
    return "{}"


def list_findings(self: Any) -> str:
    detector_id = _detector_id(self.path)
    self.guardduty_backend.get_detector(detector_id)
    criteria = self._get_param("findingCriteria") or {}
    found = [f["Id"] for f in _findings(self.guardduty_backend, detector_id) if _matches(f, criteria)]
    return json.dumps({"findingIds": found})


def get_findings(self: Any) -> str:
    detector_id = _detector_id(self.path)
    wanted = set(self._get_param("findingIds") or [])
    found = [f for f in _findings(self.guardduty_backend, detector_id) if f["Id"] in wanted]
    return json.dumps({"findings": [_camel(f) for f in found]})


def _camel(value: Any) -> Any:
    """GuardDuty's wire format is camelCase; the store keeps the SDK's names."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


@extension("guardduty-findings", service="guardduty",
           operations=("CreateSampleFindings", "ListFindings", "GetFindings"),
           reason="moto 5.2.5 keeps no GuardDuty findings: ListFindings and GetFindings answer 404")
def install() -> None:
    from moto.guardduty import urls
    from moto.guardduty.responses import GuardDutyResponse

    GuardDutyResponse.create_sample_findings = create_sample_findings  # type: ignore[attr-defined]
    GuardDutyResponse.list_findings = list_findings  # type: ignore[attr-defined]
    GuardDutyResponse.get_findings = get_findings  # type: ignore[attr-defined]
    for suffix in ("findings", "findings/get", "findings/create"):
        urls.url_paths[f"{{0}}/detector/(?P<detector_id>[^/]+)/{suffix}$"] = GuardDutyResponse.dispatch
