"""Trend detection measured on the labelled corpus: planted recurring failures in paraphrase
among near-miss distractors (same service, different failure; same words, different service;
one outage called in by many) and one-off calls. The figures reached when the thresholds were
tuned are in docs/problems.md; these floors leave a margin under them."""

from datetime import UTC, datetime, timedelta

from opsdesk.problems.trends.detect import Sighting, TrendSettings, find_trends
from tests.problems.trend_scoring import corpus, score, sightings


def test_precision_and_recall_on_the_committed_corpus_stay_where_they_were_tuned():
    result = score(corpus())
    assert result.precision >= 0.7  # reached 0.75
    assert result.recall >= 0.55  # reached 0.63
    assert result.found >= 10  # reached 11 of 14


def test_one_outage_called_in_by_many_within_the_hour_is_not_a_trend():
    rows = corpus()
    bursts = [r for r in rows if r["label"] is None and "503" in r["text"]]
    assert len(bursts) >= 5
    found = find_trends(sightings(rows))
    burst_ids = {r["id"] for r in bursts}
    assert not any(burst_ids & set(t.ids) for t in found)


def _call(id_, text, *, day, ci=1, service=10):
    at = datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(days=day, hours=id_ % 5)
    return Sighting(id=id_, text=text, opened_at=at, service_id=service, ci_id=ci)


def test_same_words_on_another_service_are_not_the_same_failure():
    calls = [
        _call(1, "Payslip PDF times out when opening", day=1),
        _call(2, "Payslip PDF download times out again", day=3),
        _call(3, "My payslip PDF times out", day=6),
        # The same words, each on a service of its own.
        _call(4, "Payslip PDF times out when opening", day=2, ci=2, service=20),
        _call(5, "Payslip PDF download times out again", day=4, ci=3, service=30),
    ]
    calls += [
        _call(100 + i, f"Other call number {i} about {w}", day=i, ci=9, service=90 + i)
        for i, w in enumerate(["toner", "mouse", "badge", "screen", "chair", "lamp"])
    ]
    trends = find_trends(calls, TrendSettings())
    assert [t.ids for t in trends] == [(1, 2, 3)]
    assert trends[0].top_terms[:3] and "payslip" in trends[0].top_terms
