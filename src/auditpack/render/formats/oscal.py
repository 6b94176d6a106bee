"""OSCAL assessment plan, assessment results and POA&M: the documents GRC systems and FedRAMP automation read.

Three files, written together because the results point at the plan (``import-ap``) and some GRC systems
refuse results without one. Identifiers follow one rule: what is stable across runs (a resource's inventory
item, a control's finding, a control's risk, a POA&M item) gets a UUIDv5 in a fixed namespace, so a GRC
system can track it from quarter to quarter; what belongs to one run (documents, observations, evidence
resources) gets a random UUIDv4. OSCAL forbids empty arrays, so every list is added only when it has items.

FedRAMP's SAR conventions are followed where they apply to an automated assessment (docs/formats.md lists
which): the run is one ``result`` (the previous pack's result follows it when the run was compared with one),
findings carry a status reason, every observation, finding and risk names its origin (the tool, and the
assessor party named in the config), and findings link their risks and observations.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from auditpack.library.config import AssessorSection
from auditpack.models import Assessment, ControlResult, ControlStatus, EvidenceFile, Finding, Severity, Status
from auditpack.render import RenderContext, output
from auditpack.render.common import Lazy, iso, with_waivers, write_json
from auditpack.render.disclosure import shareable_details

OSCAL_VERSION = "1.2.3"
RESULTS_FILE = "assessment-results.oscal.json"
PLAN_FILE = "assessment-plan.oscal.json"
POAM_FILE = "poam.oscal.json"

# Our own property namespace: OSCAL requires a ns on every prop whose name OSCAL does not define.
NS = "https://auditpack.dev/ns/oscal"
# Fixed forever: changing it would change every "stable" UUID and break tracking in GRC systems.
UUID_NAMESPACE = uuid.UUID("6f1c4d3e-2a7b-5c8d-9e0f-a1b2c3d4e5f6")
ASSESSOR_ROLE = "assessor"  # FedRAMP's role id for the party that assessed

# OSCAL's objective status knows only satisfied / not-satisfied. Our two other states map conservatively:
# a control we could not evaluate is never reported as met; one with nothing in scope has nothing unmet.
# The exact auditpack status always travels in the "control-status" prop and the status remarks.
OBJECTIVE_STATE = {
    ControlStatus.SATISFIED: ("satisfied", "pass"),
    ControlStatus.NOT_SATISFIED: ("not-satisfied", "fail"),
    ControlStatus.NOT_ASSESSED: ("not-satisfied", "other"),
    ControlStatus.NOT_APPLICABLE: ("satisfied", "other"),
}
STATUS_REMARKS = {
    ControlStatus.SATISFIED: "Every automated check of this control passed (or its failures were waived).",
    ControlStatus.NOT_SATISFIED: "At least one automated check of this control failed.",
    ControlStatus.NOT_ASSESSED: "Not assessed: at least one check could not be evaluated (an AWS call failed "
                                "or the check errored), so the control cannot be reported as satisfied.",
    ControlStatus.NOT_APPLICABLE: "Not applicable: no resource in scope for any of this control's checks.",
}


EVIDENCE_PURPOSE = {
    None: "A recorded, redacted AWS API response that findings were judged on.",
    "scope": "A recorded, redacted AWS API response that established the assessment's scope: the caller's "
             "identity, the regions and accounts in scope, the roles assumed.",
}


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, "\x1f".join(parts)))


def random_uuid() -> str:
    return str(uuid.uuid4())


def prop(name: str, value: str, *, ours: bool = True) -> dict[str, str]:
    """OSCAL prop values may not be blank or start/end with whitespace; callers drop blanks with ``props``."""
    value = " ".join(value.split())
    return {"name": name, "ns": NS, "value": value} if ours else {"name": name, "value": value}


def line(text: str) -> str:
    """OSCAL titles are one non-empty line: collapse whitespace and newlines that names and messages may carry."""
    return " ".join(text.split()) or "(unnamed)"


def props(*items: dict[str, str]) -> list[dict[str, str]]:
    return [p for p in items if p["value"]]


def compact(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop keys whose value is None or an empty list: OSCAL's schema rejects empty arrays."""
    return {k: v for k, v in obj.items() if v is not None and v != []}


