"""Merge Kingfisher's rule hits and our own rules into one list of detections per candidate value.

Both detectors read every value; a secret found by both is reported once, under our more specific kind
(an AWS key id says more than "aws-access-token"). The allow-list applies to every hit, whoever found it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from auditpack.resources.secret_source import Candidate, Category, Detection, is_documentation_example, mask
from auditpack.secrets import kingfisher, rules

Fingerprint = Callable[[str], str]
Scanner = Callable[[list[str]], list[kingfisher.RuleHit]]

AWS_RULE_MARKERS = ("aws-access", "aws-secret", "aws_access", "aws_secret")


def _kind_from_rule(name: str) -> str:
    words = name.replace("-", " ").replace("_", " ").strip() or "secret"
    return f"{'an' if words[0].lower() in 'aeiou' else 'a'} {words}"


def _span(value: str, hit: kingfisher.RuleHit) -> str:
    lines = value.splitlines() or [value]
    line = lines[min(max(hit.line, 1), len(lines)) - 1]
    # Kingfisher 2.14.0 reports column_end as the index of the match's last character (inclusive).
    span = line[hit.column_start:hit.column_end + 1] if hit.column_end >= hit.column_start else ""
    return span.strip() or line.strip() or value.strip()


def beside_key_ids(detections: tuple[Detection, ...]) -> tuple[Detection, ...]:
    """One resource's detections, where a 40-character credential beside an AWS access key id (in another
    variable of the same environment, another line of the same script) is named as that key's secret."""
    if not any(d.category is Category.AWS_ACCESS_KEY_ID for d in detections):
        return detections
    forty = f"auditpack:{rules.FORTY_CHARACTERS}"
    return tuple(d.model_copy(update={"category": Category.AWS_SECRET_ACCESS_KEY, "kind": "an AWS secret access key",
                                      "detector": "auditpack:aws-secret-access-key"}) if d.detector == forty else d
                 for d in detections)


def detect(candidates: Sequence[Candidate], fingerprint: Fingerprint,
           scanner: Scanner = kingfisher.scan_values) -> list[list[Detection]]:
    """Detections for each candidate, in order. Raises ``kingfisher.DetectorError`` if Kingfisher fails."""
    rule_hits = scanner([c.value for c in candidates])
    found: list[dict[tuple[int, str], Detection]] = [{} for _ in candidates]

    def add(i: int, line: int, secret: str, category: Category, kind: str, detector: str) -> None:
        cand = candidates[i]
        if rules.is_allowed(secret):
            return
        key = (line, secret)
        if key in found[i]:
            return
        where = f"{cand.field} line {line}" if cand.script and line and "\n" in cand.value.strip() else cand.field
        found[i][key] = Detection(
            field=where, location=cand.location, kind=kind, category=category, detector=detector,
            masked=mask(secret), fingerprint=fingerprint(secret),
            informational=category.is_aws_key and is_documentation_example(secret), secret=secret,
        )

    for i, cand in enumerate(candidates):
        if not cand.script and rules.is_allowed(cand.value):
            continue
        for line, hit in rules.own_hits(cand.value, cand.name, cand.script):
            add(i, line, hit.secret, hit.category, hit.kind, f"auditpack:{hit.rule}")

    for hit in rule_hits:
        cand = candidates[hit.index]
        if not cand.script and rules.is_allowed(cand.value):
            continue
        secret = _span(cand.value, hit)
        line = hit.line if cand.script else 0
        ours = [s for (ln, s) in found[hit.index] if ln == line and (s in secret or secret in s)]
        if ours:
            continue  # already reported with a more specific kind
        aws = any(m in hit.rule_id.lower() for m in AWS_RULE_MARKERS)
        if aws:
            secret_rule = "secret" in hit.rule_id.lower()
            category = Category.AWS_SECRET_ACCESS_KEY if secret_rule else Category.AWS_ACCESS_KEY_ID
        else:
            category = Category.CREDENTIAL
        add(hit.index, line, secret, category, _kind_from_rule(hit.rule_name), f"kingfisher:{hit.rule_id}")
    return [list(d.values()) for d in found]
