"""The incident pack's outputs: ``incident.json`` (the record), ``incident.html`` and ``incident.pdf``.

The HTML and the PDF come from one template (``reports/incident.html.j2``, in the assessment report's family:
its stylesheets and the leaked-key macros). What they say is decided here, once: the verdict in words, the
summary a responder hands to management, the timeline (every flagged call; the PDF leaves out unflagged calls
past ``PDF_TIMELINE_ROWS``), and the capability table of the key's principal and of what it created.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from auditpack.leak import ActivityEvent, CapabilityGrant, Flag, Incident, Verdict
from auditpack.models import EvidenceFile
from auditpack.render.leaked_keys import can_do, grants
from auditpack.render.report import environment
from auditpack.resources.iam_policy import CAPABILITIES
from auditpack.resources.key_activity import base_name

JSON, HTML, PDF = "incident.json", "incident.html", "incident.pdf"
PDF_TIMELINE_ROWS = 200
ROUTINE_RUN = 3  # in the PDF, this many unflagged calls in a row from one key, address and tool become one line
PDF_EVIDENCE_LISTED = 60  # past this, the PDF counts evidence files by call; the HTML and SHA256SUMS list them all
VERDICT_LABEL = {Verdict.FLAGGED: "Flagged activity", Verdict.CLEAN: "No flagged activity",
                 Verdict.INCOMPLETE: "Not fully read"}


def json_schema() -> dict[str, Any]:
    schema = Incident.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://auditpack.dev/schema/incident.json"
    return schema


def _plural(n: int, noun: str, nouns: str | None = None) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {nouns or noun + 's'}"


_INSTANCES = re.compile(r"^(\d+) instances? \((.+)\)$")


def _launched(events: list[ActivityEvent]) -> str:
    """Compute launched, per region: instances added up by type, functions named."""
    by_region: dict[str, Counter[str]] = {}
    for e in events:
        tally = by_region.setdefault(e.region, Counter())
        for what in e.acted_on or [base_name(e.name)]:
            match = _INSTANCES.match(what)
            if match:
                tally[f"{match.group(2)} instances"] += int(match.group(1))
            else:
                tally[what] += 1
    return "; ".join(f"in {region}: " + ", ".join(f"{n} {what}" if what.endswith("instances") else what
                                                  for what, n in tally.items()) for region, tally in by_region.items())


def _what_it_did(flagged: list[ActivityEvent]) -> str:
    """The flagged calls, grouped by what they mean, in one sentence (reconnaissance first: it comes first)."""
    parts = []
    recon = [e for e in flagged if e.flag is Flag.RECON]
    if recon:
        addresses = ", ".join(dict.fromkeys(str(e.source_ip) for e in recon))
        days = ", ".join(dict.fromkeys(f"{e.time:%Y-%m-%d}" for e in recon))
        parts.append(f"asked who it was (GetCallerIdentity) from {addresses} on {days}")
    created = [c for e in flagged if e.flag is Flag.IDENTITY for c in e.created]
    if created:
        parts.append("created " + ", ".join(dict.fromkeys(created)))
    policies = [a for e in flagged if e.flag is Flag.IDENTITY and "Policy" in e.name for a in e.acted_on]
    if policies:
        parts.append(", ".join(dict.fromkeys(policies)))
    compute = [e for e in flagged if e.flag is Flag.COMPUTE]
    if compute:
        parts.append(f"launched compute where the account runs none ({_launched(compute)})")
    evasion = [e for e in flagged if e.flag is Flag.EVASION]
    if evasion:
        parts.append("tampered with logging or detection (" + ", ".join(dict.fromkeys(e.name for e in evasion)) + ")")
    return "; ".join(parts)


@dataclass(frozen=True)
class Routine:
    """Unflagged calls in a row from one key, address and tool, shown as one line of the PDF's timeline (it
    has the attributes of an event that the timeline's macro reads)."""

    time: datetime
    last: datetime
    count: int
    names: tuple[str, ...]
    regions: tuple[str, ...]
    key: str
    source_ip: str | None
    user_agent: str | None
    flag: None = None
    reason: None = None
    error: None = None
    created: tuple[str, ...] = field(default=())
    acted_on: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return f"{self.count} routine calls, until {self.last:%Y-%m-%d}"

    @property
    def service(self) -> str:
        return ", ".join(self.names)

    @property
    def region(self) -> str:
        return ", ".join(self.regions)