def deadline(started: datetime, severity: Severity, remediation_days: dict[str, int]) -> datetime:
    days = remediation_days[severity.value]
    return started + timedelta(days=days)


TOOL_UUID = stable_uuid("component", "auditpack")  # the tool, an origin actor of every observation and finding
PLATFORM_UUID = stable_uuid("assessment-platform", "auditpack")


def _item_uuid(arn: str) -> str:
    return stable_uuid("inventory-item", arn)


def _worst(findings: list[Finding]) -> Severity:
    return max((f.severity for f in findings), key=lambda s: s.rank)


def _expiry(expires: str) -> datetime:
    """A waiver is in force through its expiry day, so the deadline is the end of that day (UTC)."""
    return datetime.combine(datetime.fromisoformat(expires).date(), time(23, 59, 59), tzinfo=UTC)


@dataclass
class Catalogue:
    """Everything the three documents share, computed once per run."""

    assessment: Assessment
    remediation_days: dict[str, int]
    evidence_files: Mapping[str, EvidenceFile]
    assessor: AssessorSection = field(default_factory=AssessorSection)
    scope_key: str = ""
    # Per finding and resource only identifiers are kept; the observations and inventory items themselves are
    # made while they are written (``Lazy``): holding them all was a large scan's peak (docs/performance.md).
    items: dict[str, Finding] = field(default_factory=dict)  # ARN -> the first finding about it
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # pack-relative path -> resource
    collected: dict[str, datetime] = field(default_factory=dict)  # pack-relative path -> collected_at
    observation_uuids: dict[str, str] = field(default_factory=dict)  # finding id -> observation uuid
    by_check: dict[str, list[Finding]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        a = self.assessment
        for finding in a.findings:
            self.by_check.setdefault(finding.check_id, []).append(finding)
            self.items.setdefault(finding.resource.arn, finding)
            self.observation_uuids[finding.id] = random_uuid()
        self.scope_key = ",".join(sorted(a.scope.accounts))
        self._index_evidence()

    def related(self, findings: list[Finding]) -> list[dict[str, str]]:
        return [{"observation-uuid": self.observation_uuids[f.id]} for f in findings]

    # -- who assessed -----------------------------------------------------------------------------------
    def assessor_party(self) -> dict[str, Any] | None:
        """The assessor named in the config (``assessor.name``), or None when none is."""
        if not self.assessor.name:
            return None
        return {"uuid": stable_uuid("party", ASSESSOR_ROLE, self.assessor.name), "type": self.assessor.type,
                "name": self.assessor.name}

    def origins(self) -> list[dict[str, Any]]:
        """The tool (a component of the assessment assets) and, when the config names one, the assessor."""
        actors: list[dict[str, Any]] = [{"type": "tool", "actor-uuid": TOOL_UUID}]
        party = self.assessor_party()
        if party:
            actors.append({"type": "party", "actor-uuid": party["uuid"], "role-id": ASSESSOR_ROLE})
        return [{"actors": actors}]

    def assessment_assets(self) -> dict[str, Any]:
        tool = self.assessment.tool
        return {
            "components": [{
                "uuid": TOOL_UUID,
                "type": "software",
                "title": tool.name,
                "description": f"{tool.name}, the automated assessment tool: read-only AWS API calls, checks, "
                               "and the evidence pack.",
                "props": [prop("tool-version", tool.version)],
                "status": {"state": "operational"},
            }],
            "assessment-platforms": [{
                "uuid": PLATFORM_UUID,
                "title": line(f"{tool.name} {tool.version}"),
                "uses-components": [{"component-uuid": TOOL_UUID}],
            }],
        }

    # -- evidence files -------------------------------------------------------------------------------
    def _index_evidence(self) -> None:
        for rel, file in self.evidence_files.items():
            self.evidence[rel] = {
                "uuid": random_uuid(),
                "title": line(f"Evidence {rel}"),
                "description": EVIDENCE_PURPOSE.get(file.purpose, EVIDENCE_PURPOSE[None]),
                "rlinks": [{
                    "href": rel,
                    "media-type": "application/json",
                    "hashes": [{"algorithm": "SHA-256", "value": file.sha256}],
                }],
            }
            # A file that is not one of our evidence documents has no time: its observation uses the run's start.
            if file.collected_at is not None:
                self.collected[rel] = file.collected_at

    # -- inventory --------------------------------------------------------------------------------------
    def inventory_items(self, arns: Iterable[str]) -> Lazy:
        return Lazy(self._inventory_item(self.items[arn]) for arn in arns)

    def _inventory_item(self, finding: Finding) -> dict[str, Any]:
        ref = finding.resource
        return {
            "uuid": _item_uuid(ref.arn),
            "description": f"{ref.type} {ref.name} in account {finding.account}.",
            "props": props(
                prop("asset-id", ref.arn, ours=False),
                prop("resource-type", ref.type),
                prop("resource-name", ref.name),
                prop("account", finding.account),
            ),
        }

    # -- observations -------------------------------------------------------------------------------
    def observations(self, findings: Iterable[Finding]) -> Lazy:
        return Lazy(self._observation(f) for f in findings)

    def _observation(self, finding: Finding) -> dict[str, Any]:
        times = [self.collected[e] for e in finding.evidence if e in self.collected]
        collected = min(times) if times else self.assessment.run.started_at
        observation_props = props(
            prop("check-id", finding.check_id),
            prop("finding-id", finding.id),
            prop("result", finding.status.value),
            prop("severity", finding.severity.value),
            prop("region", finding.region),
            *(prop(k.replace("_", "-"), v) for k, v in shareable_details(finding.details).items()),
        )
        evidence = [
            compact({
                "href": rel,
                "description": f"AWS API response recorded during the scan ({rel}).",
                "links": [{"href": f"#{self.evidence[rel]['uuid']}", "rel": "reference"}]
                if rel in self.evidence else None,
            })
            for rel in finding.evidence
        ]
        return compact({
            "uuid": self.observation_uuids[finding.id],
            "title": line(f"{finding.check_id}: {finding.resource.name} ({finding.region})"),
            "description": finding.message or f"{finding.check_id}: {finding.status.value}",
            "props": observation_props,
            "methods": ["TEST"],
            "subjects": [{
                "subject-uuid": _item_uuid(finding.resource.arn),
                "type": "inventory-item",
                "title": line(finding.resource.name or finding.resource.arn),
            }],
            "types": ["finding"] if finding.status in (Status.FAIL, Status.WAIVED) else ["control-objective"],
            "origins": self.origins(),
            "relevant-evidence": evidence,
            "collected": iso(collected),
            "remarks": f"Remediation: {finding.remediation}" if finding.status != Status.PASS else None,
        })

    # -- helpers shared by the documents ------------------------------------------------------------------
    def findings_of(self, control: ControlResult) -> list[Finding]:
        """The check results that evidence a control: the control file's check list is the one mapping."""
        return [f for check in control.checks for f in self.by_check.get(check, [])]

    def metadata(self, title: str) -> dict[str, Any]:
        a = self.assessment
        org = a.organization
        assessor = self.assessor_party()
        parties = [{"uuid": stable_uuid("party", org.name), "type": "organization", "name": org.name}] \
            if org.name else []
        return compact({
            "title": line(title),
            "last-modified": iso(a.run.finished_at),
            "version": a.run.id,
            "oscal-version": OSCAL_VERSION,
            "props": [prop("tool", f"{a.tool.name} {a.tool.version}"), prop("run-id", a.run.id)],
            "roles": [{"id": ASSESSOR_ROLE, "title": "Assessor"}] if assessor else None,
            "parties": [*parties, assessor] if assessor else parties,
            "responsible-parties": [{"role-id": ASSESSOR_ROLE, "party-uuids": [assessor["uuid"]]}]
            if assessor else None,
        })

    def reviewed_controls(self) -> dict[str, Any]:
        return reviewed_controls(self.assessment)

    def subject_name(self) -> str:
        a = self.assessment
        system = a.organization.system or f"AWS account(s) {', '.join(a.scope.accounts)}"
        return system

    def back_matter(self, extra: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
        resources = [*(extra or []), *self.evidence.values()]
        return {"resources": resources} if resources else None

    def risk_deadline(self, findings: list[Finding]) -> datetime:
        return deadline(self.assessment.run.started_at, _worst(findings), self.remediation_days)


def reviewed_controls(assessment: Assessment) -> dict[str, Any]:
    return {"control-selections": [{
        "include-controls": [{"control-id": c.oscal_id} for c in assessment.controls],
    }]}


# ---------------------------------------------------------------------------------------------------------
# Assessment plan
def build_plan(cat: Catalogue) -> dict[str, Any]:
    a = cat.assessment
    ssp = {
        "uuid": stable_uuid("ssp", cat.scope_key),
        "title": line(f"System security plan of {cat.subject_name()}"),
        "description": "The organization's system security plan. auditpack does not write it; a GRC system "
                       "should link its own SSP here.",
    }
    checks = {c.id: c for c in a.checks}
    activities = []
    for check_id in sorted({c for control in a.controls for c in control.checks}):
        info = checks.get(check_id)
        controls = [c.oscal_id for c in a.controls if check_id in c.checks]
        activities.append(compact({
            "uuid": stable_uuid("activity", check_id),
            "title": line(info.title if info else check_id),
            "description": (info.description if info and info.description else f"Automated check {check_id}."),
            "props": [prop("method", "TEST", ours=False), prop("check-id", check_id)],
            "related-controls": {"control-selections": [{
                "include-controls": [{"control-id": c} for c in controls],
            }]},
        }))
    plan = compact({
        "uuid": random_uuid(),
        "metadata": cat.metadata(f"auditpack assessment plan: {cat.subject_name()}"),
        "import-ssp": {"href": f"#{ssp['uuid']}"},
        "local-definitions": {"activities": activities} if activities else None,
        "reviewed-controls": cat.reviewed_controls(),
        "assessment-subjects": [{
            "type": "inventory-item",
            "description": f"Every AWS resource that the checks read in account(s) {', '.join(a.scope.accounts)}, "
                           f"region(s) {', '.join(a.scope.regions)}.",
            "include-all": {},
        }],
        "back-matter": {"resources": [ssp]},
    })
    return {"assessment-plan": plan}


# ---------------------------------------------------------------------------------------------------------
# Assessment results
def _risks_for(cat: Catalogue, control: ControlResult, findings: list[Finding]) -> list[dict[str, Any]]:
    risks = []
    failing = [f for f in findings if f.status == Status.FAIL]
    waived = [f for f in findings if f.status == Status.WAIVED]
    if failing:
        risks.append({
            "uuid": stable_uuid("risk", cat.scope_key, control.oscal_id, "open"),
            "title": line(f"{control.id} {control.title}: not satisfied"),
            "description": f"{len(failing)} resource(s) fail the checks of {control.id}.",
            "statement": "; ".join(sorted({f.message for f in failing}))[:4000],
            "props": [prop("severity", _worst(failing).value)],
            "status": "open",
            "origins": cat.origins(),
            "deadline": iso(cat.risk_deadline(failing)),
            "related-observations": cat.related(failing),
        })
    if waived:
        waivers = sorted({(f.waiver.justification, f.waiver.approved_by, f.waiver.expires)
                          for f in waived if f.waiver})
        risks.append(compact({
            "uuid": stable_uuid("risk", cat.scope_key, control.oscal_id, "deviation-approved"),
            "title": line(f"{control.id} {control.title}: accepted deviation"),
            "description": f"{len(waived)} failing resource(s) of {control.id} are covered by an approved waiver.",
            "statement": "; ".join(f"{j} (approved by {who}, expires {exp})" for j, who, exp in waivers)
            or "Waived.",
            "props": [prop("severity", _worst(waived).value)],
            "status": "deviation-approved",
            "origins": cat.origins(),
            "deadline": iso(min(_expiry(f.waiver.expires) for f in waived if f.waiver))
            if any(f.waiver for f in waived) else None,
            "related-observations": cat.related(waived),
        }))
    return risks


def _finding_core(control: ControlResult, finding_uuid: str) -> dict[str, Any]:
    """What a finding says of one control: its objective's status, with the reason FedRAMP reads."""
    state, reason = OBJECTIVE_STATE[control.status]
    return {
        "uuid": finding_uuid,
        "title": line(f"{control.id} {control.title}"),
        "description": control.summary or control.title,
        "props": [prop("control-status", control.status.value), prop("control-id", control.id)],
        "target": {
            "type": "objective-id",
            "target-id": f"{control.oscal_id}_obj",
            "title": line(f"{control.id} {control.title}"),
            "status": {"state": state, "reason": reason, "remarks": STATUS_REMARKS[control.status]},
        },
    }


def previous_result(previous: Assessment) -> dict[str, Any]:
    """The previous pack's run as a second result, its controls' findings only: its observations and evidence
    stay in its own pack. Its findings get random UUIDs: the stable ones track a control through this run's."""
    return compact({
        "uuid": random_uuid(),
        "title": line(f"Previous automated assessment (run {previous.run.id})"),
        "description": f"The assessment this run was compared with: {previous.tool.name} {previous.tool.version} "
                       f"assessed account(s) {', '.join(previous.scope.accounts)} in region(s) "
                       f"{', '.join(previous.scope.regions)}. Its observations and evidence are in its own pack.",
        "start": iso(previous.run.started_at),
        "end": iso(previous.run.finished_at),
        "props": [prop("run-id", previous.run.id), prop("result-of", "previous-run")],
        "reviewed-controls": reviewed_controls(previous),
        "findings": [{
            **_finding_core(control, random_uuid()),
            "origins": [{"actors": [{"type": "tool", "actor-uuid": TOOL_UUID}]}],  # its assessor is not a party here
        } for control in previous.controls],
    })


def build_results(cat: Catalogue, previous: Assessment | None = None) -> dict[str, Any]:
    a = cat.assessment
    risks: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for control in a.controls:
        mine = cat.findings_of(control)
        control_risks = _risks_for(cat, control, mine)
        risks.extend(control_risks)
        findings.append(compact({
            **_finding_core(control, stable_uuid("finding", cat.scope_key, control.oscal_id)),
            "origins": cat.origins(),
            "related-observations": cat.related(mine),
            "related-risks": [{"risk-uuid": r["uuid"]} for r in control_risks],
        }))
    result = compact({
        "uuid": random_uuid(),
        "title": line(f"Automated assessment of {cat.subject_name()}"),
        "description": f"auditpack {a.tool.version} assessed account(s) {', '.join(a.scope.accounts)} in "
                       f"region(s) {', '.join(a.scope.regions)} against NIST SP 800-53 Rev. 5 with read-only "
                       f"API calls as {a.scope.identity.arn}.",
        "start": iso(a.run.started_at),
        "end": iso(a.run.finished_at),
        "props": [prop("run-id", a.run.id)],
        "local-definitions": compact({
            "inventory-items": cat.inventory_items(cat.items) if cat.items else None,
            "assessment-assets": cat.assessment_assets(),
        }),
        "reviewed-controls": cat.reviewed_controls(),
        "observations": cat.observations(a.findings) if a.findings else None,
        "risks": risks,
        "findings": findings,
    })
    document = compact({
        "uuid": random_uuid(),
        "metadata": cat.metadata(f"auditpack assessment results: {cat.subject_name()}"),
        "import-ap": {"href": PLAN_FILE},
        "results": [result, *([previous_result(previous)] if previous is not None else [])],
        "back-matter": cat.back_matter(),
    })
    return {"assessment-results": document}


# ---------------------------------------------------------------------------------------------------------
# POA&M
def _poam_groups(cat: Catalogue) -> list[tuple[ControlResult, str, str, str, list[Finding]]]:
    """(control, account, resource type, disposition, findings): one POA&M item each."""
    groups = []
    for control in cat.assessment.controls:
        by_group: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
        for f in cat.findings_of(control):
            if f.status == Status.FAIL:
                by_group[(f.account, f.resource.type, "open")].append(f)
            elif f.status == Status.WAIVED:
                by_group[(f.account, f.resource.type, "deviation-approved")].append(f)
        for (account, rtype, disposition), members in sorted(by_group.items()):
            groups.append((control, account, rtype, disposition, members))
    return groups


def build_poam(cat: Catalogue) -> dict[str, Any] | None:
    """None when nothing fails or is waived: OSCAL requires at least one POA&M item."""
    groups = _poam_groups(cat)
    if not groups:
        return None
    observed: dict[str, Finding] = {}
    items_used: dict[str, None] = {}
    risks, poam_items = [], []
    for control, account, rtype, disposition, members in groups:
        key = (cat.scope_key, control.oscal_id, account, rtype, disposition)
        for f in members:
            observed[f.id] = f
            items_used[f.resource.arn] = None
        related = cat.related(members)
        names = ", ".join(sorted({f.resource.name for f in members}))
        if disposition == "open":
            due = cat.risk_deadline(members)
            waiver_note = None
        else:
            due = min((_expiry(f.waiver.expires) for f in members if f.waiver), default=cat.risk_deadline(members))
            waiver_note = "; ".join(sorted({f"{f.waiver.justification} (approved by {f.waiver.approved_by}, "
                                            f"expires {f.waiver.expires})" for f in members if f.waiver}))
        remediation = "; ".join(sorted({f.remediation for f in members}))
        risk = compact({
            "uuid": stable_uuid("poam-risk", *key),
            "title": line(f"{control.id} {control.title}: {rtype} in {account}"),
            "description": f"{len(members)} {rtype} resource(s) in account {account} fail {control.id}: {names}.",
            "statement": waiver_note or "; ".join(sorted({f.message for f in members}))[:4000],
            "props": [prop("severity", _worst(members).value), prop("control-id", control.id)],
            "status": disposition,
            "deadline": iso(due),
            "remediations": [{
                "uuid": stable_uuid("remediation", *key),
                "lifecycle": "planned",
                "title": line(f"Remediate {control.id} on {rtype}"),
                "description": remediation or "See the findings.",
            }],
            "related-observations": related,
        })
        risks.append(risk)
        poam_items.append({
            "uuid": stable_uuid("poam-item", *key),
            "title": line(f"{control.id}: {rtype} in account {account}"),
            "description": f"Bring {names} into line with {control.id} ({control.title}) by {iso(due)}.",
            "props": [prop("control-id", control.id), prop("severity", _worst(members).value)],
            "related-observations": related,
            "related-risks": [{"risk-uuid": risk["uuid"]}],
        })
    poam = compact({
        "uuid": random_uuid(),
        "metadata": cat.metadata(f"auditpack plan of action and milestones: {cat.subject_name()}"),
        "system-id": {"identifier-type": "https://ietf.org/rfc/rfc4122", "id": stable_uuid("system", cat.scope_key)},
        "local-definitions": {"inventory-items": cat.inventory_items(items_used),
                              "assessment-assets": cat.assessment_assets()},
        "observations": cat.observations(observed.values()),
        "risks": risks,
        "poam-items": poam_items,
    })
    return {"plan-of-action-and-milestones": poam}


@output("oscal", description="OSCAL 1.2 assessment plan, assessment results and POA&M",
        files=(PLAN_FILE, RESULTS_FILE, POAM_FILE), order=10)
def write_oscal(assessment: Assessment, ctx: RenderContext) -> list[Path]:
    assessment = with_waivers(assessment)
    cat = Catalogue(assessment, ctx.config.remediation_days.model_dump(), ctx.evidence_files(),
                    assessor=ctx.config.assessor)
    written = [
        write_json(ctx.pack / PLAN_FILE, build_plan(cat)),
        write_json(ctx.pack / RESULTS_FILE, build_results(cat, ctx.previous)),
    ]
    poam = build_poam(cat)
    if poam is not None:
        written.append(write_json(ctx.pack / POAM_FILE, poam))
    return written
