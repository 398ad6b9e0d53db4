"""Fine-tuning tokens/s with packing (as ``finetune_gpt2.py`` trains) against padding, in one run.

    OMP_NUM_THREADS=1 python -m bench.finetune_packing [--documents 2000] [--steps 10] [--rounds 2]

The same seeded sample of the corpus's text documents, tokenised by ``finetune_gpt2`` with an
end-of-text after each, is fed to the Trainer two ways: packed (``group_texts``: the documents
joined and cut into blocks of ``--max_length`` tokens, as ``finetune_gpt2.py`` does) and padded
(the baseline: one document per example, cut at ``--max_length``, padded to the longest example
of its batch by the same collator). A tiny GPT-2 from GPT2Config, initialised with the same seed
each time, trains ``--steps`` optimizer steps each way with the same Trainer arguments as
``finetune_gpt2.py`` (fp32 on CPU); tokens/s is the Trainer's count of non-padding input tokens
(``include_num_input_tokens_seen="non_padding"``, what ``finetune_gpt2.py`` reports in
metrics.json) over its train runtime. The two alternate for ``--rounds`` rounds; the best of each
is kept. Default corpus: ``data/medical_corpus`` when ``scripts/build_corpus.py`` has built it,
else the bundled sample corpus.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import datasets  # noqa: E402
from transformers import DataCollatorForSeq2Seq, Trainer, set_seed  # noqa: E402

import finetune_gpt2 as ft  # noqa: E402
from bench.finetune_data import BUILT_CORPUS  # noqa: E402
from gpt2_tokenizer import load_tokenizer  # noqa: E402

SEED = 42


def one_per_example(batch: dict, block_size: int) -> dict:
    """Batched ``map``: each document its own example, cut at ``block_size`` tokens (the padded
    baseline; the collator pads each batch to its longest example)."""
    ids = [doc[:block_size] for doc in batch["input_ids"]]
    return {"input_ids": ids, "attention_mask": [[1] * len(d) for d in ids], "labels": [list(d) for d in ids]}


def tokens_per_second(examples: datasets.Dataset, tokenizer, args: argparse.Namespace, output_dir: str) -> float:
    """Non-padding input tokens per second of ``args.steps`` optimizer steps on ``examples``."""
    set_seed(SEED)
    model = ft.build_model(
        ft.ModelArguments(
            init_from_scratch=True,
            n_layer=args.n_layer,
            n_head=args.n_head,
            n_embd=args.n_embd,
            n_positions=args.max_length,
        ),
        tokenizer,
    )
    train_args = ft.TrainArguments(
        output_dir=output_dir,
        max_steps=args.steps,
        batch_size=args.batch_size,
        gradient_accumulation_steps=1,
        warmup_steps=0,
        logging_steps=args.steps,
        save_steps=10 * args.steps,
        seed=SEED,
    )
    targs = ft.training_arguments(train_args, "fp32")
    targs.disable_tqdm = True
    targs.save_strategy = "no"
    trainer = Trainer(
        model=model,
        args=targs,
        train_dataset=examples,
        data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=ft.IGNORE_INDEX),
        processing_class=tokenizer,
    )
    runtime = trainer.train().metrics["train_runtime"]
    return trainer.state.num_input_tokens_seen / runtime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_corpus = BUILT_CORPUS if BUILT_CORPUS.is_dir() else ft.SAMPLE_CORPUS
    parser.add_argument("--data_dir", default=str(default_corpus))
    parser.add_argument("--documents", type=int, default=2000, help="seeded sample of the text documents")
    parser.add_argument("--max_length", type=int, default=512)
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--n_layer", type=int, default=2)
    parser.add_argument("--n_head", type=int, default=4)
    parser.add_argument("--n_embd", type=int, default=128)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    datasets.disable_progress_bars()
    datasets.disable_caching()
    tokenizer = load_tokenizer()
    documents = ft.load_corpus(Path(args.data_dir)).documents
    if documents is None:
        parser.error(f"{args.data_dir} holds no text documents (*.txt) to pack")
    documents = documents.shuffle(seed=SEED).select(range(min(args.documents, len(documents))))
    tokens = documents.map(
        ft.tokenize_documents, batched=True, remove_columns=["text"], fn_kwargs={"tokenizer": tokenizer}
    )
    ways = {
        "padded: one document per example (baseline)": tokens.map(
            one_per_example, batched=True, fn_kwargs={"block_size": args.max_length}
        ),
        "packed: group_texts, as finetune_gpt2.py trains": tokens.map(
            ft.group_texts, batched=True, fn_kwargs={"block_size": args.max_length}
        ),
    }
    best = dict.fromkeys(ways, 0.0)
    with tempfile.TemporaryDirectory() as output_dir:
        for _ in range(args.rounds):
            for name, examples in ways.items():
                best[name] = max(
                    best[name], tokens_per_second(examples.shuffle(seed=SEED), tokenizer, args, output_dir)
                )
    lengths = [len(ids) for ids in tokens["input_ids"]]
    print(
        f"{len(lengths)} documents from {args.data_dir} ({sum(lengths)} tokens, median "
        f"{sorted(lengths)[len(lengths) // 2]}); GPT-2 {args.n_layer} layers x {args.n_embd}, batch "
        f"{args.batch_size}, --max_length {args.max_length}, {args.steps} steps, best of {args.rounds} "
        f"alternating rounds, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    )
    baseline = best[next(iter(ways))]
    for name, rate in best.items():
        print(f"{name:<50} {rate:9.0f} tokens/s  {rate / baseline:5.2f}x")


if __name__ == "__main__":
    main()
