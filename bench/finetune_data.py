"""Fine-tuning's data phase: a first run (load, tokenise, pack, split) against a second run on the
same corpus with the same tokenizer and settings, which loads the tokenised corpus from the
``datasets`` cache. The first run is the baseline, measured in the same process.

    OMP_NUM_THREADS=1 python -m bench.finetune_data [--data_dir data/medical_corpus] [--max_length 512]

Default corpus: ``data/medical_corpus`` when ``scripts/build_corpus.py`` has built it, else the
bundled sample corpus. The cache goes to a new temporary directory, removed at the end.
Target: the second data phase at least 10x faster than the first.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
import finetune_gpt2 as ft  # noqa: E402
from gpt2_tokenizer import load_tokenizer  # noqa: E402

BUILT_CORPUS = ROOT / "data" / "medical_corpus"
TARGET_RATIO = 10.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_corpus = BUILT_CORPUS if BUILT_CORPUS.is_dir() else ft.SAMPLE_CORPUS
    parser.add_argument("--data_dir", default=str(default_corpus))
    parser.add_argument("--max_length", type=int, default=512)
    parser.add_argument("--preprocessing_num_workers", type=int, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import datasets

    datasets.disable_progress_bars()
    tokenizer = load_tokenizer()
    with tempfile.TemporaryDirectory() as cache:
        data_args = ft.DataArguments(
            data_dir=args.data_dir,
            max_length=args.max_length,
            cache_dir=cache,
            preprocessing_num_workers=args.preprocessing_num_workers,
        )
        first = ft.prepare_data(data_args, tokenizer, seed=42, max_steps=-1)
        second = ft.prepare_data(data_args, tokenizer, seed=42, max_steps=-1)
    corpus = first.corpus
    ratio = first.seconds / second.seconds
    print(
        f"corpus {args.data_dir}: {len(corpus.pairs or [])} pairs, {len(corpus.documents or [])} "
        f"documents -> {len(first.train)} train / {len(first.eval)} held-out examples of up to "
        f"{args.max_length} tokens; num_proc {args.preprocessing_num_workers or 1}"
    )
    print(
        f"baseline: first data phase (tokenise)       {first.seconds:8.2f} s   1.00x   from cache: {first.from_cache}"
    )
    print(
        f"second data phase, same corpus and settings {second.seconds:8.2f} s   "
        f"{second.seconds / first.seconds:.3f}x   from cache: {second.from_cache}"
    )
    met = second.from_cache and ratio >= TARGET_RATIO
    print(f"speed-up {ratio:.1f}x; target: at least {TARGET_RATIO:.0f}x -> {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
