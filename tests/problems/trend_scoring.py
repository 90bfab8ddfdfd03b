"""Precision and recall of trend detection on the labelled corpus.

    PYTHONPATH=src .venv/bin/python tests/problems/trend_scoring.py

prints the figures for the committed corpus (``trend_corpus.json``) and, as a check that the
thresholds were not fitted to it alone, for five corpora generated the same way from other
seeds. ``docs/problems.md`` quotes them.

- **pairwise precision**: of the pairs of incidents the detector put in one candidate, the
  share that are the same planted failure;
- **pairwise recall**: of the pairs of incidents of one planted failure, the share the
  detector put in one candidate;
- **failures found**: planted failures with a candidate holding at least half of its
  incidents and made at least half of them.
"""

import itertools
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opsdesk.problems.trends.detect import Sighting, TrendSettings, find_trends

CORPUS = Path(__file__).with_name("trend_corpus.json")
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Score:
    precision: float
    recall: float
    found: int
    planted: int
    candidates: int


def sightings(rows: list[dict]) -> list[Sighting]:
    ids: dict[tuple, int] = {}

    def key(kind, name):
        return None if name is None else ids.setdefault((kind, name), len(ids) + 1)

    return [
        Sighting(
            id=row["id"],
            text=row["text"],
            opened_at=START + timedelta(hours=row["hours"]),
            service_id=key("service", row["service"]),
            ci_id=key("ci", row["ci"]),
            category_id=key("category", row["category"]),
        )
        for row in rows
    ]


def _pairs(groups) -> set[tuple[int, int]]:
    return {pair for group in groups for pair in itertools.combinations(sorted(group), 2)}


def score(rows: list[dict], settings: TrendSettings | None = None) -> Score:
    trends = find_trends(sightings(rows), settings or TrendSettings())
    planted: dict[str, set[int]] = {}
    for row in rows:
        if row["label"]:
            planted.setdefault(row["label"], set()).add(row["id"])
    found_pairs, true_pairs = _pairs(t.ids for t in trends), _pairs(planted.values())
    both = len(found_pairs & true_pairs)
    found = sum(
        1
        for members in planted.values()
        if any(len(members & set(t.ids)) * 2 >= max(len(members), len(t.ids)) for t in trends)
    )
    return Score(
        precision=both / len(found_pairs) if found_pairs else 1.0,
        recall=both / len(true_pairs),
        found=found,
        planted=len(planted),
        candidates=len(trends),
    )


def corpus() -> list[dict]:
    return json.loads(CORPUS.read_text())["incidents"]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from make_trend_corpus import build

    for name, rows in [("committed corpus", corpus())] + [
        (f"seed {seed}", build(seed)) for seed in range(1, 6)
    ]:
        s = score(rows)
        print(
            f"{name:>16}: precision {s.precision:.2f}  recall {s.recall:.2f}  "
            f"failures found {s.found}/{s.planted}  candidates {s.candidates}"
        )


if __name__ == "__main__":
    main()