def _routine(run: list[ActivityEvent]) -> list[ActivityEvent | Routine]:
    if len(run) < ROUTINE_RUN:
        return list(run)
    names = tuple(dict.fromkeys(base_name(e.name) for e in run))
    return [Routine(run[0].time, run[-1].time, len(run), names, tuple(dict.fromkeys(e.region for e in run)),
                    run[0].key, run[0].source_ip, run[0].user_agent)]


def collapsed(events: list[ActivityEvent]) -> list[ActivityEvent | Routine]:
    """Every flagged call, and each run of routine calls as one line: the timeline a manager can read."""
    rows: list[ActivityEvent | Routine] = []
    run: list[ActivityEvent] = []
    for event in events:
        if not event.flag and run and (event.key, event.source_ip, event.user_agent) == (
                run[-1].key, run[-1].source_ip, run[-1].user_agent):
            run.append(event)
            continue
        rows += _routine(run)
        run = [] if event.flag else [event]
        if event.flag:
            rows.append(event)
    return rows + _routine(run)


@dataclass
class IncidentView:
    incident: Incident
    evidence: list[EvidenceFile]
    medium: str

    @property
    def header(self) -> str:
        i = self.incident
        return f"Incident · access key {i.key} · account {i.owner.account} · {i.run.finished_at:%Y-%m-%d}"

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABEL[self.incident.verdict]

    @property
    def flagged(self) -> list[ActivityEvent]:
        return [e for e in self.incident.timeline if e.flag]

    @property
    def headline(self) -> str:
        i, flagged = self.incident, self.flagged
        if i.verdict is Verdict.FLAGGED:
            first = flagged[0]
            source = f" from {first.source_ip}" if first.source_ip else ""
            return (f"The key was used against the account: {_plural(len(flagged), 'flagged call')}, the first on "
                    f"{first.time:%Y-%m-%d at %H:%M} UTC{source}.")
        if i.verdict is Verdict.CLEAN:
            return f"Nothing the key did in the last {i.window.days} days is flagged."
        return "Nothing is flagged in what could be read, but part of the key's history could not be read."

    @property
    def status_sentence(self) -> str:
        status = (self.incident.owner.status or "").lower()
        if status == "active":
            return "The key is still active: anyone who holds it can use it until it is made inactive (step 1)."
        if status == "inactive":
            return "The key is inactive: it no longer works, but it can be made active again until it is deleted."
        return "The key's status could not be read; treat it as active until its user's keys are listed."

    @property
    def owner_sentence(self) -> str:
        o = self.incident.owner
        who = f"IAM user {o.user} of account {o.account}" if o.user else f"account {o.account} (user unknown)"
        facts = [f"key created {o.created:%Y-%m-%d}" if o.created else "",
                 (f"last used {o.last_used:%Y-%m-%d}" + (f" for {o.last_used_service}" if o.last_used_service else "")
                  + (f" in {o.last_used_region}" if o.last_used_region else "")) if o.last_used else "never used",
                 f"lookup failed: {o.lookup_error}" if o.lookup_error else ""]
        return f"{who}; " + ", ".join(f for f in facts if f)

    @property
    def summary(self) -> list[tuple[str, str]]:
        """Labelled paragraphs for a reader who will not read the timeline: what happened, what is at stake,
        where things stand, and what the investigation read."""
        i, out = self.incident, []
        if self.flagged:
            first, last = self.flagged[0].time, self.flagged[-1].time
            addresses = sorted({e.source_ip for e in self.flagged if e.source_ip})
            span = (f"On {first:%Y-%m-%d}" if first.date() == last.date()
                    else f"Between {first:%Y-%m-%d} and {last:%Y-%m-%d}")
            out.append(("What happened", f"{span}, the key (or what it created) {_what_it_did(self.flagged)}. The "
                        f"flagged calls came from {', '.join(addresses) or 'unrecorded addresses'}."))
        else:
            out.append(("What happened", self.headline))
        stake = [f"The key's user can {can_do(i.blast_radius)}."]
        stake += [f"The {f.kind} {f.name} it created can {can_do(f.blast_radius)}." for f in i.followed
                  if f.kind in ("user", "role") and f.blast_radius and f.blast_radius.capabilities]
        out.append(("What is at stake", " ".join(stake)))
        standing = [self.status_sentence]
        if i.followed:
            standing.append(f"It created {_plural(len(i.followed), 'identity or key', 'identities or keys')}; "
                            "they stay until removed (step 4).")
        if any(e.flag is Flag.COMPUTE for e in self.flagged):
            standing.append("What it launched runs, and bills, until it is stopped (step 4).")
        out.append(("Where things stand", " ".join(standing)))
        followed_calls = sum(f.activity.event_count for f in i.followed if f.activity)
        out.append(("What was read", f"{_plural(i.activity.event_count, 'call')} of the key"
                    + (f" and {_plural(followed_calls, 'call')} of what it created" if i.followed else "")
                    + f", in {_plural(len(i.regions), 'region')} over {i.window.days} days "
                    f"({'; '.join(i.activity.sources)})."
                    + (f" Not read: {len(i.unread)} item(s), listed below." if i.unread else "")))
        return out

    @property
    def timeline(self) -> list[ActivityEvent | Routine]:
        """The HTML lists every call; the PDF collapses routine runs, and past ``PDF_TIMELINE_ROWS`` lines keeps
        the flagged ones and the first routine lines."""
        events = self.incident.timeline
        if self.medium != "pdf":
            return list(events)
        rows = collapsed(events)
        if len(rows) <= PDF_TIMELINE_ROWS:
            return rows
        quiet = [r for r in rows if not r.flag][: max(0, PDF_TIMELINE_ROWS - len(self.flagged))]
        kept = {id(r) for r in [*(r for r in rows if r.flag), *quiet]}
        return [r for r in rows if id(r) in kept]

    @property
    def timeline_omitted(self) -> int:
        shown = sum(r.count if isinstance(r, Routine) else 1 for r in self.timeline)
        return len(self.incident.timeline) - shown

    @property
    def evidence_by_call(self) -> list[tuple[str, int]]:
        """Evidence files counted by service and operation, for a PDF that cannot list them all."""
        calls = Counter("/".join(e.path.split("/")[3:5]).rsplit("-", 1)[0] for e in self.evidence)
        return sorted(calls.items())

    @property
    def list_evidence(self) -> bool:
        return self.medium != "pdf" or len(self.evidence) <= PDF_EVIDENCE_LISTED

    @property
    def classes(self) -> tuple[str, ...]:
        return CAPABILITIES

    @property
    def principals(self) -> list[tuple[str, dict[str, CapabilityGrant]]]:
        i = self.incident
        rows = [(f"{i.owner.user or 'the key'} (the key)", grants(i.blast_radius))]
        rows += [(f"{f.kind} {f.name} (created)", grants(f.blast_radius)) for f in i.followed
                 if f.kind in ("user", "role") and f.blast_radius is not None]
        return rows

    @property
    def n_containment(self) -> int:
        return 5 if self.incident.followed else 4

    @property
    def n_method(self) -> int:
        return self.n_containment + 1


def render_incident(incident: Incident, evidence: Mapping[str, EvidenceFile], medium: str) -> str:
    view = IncidentView(incident, [evidence[k] for k in sorted(evidence)], medium)
    template = environment(medium).get_template("incident.html.j2")
    return template.render(v=view, medium=medium, pdf=medium == "pdf")


def write_incident(incident: Incident, pack: Path, evidence: Mapping[str, EvidenceFile]) -> list[Path]:
    """incident.json, incident.html and incident.pdf in ``pack``; returns the paths written."""
    from weasyprint import HTML as Html  # slow to import; only the PDF needs it

    json_path = pack / JSON
    json_path.write_text(json.dumps(incident.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    html_path = pack / HTML
    html_path.write_text(render_incident(incident, evidence, "html"), encoding="utf-8")
    pdf_path = pack / PDF
    Html(string=render_incident(incident, evidence, "pdf"), base_url=str(pack)).write_pdf(pdf_path)
    return [json_path, html_path, pdf_path]
