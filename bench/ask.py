"""POST /ask with the knowledge base and retrieval, against the knowledge base without retrieval.

    OMP_NUM_THREADS=1 python -m bench.ask [--repeats 3]

Over every question of evaluation/questions.jsonl (with its classification where it has one), the
median of ``repeats`` full ``POST /ask`` requests through Flask's test client: validation, topic
recognition, retrieval (SQLite FTS5), the answer, its sources and storing the record in SQLite.
The baseline is the same app with ``use_retrieval`` off. Target: p50 under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from api import create_app  # noqa: E402
from bench.timing import median_seconds  # noqa: E402

QUESTIONS = ROOT / "evaluation" / "questions.jsonl"


def p50_ms(use_retrieval: bool, bodies: list[dict], repeats: int, folder: str) -> float:
    app = create_app(
        {
            "database_url": f"sqlite:///{folder}/bench-{use_retrieval}.db",
            "use_base_gpt2": False,
            "warm_up_models": False,
            "use_retrieval": use_retrieval,
        }
    )
    client = app.test_client()
    times = [median_seconds(lambda body=body: client.post("/ask", json=body), repeats) for body in bodies]
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bodies = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        bodies.append(
            {
                "prompt": item["question"],
                **({"classification": item["classification"]} if "classification" in item else {}),
            }
        )
    with tempfile.TemporaryDirectory() as folder:
        baseline = p50_ms(False, bodies, args.repeats, folder)
        result = p50_ms(True, bodies, args.repeats, folder)
    print(f"POST /ask over {len(bodies)} questions, median of {args.repeats} each, 1 thread")
    print(f"knowledge base alone (baseline)      p50 {baseline:6.1f} ms")
    print(f"knowledge base + retrieval + sources p50 {result:6.1f} ms  {result / baseline:.2f}x baseline")


if __name__ == "__main__":
    main()
