"""``python -m evaluation``: the question set through /ask, every class x confidence band through the
interpretation, and retrieval recall on held-out MedQuAD questions; prints one table per part.

    python -m evaluation                    # everything (a few minutes on one core)
    python -m evaluation --skip-retrieval   # answers and interpretations only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

import inference
import knowledge_base as kb
from evaluation.scoring import score_answer, score_interpretation

QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"
BANDS = {"inconclusive": 0.45, "possible": 0.7, "likely": 0.92}


def _share(rows: list[dict], key: str) -> str:
    return f"{sum(r[key] for r in rows) / len(rows):.0%} ({sum(r[key] for r in rows)}/{len(rows)})" if rows else "-"


def answers_table(rows: list[dict]) -> dict:
    field = [r for r in rows if r["in_field"]]
    flagged = [r for r in rows if r["red_flag"]]
    unflagged = [r for r in rows if not r["red_flag"]]
    off = [r for r in rows if not r["in_field"]]
    return {
        "questions": len(rows),
        "substantive (in field)": _share(field, "substantive"),
        "topic recognised": _share(field, "topic_recognised"),
        "emergency first (red-flag items)": _share(flagged, "emergency_first"),
        "emergency advice without a red flag": _share(unflagged, "emergency_first"),
        "no dose": _share(rows, "no_dose"),
        "no contradiction of the finding": _share(rows, "no_contradiction"),
        "sources present (in field)": _share(field, "sources_present"),
        "sources relevant (in field)": _share(field, "sources_relevant"),
        "honest refusal, no sources (off field)": _share(off, "honest_refusal"),
        "median reading grade (in field)": round(statistics.median(r["grade"] for r in field), 1),
        "median words (in field)": statistics.median(r["words"] for r in field),
        "p50 latency ms": round(statistics.median(r["latency_ms"] for r in rows), 1),
    }


def run_answers() -> dict[str, dict]:
    from api import create_app

    items = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"database_url": f"sqlite:///{tmp}/evaluation.db", "use_base_gpt2": False, "warm_up_models": False}
        )
        client = app.test_client()
        rows = []
        for item in tqdm(items, desc="questions", unit="q", file=sys.stderr):
            body = {"prompt": item["question"]}
            if item.get("classification"):
                body["classification"] = item["classification"]
            started = time.perf_counter()
            data = client.post("/ask", json=body).get_json()
            rows.append({**score_answer(item, data, (time.perf_counter() - started) * 1000), "split": item["split"]})
    return {
        "all": answers_table(rows),
        "tune": answers_table([r for r in rows if r["split"] == "tune"]),
        "held_out": answers_table([r for r in rows if r["split"] == "held_out"]),
    }


def run_interpretations() -> dict:
    cases = [(label, band, confidence) for label in kb.labels() for band, confidence in BANDS.items()]
    rows = []
    for label, band, confidence in tqdm(cases, desc="interpretations", unit="case", file=sys.stderr):
        signal_type = kb.get_entry(label).signal_type
        text = inference.explain_with_llm({"prediction": label, "confidence": confidence}, signal_type)
        rows.append(score_interpretation(text, label, confidence, band == "inconclusive"))
    return {
        "cases": len(rows),
        **{key: _share(rows, key) for key in ("decision_support", "no_dose", "no_contradiction", "honest_band")},
        "median reading grade": round(statistics.median(r["grade"] for r in rows), 1),
        "median words": statistics.median(r["words"] for r in rows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-retrieval", action="store_true")
    args = parser.parse_args(argv)
    results = {"answers": run_answers(), "interpretations": run_interpretations()}
    if not args.skip_retrieval:
        from retrieval import index as ix
        from retrieval.evaluate import held_out_questions, recall

        index = ix.load()
        questions = held_out_questions(ix.default_paths()[0])
        results["retrieval"] = recall(lambda q, k: [h.passage.doc_id for h in index.search(q, k)], questions).as_dict()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
