"""``python -m retrieval build | recall | compare``.

build    build (or rebuild) the index under data/retrieval/
recall   recall@1/@5 and p50 latency of the index on MedQuAD questions (--sample tune | held-out)
compare  the same for SQLite FTS5 and bm25s over the same passages (how the index was chosen)
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from retrieval import index as ix
from retrieval.evaluate import SAMPLES, held_out_questions, recall


def _fts5_search(index: ix.Index):
    return lambda question, k: [hit.passage.doc_id for hit in index.search(question, k)]


def _bm25s_search(corpus_dir):
    import bm25s

    from retrieval.passages import all_passages

    passages = list(all_passages(corpus_dir))
    doc_ids = [p.doc_id for p in passages]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize([f"{p.title} {p.text}" for p in passages], stopwords="en", show_progress=False),
        show_progress=False,
    )

    def search(question: str, k: int) -> list[str]:
        results, _ = retriever.retrieve(
            bm25s.tokenize([question], stopwords="en", show_progress=False), k=k * 4, show_progress=False
        )
        return list(dict.fromkeys(doc_ids[i] for i in results[0]))[:k]

    return search


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retrieval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["build", "recall", "compare"])
    parser.add_argument(
        "--sample",
        choices=SAMPLES,
        default="held-out",
        help="MedQuAD question sample: tune (choices made there) or held-out",
    )
    args = parser.parse_args(argv)
    corpus_dir, index_path = ix.default_paths()
    if args.command == "build":
        started = time.perf_counter()
        count = ix.build(corpus_dir, index_path)
        print(f"built {index_path}: {count} passages in {time.perf_counter() - started:.1f} s")
        return 0
    index = ix.load(corpus_dir, index_path)
    if index is None:
        print("no corpus: run scripts/fetch_data.py corpus first", file=sys.stderr)
        return 1
    questions = held_out_questions(corpus_dir, args.sample)
    results = {"SQLite FTS5": recall(_fts5_search(index), questions).as_dict()}
    if args.command == "compare":
        started = time.perf_counter()
        search = _bm25s_search(corpus_dir)
        build_s = time.perf_counter() - started
        results["bm25s"] = {**recall(search, questions).as_dict(), "build_s": round(build_s, 1)}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
