"""Table V from the stored ratings: mean, 95% bootstrap interval and n per criterion, and
Krippendorff's alpha (ordinal) per criterion over interpretations rated by at least two raters.

Pure functions of the rows ``Store.rated_interpretations`` returns. The interval is scipy's
percentile bootstrap of the mean (2,000 resamples, fixed seed, so the same ratings give the same
interval); it treats ratings as independent, which flatters it when a few raters give most of them.
Alpha comes from the ``krippendorff`` package on the items x values count matrix, so every anonymous
rating counts as its own rater without a matrix column per rating.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Optional

import krippendorff
import numpy as np
from scipy import stats

from storage.schema import RATINGS

SCALE = (1, 2, 3, 4, 5)
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 5
METHOD = (
    "mean with a 95% percentile bootstrap interval (scipy, 2,000 resamples, seed 5) per "
    "criterion; Krippendorff's alpha, ordinal, over interpretations rated by at least two raters "
    "(krippendorff package); an anonymous rating counts as its own rater"
)


def bootstrap_interval(values: np.ndarray) -> Optional[list[float]]:
    """The 95% percentile bootstrap interval of the mean, or None for fewer than two values."""
    if len(values) < 2:
        return None
    if np.all(values == values[0]):  # every resample has the same mean
        return [float(values[0])] * 2
    result = stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        confidence_level=0.95,
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    return [float(result.confidence_interval.low), float(result.confidence_interval.high)]


def criterion_statistics(values: Iterable[int]) -> dict[str, Any]:
    array = np.asarray(list(values), dtype=float)
    interval = bootstrap_interval(array)
    return {
        "mean": round(float(array.mean()), 3) if len(array) else None,
        "ci95": None if interval is None else [round(v, 3) for v in interval],
        "n": int(len(array)),
    }


def group_statistics(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    return {"n": len(rows), "criteria": {name: criterion_statistics(row[name] for row in rows) for name in RATINGS}}


def ordinal_alpha(ratings_per_item: Iterable[Iterable[int]]) -> Optional[float]:
    """Krippendorff's alpha (ordinal, 1-5 scale) over items with at least two ratings; None when it
    is undefined (no such item, or every rating the same value, so no disagreement is expected)."""
    counts = []
    for ratings in ratings_per_item:
        ratings = list(ratings)
        if len(ratings) >= 2:
            counts.append([ratings.count(value) for value in SCALE])
    if not counts:
        return None
    value_counts = np.asarray(counts, dtype=float)
    if np.count_nonzero(value_counts.sum(axis=0)) < 2:
        return None
    alpha = krippendorff.alpha(value_counts=value_counts, value_domain=list(SCALE), level_of_measurement="ordinal")
    return None if np.isnan(alpha) else round(float(alpha), 3)


def text_source(row: Mapping[str, Any]) -> str:
    """What wrote the text, with its version: the language model's, else the knowledge base's,
    else the generator's name (templates)."""
    if row.get("language_model_version"):
        return f"{row['generator']} {row['language_model_version']}"
    if row.get("knowledge_base_version") and row["generator"] == "knowledge base":
        return f"knowledge base {row['knowledge_base_version']}"
    return str(row["generator"])


def _grouped(rows: list[Mapping[str, Any]], key) -> dict[str, dict[str, Any]]:  # noqa: ANN001
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return {name: group_statistics(members) for name, members in sorted(groups.items())}


def agreement(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    by_item: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_item[row["interpretation_id"]].append(row)
    shared = [members for members in by_item.values() if len(members) >= 2]
    return {
        "level": "ordinal",
        "items": len(shared),
        "ratings": sum(len(members) for members in shared),
        "alpha": {name: ordinal_alpha([row[name] for row in members] for members in shared) for name in RATINGS},
    }


def summarise(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Table V: overall, per generator and per text source (model version), plus agreement."""
    raters = {row["rater_id"] for row in rows if row["rater_id"] is not None}
    anonymous = sum(1 for row in rows if row["rater_id"] is None)
    return {
        "n": len(rows),
        "items": len({row["interpretation_id"] for row in rows}),
        "raters": len(raters) + anonymous,
        "overall": group_statistics(rows),
        "by_generator": _grouped(rows, lambda row: str(row["generator"])),
        "by_model_version": _grouped(rows, text_source),
        "agreement": agreement(rows),
        "method": METHOD,
    }
