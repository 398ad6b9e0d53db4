"""Retrieval recall@1/@5 on held-out MedQuAD questions, and the FTS5 vs bm25s comparison.

The index never holds MedQuAD's question texts (only each answer and its focus), so every MedQuAD
question is unseen by it. One seeded shuffle of the questions gives two disjoint samples: ``tune``
(where query processing and weights were chosen) and ``held-out`` (reported, looked at once). A hit
is a passage whose text is the question's answer: its own document, or one that MedQuAD gives the
same answer text under another focus (its generic "inherited in an autosomal recessive pattern"
answers, for example).
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from retrieval.passages import CORPUS_FILES, answer_key, medquad_documents

SEED = 2026
SAMPLE = 500
SAMPLES = ("tune", "held-out")


def held_out_questions(corpus_dir: Path, sample: str = "held-out", n: int = SAMPLE) -> list[tuple[str, frozenset[str]]]:
    """``(question, answering doc ids)`` of one of the two disjoint samples (:data:`SAMPLES`)."""
    documents = medquad_documents(corpus_dir / CORPUS_FILES[0])
    same_text: dict[str, set[str]] = {}
    for doc_id, rows in documents.items():
        same_text.setdefault(answer_key(rows[0]["answer"]), set()).add(doc_id)
    pairs = sorted(
        (row["question"], frozenset(same_text[answer_key(row["answer"])]))
        for rows in documents.values()
        for row in rows
    )
    random.Random(SEED).shuffle(pairs)
    start = SAMPLES.index(sample) * n
    return pairs[start : start + n]


@dataclass(frozen=True)
class RecallResult:
    recall_at_1: float
    recall_at_5: float
    p50_ms: float
    n: int

    def as_dict(self) -> dict:
        return {
            "recall@1": round(self.recall_at_1, 3),
            "recall@5": round(self.recall_at_5, 3),
            "p50_ms": round(self.p50_ms, 2),
            "n": self.n,
        }


def recall(search: Callable[[str, int], list[str]], questions: list[tuple[str, frozenset[str]]]) -> RecallResult:
    """``search(question, k) -> doc ids`` scored on ``questions``."""
    at1 = at5 = 0
    times = []
    for question, answering in questions:
        started = time.perf_counter()
        found = search(question, 5)
        times.append((time.perf_counter() - started) * 1000)
        at1 += bool(found) and found[0] in answering
        at5 += bool(answering.intersection(found[:5]))
    n = len(questions)
    return RecallResult(at1 / n, at5 / n, statistics.median(times), n)
