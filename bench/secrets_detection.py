"""Secret detection figures: precision and recall per source on the labelled corpus, and detection time for
5,000 Lambda function environments. Figures, not timed tests: run ``python bench/secrets_detection.py``.

A corpus case is positive when it holds a real credential and counts as found when the engine reports at
least one non-informational detection for it; AWS's documentation keys are labelled negative.
"""

from __future__ import annotations

import json
import random
import string
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from auditpack.resources.secret_source import Candidate
from auditpack.secrets.engine import detect
from auditpack.secrets.fingerprint import Fingerprinter

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "secrets_corpus.json"
# Written after the rules were final and never tuned against: the figure to expect on unseen values.
HOLDOUT = CORPUS.with_name("secrets_holdout.json")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_corpus(path: Path = CORPUS) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def candidate(case: dict) -> Candidate:
    """A case as its source would offer it: a script (user data) read line by line, or a named value."""
    if case.get("script"):
        return Candidate(field="user data", value=case["value"], script=True)
    return Candidate(field=f"value of {case['name']}", value=case["value"], name=case["name"])


def score(cases: list[dict]) -> tuple[dict[str, Score], list[dict]]:
    """Scores per source (and 'all'), and the misclassified cases for inspection."""
    found = detect([candidate(c) for c in cases], Fingerprinter(b"k" * 32))
    scores: dict[str, Score] = defaultdict(Score)
    wrong = []
    for case, detections in zip(cases, found, strict=True):
        hit = any(not d.informational for d in detections)
        for key in (case["source"], "all"):
            s = scores[key]
            if case["secret"]:
                s.tp, s.fn = s.tp + hit, s.fn + (not hit)
            else:
                s.fp, s.tn = s.fp + hit, s.tn + (not hit)
        if hit != case["secret"]:
            wrong.append({"source": case["source"], "name": case["name"], "note": case["note"],
                          "expected": case["secret"], "kinds": [d.kind for d in detections]})
    return dict(scores), wrong


def environments(count: int, seed: int = 7) -> list[Candidate]:
    """``count`` realistic function environments (about one in twenty leaks something)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        env = {"LOG_LEVEL": "info", "STAGE": "prod", "TABLE_NAME": f"orders-{i}",
               "QUEUE_URL": f"https://sqs.us-east-1.amazonaws.com/123456789012/q{i}",
               "DB_SECRET_ARN": f"arn:aws:secretsmanager:us-east-1:123456789012:secret:db{i}"}
        if i % 20 == 0:
            env["DB_PASSWORD"] = "".join(rng.choices(string.ascii_letters + string.digits, k=16))
        out.extend(Candidate(field=f"environment variable {k}", value=v, name=k) for k, v in env.items())
    return out


def main() -> int:
    cases = load_corpus()
    scores, wrong = score(cases)
    print(f"corpus: {len(cases)} cases, {sum(c['secret'] for c in cases)} positive, "
          f"{sum(not c['secret'] for c in cases)} hard negatives")
    width = max(len(source) for source in scores) + 2
    print(f"{'source':<{width}}{'cases':>6}{'precision':>11}{'recall':>8}")
    for source in sorted(scores, key=lambda s: (s == "all", s)):
        s = scores[source]
        print(f"{source:<{width}}{s.tp + s.fp + s.fn + s.tn:>6}{s.precision:>11.3f}{s.recall:>8.3f}")
    for case in wrong:
        print("  misclassified:", case)
    held, missed = score(load_corpus(HOLDOUT))
    total = held["all"]
    print(f"held-out set: {total.tp + total.fp + total.fn + total.tn} cases, precision {total.precision:.3f}, "
          f"recall {total.recall:.3f}")
    for case in missed:
        print("  held-out misclassified:", case)
    detect(environments(10), Fingerprinter(b"k" * 32))  # warm the rule cache
    candidates = environments(5000)
    start = time.perf_counter()
    detect(candidates, Fingerprinter(b"k" * 32))
    elapsed = time.perf_counter() - start
    print(f"5,000 function environments ({len(candidates)} values): detection took {elapsed:.2f} s in one "
          "Kingfisher run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
