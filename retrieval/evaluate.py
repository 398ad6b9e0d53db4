"""Retrieval recall@1/@5 on held-out MedQuAD questions, and the FTS5 vs bm25s comparison.

The index never holds MedQuAD's question texts (only each answer and its focus), so every MedQuAD
question is unseen by it; :func:`held_out_questions` draws a fixed, seeded sample of them. A hit is
a passage from the document that answers the question.
"""
from __future__ import annotations

import json
import lzma
import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from retrieval.passages import CORPUS_FILES

SEED = 2026  # the sample reported; the title weight was chosen on another (seed 18)
SAMPLE = 500


def held_out_questions(corpus_dir: Path, n: int = SAMPLE, seed: int = SEED) -> list[tuple[str, str]]:
    """``(question, doc_id)`` pairs: a seeded sample of MedQuAD's questions."""
    with lzma.open(corpus_dir / CORPUS_FILES[0], "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    chosen = random.Random(seed).sample(rows, n)
    return [(row["question"], f"medquad:{row['qid']}") for row in chosen]


@dataclass(frozen=True)
class RecallResult:
    recall_at_1: float
    recall_at_5: float
    p50_ms: float
    n: int

    def as_dict(self) -> dict:
        return {"recall@1": round(self.recall_at_1, 3), "recall@5": round(self.recall_at_5, 3),
                "p50_ms": round(self.p50_ms, 2), "n": self.n}


def recall(search: Callable[[str, int], list[str]], questions: list[tuple[str, str]]) -> RecallResult:
    """``search(question, k) -> doc ids`` scored on ``questions``."""
    at1 = at5 = 0
    times = []
    for question, doc_id in questions:
        started = time.perf_counter()
        found = search(question, 5)
        times.append((time.perf_counter() - started) * 1000)
        at1 += bool(found) and found[0] == doc_id
        at5 += doc_id in found[:5]
    n = len(questions)
    return RecallResult(at1 / n, at5 / n, statistics.median(times), n)
