"""Export rated interpretations for the next fine-tune: ``python -m storage.export``.

    python -m storage.export --min-rating 4 --min-raters 2 \\
        --out exports/corpus/rated_interpretations.jsonl --review exports/review.jsonl

An interpretation rated by at least ``--min-raters`` raters whose mean rating (over its raters) is at
least ``--min-rating`` on every criterion goes to ``--out`` as one line in the specification's
fine-tuning format, ``{"classification", "confidence", "interpretation"}`` plus ``signal_type``,
which ``finetune_gpt2.py --data_dir <folder of --out>`` reads as it is. One rated by enough raters
but below the threshold on some criterion goes to ``--review`` with its means, generator and
versions, for a person to look at. Only /classify interpretations fit the training format (an /ask
answer is stored without its question); the measured values printed above an interpretation are
left out of the training text, since the language model is never shown them.

Comments may hold patient details: they are written (to the review file only) with
``--include-comments``, never otherwise. The command prints counts, never text.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from storage.schema import RATINGS

# explain_finding (inference.py) puts the measured values above the explanation in this paragraph.
MEASURED_PREFIX = "Measured: "
TRAINING_KIND = "classify"


@dataclass(frozen=True)
class RatedInterpretation:
    row: Mapping[str, Any]  # the interpretation's fields (from its first rating row)
    means: dict[str, float]  # per criterion, over its raters
    raters: int
    comments: tuple[str, ...]


def rated_interpretations(rows: Iterable[Mapping[str, Any]]) -> list[RatedInterpretation]:
    """One entry per interpretation from ``Store.rated_interpretations`` rows (one per rating)."""
    by_item: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_item[row["interpretation_id"]].append(row)
    return [
        RatedInterpretation(
            row=ratings[0],
            raters=len(ratings),
            means={name: sum(r[name] for r in ratings) / len(ratings) for name in RATINGS},
            comments=tuple(r["comment"] for r in ratings if r["comment"]),
        )
        for ratings in by_item.values()
    ]


def training_text(text: str) -> str:
    """The explanation without the measured-values paragraph shown above it."""
    head, separator, rest = text.partition("\n\n")
    return rest.strip() if separator and head.startswith(MEASURED_PREFIX) else text.strip()


def training_line(item: RatedInterpretation) -> dict[str, Any]:
    row = item.row
    return {
        "classification": row["label"],
        "confidence": f"{row['confidence']:.0%}",
        "interpretation": training_text(row["text"]),
        "signal_type": row["signal_type"],
    }


def review_line(item: RatedInterpretation, include_comments: bool) -> dict[str, Any]:
    row = item.row
    line = {
        "interpretation_id": row["interpretation_id"],
        "kind": row["kind"],
        "signal_type": row["signal_type"],
        "classification": row["label"],
        "confidence": row["confidence"],
        "generator": row["generator"],
        "classifier_version": row["model_version"],
        "language_model_version": row["language_model_version"],
        "knowledge_base_version": row["knowledge_base_version"],
        "raters": item.raters,
        "mean_ratings": {name: round(value, 2) for name, value in item.means.items()},
        "interpretation": row["text"],
    }
    if include_comments:
        line["comments"] = list(item.comments)
    return line


def split(
    items: Iterable[RatedInterpretation], min_rating: float, min_raters: int
) -> tuple[list[RatedInterpretation], list[RatedInterpretation], int]:
    """(well rated, low rated, rated by too few raters)."""
    good, low, too_few = [], [], 0
    for item in items:
        if item.raters < min_raters:
            too_few += 1
        elif all(value >= min_rating for value in item.means.values()):
            good.append(item)
        else:
            low.append(item)
    return good, low, too_few


def _write_jsonl(path: Path, lines: Iterable[Mapping[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
    return count


def export(
    rows: Iterable[Mapping[str, Any]],
    out: Path,
    review: Path,
    min_rating: float,
    min_raters: int,
    include_comments: bool = False,
) -> dict[str, int]:
    """Write both files; counts of what went where."""
    good, low, too_few = split(rated_interpretations(rows), min_rating, min_raters)
    trainable = [item for item in good if item.row["kind"] == TRAINING_KIND]
    return {
        "training": _write_jsonl(out, map(training_line, trainable)),
        "well_rated_answers_not_trainable": len(good) - len(trainable),
        "review": _write_jsonl(review, (review_line(item, include_comments) for item in low)),
        "too_few_raters": too_few,
    }


def main(argv: Optional[list[str]] = None) -> int:
    from service.config import Config
    from storage.store import Store

    parser = argparse.ArgumentParser(
        description="Export well-rated interpretations as a fine-tuning corpus and low-rated ones for review."
    )
    parser.add_argument(
        "--min-rating", type=float, default=4.0, help="mean rating every criterion must reach (1-5; default 4)"
    )
    parser.add_argument(
        "--min-raters", type=int, default=2, help="raters an interpretation needs to be exported at all (default 2)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("exports/corpus/rated_interpretations.jsonl"),
        help="training JSONL (its folder is finetune_gpt2.py's --data_dir)",
    )
    parser.add_argument(
        "--review",
        type=Path,
        default=Path("exports/review.jsonl"),
        help="low-rated interpretations for review (keep it out of --data_dir)",
    )
    parser.add_argument(
        "--include-comments",
        action="store_true",
        help="write raters' comments to the review file (they may hold patient data)",
    )
    parser.add_argument("--database-url", help="default: DATABASE_URL, else the service's SQLite file")
    args = parser.parse_args(argv)
    if not 1 <= args.min_rating <= 5 or args.min_raters < 1:
        parser.error("--min-rating must be 1 to 5 and --min-raters at least 1")
    if args.review.resolve().parent == args.out.resolve().parent:
        parser.error("--review must not be in --out's folder: finetune_gpt2.py reads every *.jsonl there")
    store = Store(args.database_url or Config.from_sources().database_url)
    counts = export(
        store.rated_interpretations(), args.out, args.review, args.min_rating, args.min_raters, args.include_comments
    )
    print(", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
