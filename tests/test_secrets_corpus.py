"""The labelled corpus: precision >= 0.97 and recall >= 0.95 overall and for every source."""

from __future__ import annotations

from auditpack.resources.base import secret_source_types
from bench.secrets_detection import load_corpus, score


def test_corpus_is_large_and_half_hard_negatives():
    cases = load_corpus()
    assert len(cases) >= 150
    negatives = sum(not c["secret"] for c in cases)
    assert negatives >= len(cases) / 2
    labels = {c["source"] for c in cases}
    assert labels <= secret_source_types(), f"not a declared secret source: {labels - secret_source_types()}"
    assert len(labels) >= 6, "the corpus must keep covering many sources"
    assert sum(bool(c.get("script")) for c in cases) >= 30 and sum(not c.get("script") for c in cases) >= 100, \
        "both kinds of value a source offers (named values, scripts) need many cases"


def test_precision_and_recall_meet_the_targets_on_every_source():
    scores, wrong = score(load_corpus())
    for source, s in scores.items():
        assert s.precision >= 0.97, (source, s, wrong)
        assert s.recall >= 0.95, (source, s, wrong)
