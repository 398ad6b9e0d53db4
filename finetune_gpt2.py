#!/usr/bin/env python
"""Fine-tune GPT-2 (or train a GPT-2-architecture model from scratch) on a medical corpus.

The specification's fine-tuning CLI (docs/finetuning.md), built on the Hugging Face Trainer and
shaped like transformers' ``examples/pytorch/language-modeling/run_clm.py``: dataclass arguments,
then the phases load -> tokenize -> group -> train -> evaluate -> save.

    python finetune_gpt2.py --data_dir ./medical_corpus --output_dir ./medical-gpt2 --epochs 3
    torchrun --nproc_per_node 8 finetune_gpt2.py ... [--deepspeed ds.json | --fsdp "full_shard auto_wrap"]

Corpus (``--data_dir``): ``*.jsonl`` lines ``{"classification", "confidence", "interpretation"}``
become prompt -> interpretation pairs, the prompt being the clinical-interpretation template that
inference fills (``prompts.clinical_interpretation_prompt``); the loss covers the interpretation
only unless ``--train_on_prompt``. ``*.txt`` files are split on blank lines and the documents are
packed into blocks of ``--max_length`` tokens. A missing ``--data_dir`` is filled with the bundled
sample corpus (``medical_corpus/``). Files are read with ``datasets.load_dataset`` and tokenised by
batched, cached ``map`` calls (``--preprocessing_num_workers``, ``--cache_dir``, ``--streaming``).
``--use_lora`` trains a LoRA adapter (``peft``) and saves the merged model with the adapter beside it
(``adapter/``). The output directory is ready for ``MEDICAL_GPT2_PATH``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch
from datasets import Dataset, IterableDataset, concatenate_datasets, load_dataset
from datasets.fingerprint import Hasher
from transformers import (
    AutoModelForCausalLM,
    DataCollatorForSeq2Seq,
    GPT2Config,
    GPT2LMHeadModel,
    HfArgumentParser,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    Trainer,
    TrainingArguments,
    set_seed,
)
from transformers.trainer_utils import get_last_checkpoint

import knowledge_base as kb  # noqa: E402
from explain.model_loading import load_model_and_tokenizer  # noqa: E402
from explain.settings import BOUNDS as GENERATION_BOUNDS  # noqa: E402
from finetune_guard_eval import served_share  # noqa: E402
from gpt2_tokenizer import load_tokenizer  # noqa: E402
from prompts import clinical_interpretation_prompt  # noqa: E402

log = logging.getLogger("finetune_gpt2")

SAMPLE_CORPUS = Path(__file__).resolve().parent / "medical_corpus"
IGNORE_INDEX = -100  # label value the loss skips
JSONL_FIELDS = ("classification", "confidence", "interpretation")
SIGNAL_TYPE_BY_PREFIX = {"ecg_": "ECG", "eeg_": "EEG"}
# Findings the model card shows generations for: (signal type, classification, confidence).
SAMPLE_FINDINGS = (
    ("ECG", "Atrial Fibrillation", 0.92),
    ("ECG", "Normal Sinus Rhythm", 0.95),
    ("EEG", "Seizure Activity", 0.90),
)
STREAMING_EVAL_EXAMPLES = 64  # held-out examples of a streamed corpus without --max_eval_samples
STREAMING_SHUFFLE_BUFFER = 10_000
AnyDataset = Union[Dataset, IterableDataset]


class FinetuneError(Exception):
    """A problem the user can fix (bad corpus, unloadable model); reported without a traceback."""


# --------------------------------------------------------------------------------------- arguments
@dataclass
class ModelArguments:
    model_name: str = field(
        default="gpt2",
        metadata={"help": "Base model: a hub name (gpt2, gpt2-medium, gpt2-large) or a local directory."},
    )
    tokenizer_name: Optional[str] = field(
        default=None,
        metadata={
            "help": "Tokenizer name or directory (default: --model_name; the bundled GPT-2 tokenizer "
            "when neither can be loaded)."
        },
    )
    init_from_scratch: bool = field(
        default=False,
        metadata={"help": "Build a new GPT-2-architecture model from GPT2Config instead of loading weights."},
    )
    n_layer: int = field(default=12, metadata={"help": "Layers (with --init_from_scratch)."})
    n_head: int = field(default=12, metadata={"help": "Attention heads (with --init_from_scratch)."})
    n_embd: int = field(default=768, metadata={"help": "Hidden size (with --init_from_scratch)."})
    n_positions: int = field(
        default=1024,
        metadata={
            "help": "Longest sequence the new model accepts (with --init_from_scratch); positions past "
            "--max_length are never trained."
        },
    )
    use_lora: bool = field(
        default=False,
        metadata={
            "help": "Train a LoRA adapter (peft) instead of all weights; the output holds the merged "
            "model and the adapter in adapter/."
        },
    )
    lora_r: int = field(default=8, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA scaling numerator (alpha / r)."})
    lora_dropout: float = field(default=0.05, metadata={"help": "Dropout on the LoRA input."})
    lora_target_modules: str = field(
        default="c_attn",
        metadata={"help": "Comma-separated module names that get adapters (GPT-2: c_attn, c_proj, c_fc)."},
    )


@dataclass
class DataArguments:
    data_dir: str = field(
        default="./medical_corpus",
        metadata={"help": "Corpus directory (*.jsonl, *.txt); created with the bundled sample if missing."},
    )
    max_length: int = field(default=512, metadata={"help": "Maximum sequence length in tokens."})
    validation_split_percentage: float = field(
        default=5.0, metadata={"help": "Share of the examples held out to measure loss and perplexity."}
    )
    train_on_prompt: bool = field(
        default=False,
        metadata={"help": "Also train on the prompt of prompt/interpretation pairs (default: answer only)."},
    )
    max_train_samples: Optional[int] = field(
        default=None, metadata={"help": "Use at most this many training examples (quick runs)."}
    )
    max_eval_samples: Optional[int] = field(
        default=None,
        metadata={
            "help": "Evaluate on at most this many held-out examples (quick runs; with --streaming the "
            f"held-out set is this many first examples, default {STREAMING_EVAL_EXAMPLES})."
        },
    )
    preprocessing_num_workers: Optional[int] = field(
        default=None, metadata={"help": "Processes for the tokenising map (default: one)."}
    )
    cache_dir: Optional[str] = field(
        default=None,
        metadata={"help": "Where datasets keeps the loaded and tokenised corpus (default: HF_DATASETS_CACHE)."},
    )
    overwrite_cache: bool = field(
        default=False, metadata={"help": "Tokenise again even when the cache holds the result."}
    )
    streaming: bool = field(
        default=False,
        metadata={"help": "Read the corpus as it is consumed (corpora larger than memory; needs --max_steps)."},
    )

    def options(self) -> "DataOptions":
        return DataOptions(
            cache_dir=self.cache_dir,
            num_proc=self.preprocessing_num_workers,
            overwrite_cache=self.overwrite_cache,
            streaming=self.streaming,
        )


@dataclass(frozen=True)
class DataOptions:
    """How ``datasets`` reads and maps the corpus."""

    cache_dir: Optional[str] = None
    num_proc: Optional[int] = None
    overwrite_cache: bool = False
    streaming: bool = False


@dataclass
class TrainArguments:
    output_dir: str = field(
        default="./medical-gpt2", metadata={"help": "Where the model, tokenizer, model card and metrics.json go."}
    )
    epochs: float = field(default=3.0, metadata={"help": "Number of training epochs."})
    batch_size: int = field(default=4, metadata={"help": "Per-device batch size."})
    learning_rate: float = field(default=5e-5, metadata={"help": "Peak learning rate."})
    gradient_accumulation_steps: int = field(default=4, metadata={"help": "Batches accumulated per optimizer step."})
    warmup_steps: int = field(default=500, metadata={"help": "Linear learning-rate warmup steps."})
    max_steps: int = field(
        default=-1, metadata={"help": "Stop after this many optimizer steps (overrides --epochs when > 0)."}
    )
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay."})
    seed: int = field(default=42, metadata={"help": "Seed for the split, initialisation and order."})
    logging_steps: int = field(default=50, metadata={"help": "Log the training loss every N steps."})
    save_steps: int = field(default=500, metadata={"help": "Write a checkpoint every N steps."})
    save_total_limit: int = field(default=2, metadata={"help": "Checkpoints kept in output_dir."})
    resume_from_checkpoint: Optional[str] = field(
        default=None,
        metadata={"help": "Checkpoint directory to resume from, or 'last' for the newest one in output_dir."},
    )
    precision: str = field(
        default="auto",
        metadata={
            "choices": ["auto", "fp32", "fp16", "bf16"],
            "help": "auto: bf16 on GPUs that support it, else fp16 on CUDA, fp32 on CPU. A half "
            "precision asked for without CUDA falls back to fp32 (logged).",
        },
    )
    deepspeed: Optional[str] = field(
        default=None, metadata={"help": "DeepSpeed JSON config (needs the deepspeed package; see docs/finetuning.md)."}
    )
    fsdp: str = field(
        default="", metadata={"help": "PyTorch FSDP options, e.g. 'full_shard auto_wrap' (multi-GPU launches only)."}
    )
    fsdp_config: Optional[str] = field(default=None, metadata={"help": "FSDP JSON config file."})
    ddp_backend: Optional[str] = field(
        default=None, metadata={"help": "Distributed backend (nccl, gloo, ...); default: chosen by accelerate."}
    )
    sample_max_new_tokens: int = field(
        default=80, metadata={"help": "Tokens generated for each sample interpretation in the model card (0: none)."}
    )
    guard_eval_max_new_tokens: int = field(
        default=220,
        metadata={
            "help": "Tokens per generation of the before/after guard evaluation (0: skip it; else "
            "16-512, the service's bounds)."
        },
    )
    report_to: str = field(
        default="none",
        metadata={"help": "Where the Trainer logs: none, tensorboard (offline, in output_dir/runs), wandb, ..."},
    )


# ---------------------------------------------------------------------------------------- precision
def resolve_precision(requested: str) -> str:
    """The precision to train in: never a half precision without CUDA (CPU runs in fp32)."""
    if torch.cuda.is_available():
        bf16_ok = torch.cuda.is_bf16_supported()
        if requested == "auto":
            return "bf16" if bf16_ok else "fp16"
        if requested == "bf16" and not bf16_ok:
            log.warning("this GPU does not support bf16; training in fp16")
            return "fp16"
        return requested
    if requested in ("fp16", "bf16"):
        log.warning("%s was requested but no CUDA device is available", requested)
    log.info("no CUDA device: training in fp32 on CPU")
    return "fp32"


# ------------------------------------------------------------------------------------------- corpus
@dataclass
class Corpus:
    """The corpus as ``datasets``: prompt/answer pairs (columns ``prompt``, ``answer``) and free-text
    documents (column ``text``). In streaming mode both are ``IterableDataset`` and the per-file
    counts are unknown (None); malformed lines are then counted as they are read."""

    pairs: Optional[AnyDataset] = None
    documents: Optional[AnyDataset] = None
    examples_per_file: dict[str, Optional[int]] = field(default_factory=dict)
    streaming: bool = False
    counted_skips: int = 0
    reporters: list[MalformedLineReporter] = field(default_factory=list)

    @property
    def skipped_lines(self) -> int:
        """Malformed lines: all of them, or in streaming mode those read so far."""
        return self.counted_skips + sum(len(r.seen) for r in self.reporters)


def ensure_corpus(data_dir: Path) -> None:
    """Write the bundled sample corpus to ``data_dir`` when that directory does not exist."""
    if data_dir.is_dir():
        return
    if data_dir.exists():
        raise FinetuneError(f"--data_dir {data_dir} exists but is not a directory")
    shutil.copytree(SAMPLE_CORPUS, data_dir)
    log.info(
        "%s did not exist: wrote the bundled sample corpus there (%d files)",
        data_dir,
        sum(1 for _ in data_dir.iterdir()),
    )


def _signal_type(path: Path, record: dict) -> Optional[str]:
    """ECG or EEG: the line's ``signal_type`` field, else the file name (``ecg_*``/``eeg_*``), else
    the knowledge base's entry for the classification (so that a line in exactly the spec's format
    works in a file of any name)."""
    if record.get("signal_type"):
        return str(record["signal_type"]).strip().upper()
    for prefix, signal_type in SIGNAL_TYPE_BY_PREFIX.items():
        if path.name.lower().startswith(prefix):
            return signal_type
    entry = kb.get_entry(str(record["classification"]))
    return entry.signal_type if entry else None


def _pair_from_line(path: Path, line: str) -> tuple[str, str]:
    """(prompt, interpretation) for one JSONL line; ValueError says why a line is malformed."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise ValueError("not valid JSON") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    missing = [name for name in JSONL_FIELDS if name not in record]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    interpretation = str(record["interpretation"]).strip()
    if not interpretation or not str(record["classification"]).strip():
        raise ValueError("empty classification or interpretation")
    signal_type = _signal_type(path, record)
    if signal_type is None:
        raise ValueError(
            "no signal type (name the file ecg_*/eeg_*, add a signal_type field, "
            "or use a class the knowledge base knows)"
        )
    try:
        prompt = clinical_interpretation_prompt(
            signal_type, str(record["classification"]).strip(), record["confidence"], record.get("clinical_context")
        )
    except (TypeError, ValueError):
        raise ValueError("confidence is not a fraction or percentage") from None
    return prompt, interpretation


def parse_jsonl_lines(batch: dict, indices: list[int], path: Path) -> dict:
    """Batched ``map``: the lines of one JSONL file -> prompt, answer, and the reason a line is
    malformed (``error``, None when it is not) with its line number. Blank lines are dropped."""
    out: dict[str, list] = {"prompt": [], "answer": [], "error": [], "line": []}
    for text, index in zip(batch["text"], indices):
        if not text.strip():
            continue
        try:
            prompt, answer = _pair_from_line(path, text)
            error = None
        except ValueError as exc:
            prompt, answer, error = "", "", str(exc)
        out["prompt"].append(prompt)
        out["answer"].append(answer)
        out["error"].append(error)
        out["line"].append(index + 1)
    return out


def strip_paragraphs(batch: dict) -> dict:
    """Batched ``map``: blank-line-separated sections, stripped; empty ones dropped."""
    return {"text": [text.strip() for text in batch["text"] if text.strip()]}


class MalformedLineReporter:
    """Streaming ``filter``: logs each malformed line once (file:line, reason) and keeps the others."""

    def __init__(self, path: Path) -> None:
        self.path, self.seen = path, set()

    def __deepcopy__(self, memo: dict) -> "MalformedLineReporter":
        # datasets copies a stream's functions when it is shuffled, split or taken from; every copy
        # shares this reporter, so that its count is the run's
        return self

    def __call__(self, error: Optional[str], line: int) -> bool:
        if error is not None and line not in self.seen:
            self.seen.add(line)
            log.warning("%s:%d: skipped malformed line (%s)", self.path, line, error)
        return error is None


def _load_text(path: Path, sample_by: str, options: DataOptions) -> AnyDataset:
    return load_dataset(
        "text",
        data_files=str(path),
        split="train",
        sample_by=sample_by,
        cache_dir=options.cache_dir,
        streaming=options.streaming,
    )


def _map_options(options: DataOptions) -> dict:
    """Keyword arguments of ``map`` that an ``IterableDataset`` does not take."""
    if options.streaming:
        return {}
    return {"num_proc": options.num_proc, "load_from_cache_file": not options.overwrite_cache}


def read_jsonl(path: Path, options: DataOptions, reporters: list) -> tuple[AnyDataset, int]:
    """The file's pairs and its number of malformed lines (each logged as file:line, reason; the
    line's text never goes into the log). Streaming: the count is kept by a reporter as lines are read."""
    parsed = _load_text(path, "line", options).map(
        parse_jsonl_lines,
        batched=True,
        with_indices=True,
        fn_kwargs={"path": path},
        remove_columns=["text"],
        **_map_options(options),
    )
    if options.streaming:
        reporter = MalformedLineReporter(path)
        reporters.append(reporter)
        return parsed.filter(reporter, input_columns=["error", "line"]).remove_columns(["error", "line"]), 0
    errors = parsed.filter(lambda error: error is not None, input_columns="error", **_map_options(options))
    for line, reason in zip(errors["line"], errors["error"]):
        log.warning("%s:%d: skipped malformed line (%s)", path, line, reason)
    pairs = parsed.filter(lambda error: error is None, input_columns="error", **_map_options(options))
    return pairs.remove_columns(["error", "line"]), len(errors)


def read_text(path: Path, options: DataOptions) -> AnyDataset:
    """The file's blank-line-separated sections as documents."""
    return _load_text(path, "paragraph", options).map(strip_paragraphs, batched=True, **_map_options(options))


def _concatenate(parts: list[AnyDataset]) -> Optional[AnyDataset]:
    return concatenate_datasets(parts) if parts else None


def load_corpus(data_dir: Path, options: Optional[DataOptions] = None) -> Corpus:
    """Read every ``*.jsonl`` and ``*.txt`` file directly inside ``data_dir`` with ``load_dataset``."""
    options = options or DataOptions()
    corpus, pair_parts, document_parts = Corpus(streaming=options.streaming), [], []
    for path in sorted(data_dir.iterdir()):
        if path.suffix == ".jsonl":
            pairs, skipped = read_jsonl(path, options, corpus.reporters)
            pair_parts.append(pairs)
            corpus.counted_skips += skipped
            corpus.examples_per_file[path.name] = None if options.streaming else len(pairs)
        elif path.suffix == ".txt":
            documents = read_text(path, options)
            document_parts.append(documents)
            corpus.examples_per_file[path.name] = None if options.streaming else len(documents)
    corpus.pairs, corpus.documents = _concatenate(pair_parts), _concatenate(document_parts)
    if options.streaming:
        if not corpus.examples_per_file:
            raise FinetuneError(f"no *.jsonl or *.txt file in {data_dir}")
        log.info("corpus: streaming %d files from %s", len(corpus.examples_per_file), data_dir)
        return corpus
    if corpus.skipped_lines:
        log.warning("skipped %d malformed line(s) in %s", corpus.skipped_lines, data_dir)
    n_pairs = len(corpus.pairs) if corpus.pairs is not None else 0
    n_documents = len(corpus.documents) if corpus.documents is not None else 0
    if not n_pairs and not n_documents:
        raise FinetuneError(
            f"no training text in {data_dir}: expected *.jsonl lines with "
            f"{', '.join(JSONL_FIELDS)} or *.txt sections separated by blank lines"
        )
    log.info(
        "corpus: %d prompt/interpretation pairs, %d text documents, from %d files",
        n_pairs,
        n_documents,
        len(corpus.examples_per_file),
    )
    return corpus


# ------------------------------------------------------------------------------ tokenize and group
def tokenize_pairs(batch: dict, tokenizer: PreTrainedTokenizerBase, max_length: int, train_on_prompt: bool) -> dict:
    """Batched ``map``: prompt + " " + answer + end-of-text, loss on the answer unless asked.
    A pair whose prompt alone fills ``max_length`` has nothing to learn and is dropped."""
    prompts = tokenizer(batch["prompt"], verbose=False)["input_ids"]
    answers = tokenizer([" " + a for a in batch["answer"]], verbose=False)["input_ids"]
    out: dict[str, list] = {"input_ids": [], "attention_mask": [], "labels": []}
    for prompt_ids, answer_ids in zip(prompts, answers):
        answer_ids = answer_ids + [tokenizer.eos_token_id]
        input_ids = (prompt_ids + answer_ids)[:max_length]
        prompt_labels = prompt_ids if train_on_prompt else [IGNORE_INDEX] * len(prompt_ids)
        labels = (prompt_labels + answer_ids)[:max_length]
        if all(label == IGNORE_INDEX for label in labels):
            continue
        out["input_ids"].append(input_ids)
        out["attention_mask"].append([1] * len(input_ids))
        out["labels"].append(labels)
    return out


def tokenize_documents(batch: dict, tokenizer: PreTrainedTokenizerBase) -> dict:
    """Batched ``map``: each document's tokens followed by end-of-text."""
    ids = tokenizer(batch["text"], verbose=False)["input_ids"]
    return {"input_ids": [doc + [tokenizer.eos_token_id] for doc in ids]}


def group_texts(batch: dict, block_size: int) -> dict:
    """Batched ``map`` (run_clm's ``group_texts``): the batch's documents joined and cut into blocks
    of ``block_size`` tokens; the batch's last block may be shorter (the collator pads it)."""
    stream = [token for ids in batch["input_ids"] for token in ids]
    blocks = [stream[start : start + block_size] for start in range(0, len(stream), block_size)]
    return {"input_ids": blocks, "attention_mask": [[1] * len(b) for b in blocks], "labels": [list(b) for b in blocks]}


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """A digest of the tokenizer's full definition (vocabulary, merges, normaliser, special tokens).

    ``datasets`` would otherwise pickle the tokenizer to fingerprint every ``map``, which takes
    seconds for GPT-2's 50,257-token vocabulary."""
    definition = tokenizer.backend_tokenizer.to_str() + json.dumps(tokenizer.special_tokens_map, sort_keys=True)
    return hashlib.sha256(definition.encode("utf-8")).hexdigest()


def _cached_map(dataset: AnyDataset, function, options: DataOptions, key: tuple, **kwargs) -> AnyDataset:
    """``dataset.map(function)``; on disk, its cache is keyed by the input dataset's fingerprint,
    the function (its code) and ``key`` (the tokenizer's digest and the settings)."""
    if not options.streaming:
        kwargs["new_fingerprint"] = Hasher.hash([dataset._fingerprint, function, *key])
    return dataset.map(function, batched=True, **kwargs, **_map_options(options))


def tokenize_corpus(
    corpus: Corpus, tokenizer: PreTrainedTokenizerBase, max_length: int, train_on_prompt: bool, options: DataOptions
) -> AnyDataset:
    """Pairs and packed documents as one dataset of input_ids / attention_mask / labels.

    Each ``map`` is cached on disk by ``datasets`` under a fingerprint of its input, of the function
    and of the tokenizer and settings, so a second run on the same corpus with the same tokenizer and
    settings loads the result instead of tokenising again (``--overwrite_cache`` forces it)."""
    parts, key = [], (tokenizer_fingerprint(tokenizer), max_length, train_on_prompt)
    if corpus.pairs is not None:
        pairs = _cached_map(
            corpus.pairs,
            tokenize_pairs,
            options,
            key,
            remove_columns=["prompt", "answer"],
            fn_kwargs={"tokenizer": tokenizer, "max_length": max_length, "train_on_prompt": train_on_prompt},
        )
        if not options.streaming and len(pairs) < len(corpus.pairs):
            log.warning(
                "%d pair(s) dropped: the prompt alone fills --max_length %d", len(corpus.pairs) - len(pairs), max_length
            )
        parts.append(pairs)
    if corpus.documents is not None:
        tokens = _cached_map(
            corpus.documents,
            tokenize_documents,
            options,
            key,
            remove_columns=["text"],
            fn_kwargs={"tokenizer": tokenizer},
        )
        parts.append(_cached_map(tokens, group_texts, options, key, fn_kwargs={"block_size": max_length}))
    return concatenate_datasets(parts)


def loaded_from_cache(dataset: Dataset, since: float) -> bool:
    """True when every cache file behind ``dataset`` was written before ``since`` (a Unix time):
    the ``map`` calls found their results on disk instead of computing them."""
    files = [Path(f["filename"]) for f in dataset.cache_files]
    return bool(files) and all(f.stat().st_mtime < since for f in files)


def split_examples(examples: Dataset, percentage: float, seed: int) -> tuple[Dataset, Dataset]:
    """(train, held-out): a seeded shuffle, at least one example on each side."""
    if len(examples) < 2:
        raise FinetuneError("the corpus yields fewer than 2 examples: too little to train and evaluate")
    order = np.random.default_rng(seed).permutation(len(examples))
    n_eval = min(max(1, round(len(examples) * percentage / 100.0)), len(examples) - 1)
    return examples.select(order[n_eval:]), examples.select(order[:n_eval])


def count_target_tokens(examples: Dataset) -> int:
    return sum(sum(1 for label in labels if label != IGNORE_INDEX) for labels in examples["labels"])


@dataclass
class PreparedData:
    """What the data phase hands to training: the splits, the corpus and how the phase went."""

    train: AnyDataset
    eval: AnyDataset
    corpus: Corpus
    seconds: float
    from_cache: bool


def prepare_data(
    data_args: DataArguments, tokenizer: PreTrainedTokenizerBase, seed: int, max_steps: int
) -> PreparedData:
    """The data phase: load the corpus, tokenise and pack it, split off the held-out examples.

    Streaming (``--streaming``) reads the files as they are consumed: nothing is cached, the held-out
    set is the first ``--max_eval_samples`` examples (default STREAMING_EVAL_EXAMPLES) in file order,
    the rest is shuffled in a buffer, and the run's length must be given with ``--max_steps``."""
    started = time.time()
    options = data_args.options()
    if options.streaming and max_steps <= 0:
        raise FinetuneError("--streaming needs --max_steps: a streamed corpus has no known length")
    corpus = load_corpus(Path(data_args.data_dir), options)
    examples = tokenize_corpus(corpus, tokenizer, data_args.max_length, data_args.train_on_prompt, options)
    if options.streaming:
        n_eval = data_args.max_eval_samples or STREAMING_EVAL_EXAMPLES
        eval_set = Dataset.from_list(list(examples.take(n_eval)))
        train_set = examples.skip(n_eval).shuffle(seed=seed, buffer_size=STREAMING_SHUFFLE_BUFFER)
        if data_args.max_train_samples:
            train_set = train_set.take(data_args.max_train_samples)
        from_cache = False
    else:
        from_cache = loaded_from_cache(examples, started)
        train_set, eval_set = split_examples(examples, data_args.validation_split_percentage, seed)
        if data_args.max_train_samples is not None:
            train_set = train_set.select(range(min(data_args.max_train_samples, len(train_set))))
        if data_args.max_eval_samples is not None:
            eval_set = eval_set.select(range(min(data_args.max_eval_samples, len(eval_set))))
    seconds = time.time() - started
    log.info(
        "data phase: %.2f s%s; examples: %s train, %d held out",
        seconds,
        " (tokenised corpus loaded from the datasets cache)" if from_cache else "",
        "streamed" if options.streaming else len(train_set),
        len(eval_set),
    )
    return PreparedData(train_set, eval_set, corpus, seconds, from_cache)


# -------------------------------------------------------------------------------------------- model
def build_model(args: ModelArguments, tokenizer: PreTrainedTokenizerBase) -> PreTrainedModel:
    """A new GPT-2 from GPT2Config (``--init_from_scratch``) or the pretrained ``--model_name``."""
    if args.init_from_scratch:
        config = GPT2Config(
            vocab_size=len(tokenizer),
            n_positions=args.n_positions,
            n_layer=args.n_layer,
            n_head=args.n_head,
            n_embd=args.n_embd,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        model = GPT2LMHeadModel(config)
        log.info(
            "new GPT-2 model from scratch: %d layers, %d heads, %d hidden, %.1f M parameters",
            args.n_layer,
            args.n_head,
            args.n_embd,
            model.num_parameters() / 1e6,
        )
        return model
    try:
        model = AutoModelForCausalLM.from_pretrained(args.model_name)
    except (OSError, ValueError) as exc:
        raise FinetuneError(
            f"cannot load the model {args.model_name!r} ({type(exc).__name__}): no network access "
            "and no cached copy. Either pass a local directory that holds a saved model "
            "(--model_name /path/to/gpt2, with config.json and the weights), or build a "
            "GPT-2-architecture model from scratch with --init_from_scratch "
            "(size it with --n_layer, --n_head, --n_embd)."
        ) from None
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))
    model.config.pad_token_id = tokenizer.pad_token_id
    log.info("loaded %s: %.1f M parameters", args.model_name, model.num_parameters() / 1e6)
    return model


def add_lora(model: PreTrainedModel, args: ModelArguments) -> PreTrainedModel:
    """The model with LoRA adapters on ``--lora_target_modules``; every other weight frozen."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        task_type="CAUSAL_LM",
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=[name.strip() for name in args.lora_target_modules.split(",")],
        fan_in_fan_out=model.config.model_type == "gpt2",
    )  # GPT-2's Conv1D layers
    try:
        return get_peft_model(model, config)
    except ValueError as exc:
        raise FinetuneError(f"--lora_target_modules {args.lora_target_modules!r}: {exc}") from None


def parameter_counts(model: torch.nn.Module) -> tuple[int, int]:
    """(trainable, total) parameters."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


def schedule_warnings(
    train_examples: Optional[int],
    batch_size: int,
    world_size: int,
    accumulation: int,
    epochs: float,
    max_steps: int,
    warmup_steps: int,
) -> list[str]:
    """What is wrong with the learning-rate schedule, said before training (empty when nothing).

    ``train_examples`` is None for a streamed corpus (only ``--max_steps`` is known then)."""
    warnings = []
    if max_steps > 0:
        total = max_steps
    else:
        batches = math.ceil(train_examples / (batch_size * world_size))
        if batches < accumulation:
            warnings.append(
                f"an epoch is {batches} batch(es), shorter than one optimizer step "
                f"(--gradient_accumulation_steps {accumulation}): each epoch ends in one step over "
                f"{batches} batch(es)"
            )
        total = math.ceil(epochs * math.ceil(batches / accumulation))
    if warmup_steps >= total:
        warnings.append(
            f"--warmup_steps {warmup_steps} is not shorter than the run ({total} optimizer steps): "
            f"the learning rate never reaches its peak (--learning_rate) and ends at "
            f"{total / warmup_steps:.0%} of it; lower --warmup_steps"
        )
    return warnings


def training_arguments(args: TrainArguments, precision: str) -> TrainingArguments:
    return TrainingArguments(
        output_dir=args.output_dir,
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        warmup_steps=args.warmup_steps,
        weight_decay=args.weight_decay,
        seed=args.seed,
        logging_steps=args.logging_steps,
        save_steps=args.save_steps,
        save_total_limit=args.save_total_limit,
        fp16=precision == "fp16",
        bf16=precision == "bf16",
        deepspeed=args.deepspeed,
        fsdp=args.fsdp,
        fsdp_config=args.fsdp_config,
        ddp_backend=args.ddp_backend,
        report_to=args.report_to,
        remove_unused_columns=False,
        include_num_input_tokens_seen="non_padding",
        # use_cpu also makes a torchrun launch without CUDA a multi-process (gloo) run
        use_cpu=not torch.cuda.is_available(),
        dataloader_pin_memory=torch.cuda.is_available(),
        disable_tqdm=False,
    )


def perplexity(loss: float) -> float:
    return math.exp(loss) if loss < 700 else math.inf


# ------------------------------------------------------------------------------------------- output
def generate_samples(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, max_new_tokens: int) -> list[dict]:
    """Greedy interpretations of SAMPLE_FINDINGS (no_repeat_ngram_size=3)."""
    if max_new_tokens <= 0:
        return []
    samples = []
    for signal_type, classification, confidence in SAMPLE_FINDINGS:
        prompt = clinical_interpretation_prompt(signal_type, classification, confidence)
        encoded = tokenizer(prompt, return_tensors="pt")
        with torch.no_grad():
            output = model.generate(
                **encoded,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                no_repeat_ngram_size=3,
                pad_token_id=tokenizer.eos_token_id,
            )
        text = tokenizer.decode(output[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True)
        samples.append(
            {
                "signal_type": signal_type,
                "classification": classification,
                "confidence": confidence,
                "interpretation": text.strip(),
            }
        )
    return samples


def loss_curve(log_history: list[dict], loss_before: float) -> list[dict]:
    """One row per logged step: training loss and learning rate, held-out loss where measured
    (step 0: before training, measured before the Trainer's log began)."""
    rows: dict[int, dict] = {}
    for entry in [{"step": 0, "eval_loss": loss_before}, *log_history]:
        row = rows.setdefault(
            entry["step"], {"step": entry["step"], "train_loss": None, "eval_loss": None, "learning_rate": None}
        )
        if "loss" in entry:
            row["train_loss"], row["learning_rate"] = entry["loss"], entry.get("learning_rate")
        if "eval_loss" in entry:
            row["eval_loss"] = entry["eval_loss"]
    return [rows[step] for step in sorted(rows)]


def write_loss_curve(output_dir: Path, rows: list[dict]) -> None:
    """``loss_curve.csv`` (the numbers) and ``loss_curve.png`` (the plot) in the output directory."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with (output_dir / "loss_curve.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["step", "train_loss", "eval_loss", "learning_rate"])
        writer.writeheader()
        writer.writerows(rows)
    figure, axis = plt.subplots(figsize=(7, 4))
    for key, label, style in (("train_loss", "training loss", "-"), ("eval_loss", "held-out loss", "o--")):
        points = [(r["step"], r[key]) for r in rows if r[key] is not None]
        if points:
            axis.plot(*zip(*points), style, label=label)
    axis.set_xlabel("optimizer step")
    axis.set_ylabel("loss (nats per token)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(output_dir / "loss_curve.png", dpi=100)
    plt.close(figure)


def _guard_row(name: str, figures: Optional[dict]) -> str:
    if figures is None:
        return f"| {name} | not measured | | | | | | | |"
    bands, rubric = figures["share_served_by_band"], figures["rubric"]
    return (
        f"| {name} | {figures['served']}/{figures['prompts']} ({figures['share_served']:.0%}) | "
        f"{bands['inconclusive']:.0%} | {bands['possible']:.0%} | {bands['likely']:.0%} | "
        f"{rubric['no_dose']:.0%} | {rubric['no_contradiction']:.0%} | {rubric['honest_band']:.0%} | "
        f"{rubric['median_reading_grade']:.1f} |"
    )


def write_model_card(output_dir: Path, metrics: dict, hyperparameters: dict) -> None:
    """README.md in the output directory: base model, corpus, hyperparameters, measured metrics."""
    corpus, before, after, train = metrics["corpus"], metrics["before"], metrics["after"], metrics["train"]
    lines = [
        "# Medical GPT-2",
        "",
        f"Base model: {metrics['base_model']}.",
        "",
        "Written by `finetune_gpt2.py` from the run itself; every figure below was measured in that run.",
        "Decision support for clinicians: its text explains a classifier's finding and is not a diagnosis.",
        "",
        "## Use",
        "",
        "```bash",
        f"export MEDICAL_GPT2_PATH={output_dir.resolve()}",
        "```",
        "",
    ]
    if metrics["lora"]:
        lora = metrics["lora"]
        lines += [
            f"Trained as a LoRA adapter (rank {lora['r']}, alpha {lora['alpha']}, on "
            f"{lora['target_modules']}): {lora['trainable_parameters']:,} of "
            f"{lora['total_parameters']:,} parameters ({lora['trainable_share']:.2%}). The "
            "weights here are merged; the adapter alone is in `adapter/`.",
            "",
        ]
    lines += [
        "## Corpus",
        "",
        f"- directory: `{corpus['data_dir']}`",
        f"- prompt/interpretation pairs: {corpus['pairs']}; text documents: {corpus['documents']}",
        f"- skipped malformed lines: {corpus['skipped_lines']}",
        f"- examples: {corpus['train_examples']} train, {corpus['eval_examples']} held out",
        f"- trained tokens per epoch: {corpus['train_target_tokens']}; held-out tokens: {corpus['eval_target_tokens']}",
        f"- data phase: {metrics['data']['seconds']:.2f} s"
        + (" (tokenised corpus loaded from the datasets cache)" if metrics["data"]["from_cache"] else ""),
        "",
        "| file | examples |",
        "|---|---|",
        *[f"| {name} | {n} |" for name, n in corpus["examples_per_file"].items()],
        "",
        "## Hyperparameters",
        "",
        "| name | value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in hyperparameters.items()],
        "",
        "## Held-out metrics",
        "",
        "| | loss | perplexity |",
        "|---|---|---|",
        f"| before training | {before['loss']:.4f} | {before['perplexity']:.2f} |",
        f"| after training | {after['loss']:.4f} | {after['perplexity']:.2f} |",
        "",
        f"Training: {train['steps']} optimizer steps in {train['runtime_s']:.0f} s "
        f"on {train['device']} ({train['precision']}, {train['world_size']} process(es)), "
        f"{train['tokens_per_s']:.0f} input tokens/s. Loss curve: `loss_curve.png`, `loss_curve.csv`.",
        "",
    ]
    guard_figures = metrics["guard"]
    if guard_figures["before"] or guard_figures["after"]:
        lines += [
            "## Would the service's guard serve its text?",
            "",
            f"One interpretation for each of the {len(kb.labels())} classes at confidence "
            "0.5, 0.7 and 0.9 (the knowledge base's bands), generated as the service generates "
            f"(sampling, {guard_figures['max_new_tokens']} new tokens, seeded), put to "
            "`explain.guard.problems`. Share the guard would serve (overall, then per band), "
            "and the answer evaluation's scores (`evaluation.scoring.score_interpretation`: "
            "share with no dose, no contradiction of the finding, honest about the band; median "
            "reading grade):",
            "",
            "| model | served | inconclusive | possible | likely | no dose | no contradiction "
            "| honest band | reading grade |",
            "|---|---|---|---|---|---|---|---|---|",
            _guard_row("before training", guard_figures["before"]),
            _guard_row("after training", guard_figures["after"]),
            "",
        ]
    if metrics["samples"]:
        lines += [
            "## Sample interpretations",
            "",
            "Greedy decoding (no_repeat_ngram_size=3) of the clinical-interpretation prompt.",
            "",
        ]
        for sample in metrics["samples"]:
            lines += [
                f"### {sample['signal_type']}: {sample['classification']} ({sample['confidence']:.0%})",
                "",
                "> " + sample["interpretation"].replace("\n", "\n> "),
                "",
            ]
    (output_dir / "README.md").write_text("\n".join(lines), encoding="utf-8")


def save_model(trainer: Trainer, output_dir: Path, use_lora: bool) -> None:
    """The model as ``MEDICAL_GPT2_PATH`` needs it; with LoRA the merged weights, adapter in adapter/."""
    if not use_lora:
        trainer.save_model(str(output_dir))  # weights (safetensors), config, tokenizer; main process only
        return
    trainer.save_model(str(output_dir / "adapter"))  # adapter_config.json, adapter_model.safetensors
    if trainer.is_world_process_zero():
        merged = trainer.model.merge_and_unload()
        merged.save_pretrained(str(output_dir))
        trainer.processing_class.save_pretrained(str(output_dir))


# --------------------------------------------------------------------------------------------- main
def run(model_args: ModelArguments, data_args: DataArguments, train_args: TrainArguments) -> dict:
    """All phases; returns the metrics written to ``metrics.json``."""
    guard_tokens = train_args.guard_eval_max_new_tokens
    low, high = GENERATION_BOUNDS["max_new_tokens"]
    if guard_tokens and not low <= guard_tokens <= high:
        raise FinetuneError(
            f"--guard_eval_max_new_tokens must be 0 (no evaluation) or lie between "
            f"{low} and {high}, the service's bounds; got {guard_tokens}"
        )
    precision = resolve_precision(train_args.precision)
    targs = training_arguments(train_args, precision)
    set_seed(train_args.seed)
    main_process = targs.process_index == 0

    # load
    data_dir = Path(data_args.data_dir)
    with targs.main_process_first(desc="writing the sample corpus"):
        ensure_corpus(data_dir)
    tokenizer = load_tokenizer(model_args.tokenizer_name or model_args.model_name)
    model = build_model(model_args, tokenizer)  # before tokenizing: an unloadable model fails fast

    # tokenize and group (the main process first, so that the others load its cache)
    with targs.main_process_first(desc="tokenising the corpus"):
        data = prepare_data(data_args, tokenizer, train_args.seed, train_args.max_steps)
    n_train = None if data_args.streaming else len(data.train)
    for warning in schedule_warnings(
        n_train,
        train_args.batch_size,
        targs.world_size,
        train_args.gradient_accumulation_steps,
        train_args.epochs,
        train_args.max_steps,
        train_args.warmup_steps,
    ):
        log.warning("%s", warning)

    guard_before = (
        served_share(model, tokenizer, guard_tokens, train_args.seed) if (guard_tokens and main_process) else None
    )
    if model_args.use_lora:
        model = add_lora(model, model_args)
    trainable, total = parameter_counts(model)
    log.info("trainable parameters: %d of %d (%.2f%%)", trainable, total, 100 * trainable / total)

    # train and evaluate
    trainer = Trainer(
        model=model,
        args=targs,
        train_dataset=data.train,
        eval_dataset=data.eval,
        data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=IGNORE_INDEX),
        processing_class=tokenizer,
    )
    before = trainer.evaluate()["eval_loss"]
    log.info("held-out loss before training %.4f (perplexity %.2f)", before, perplexity(before))
    resume = train_args.resume_from_checkpoint
    if resume == "last":
        resume = get_last_checkpoint(train_args.output_dir)
        if resume is None:
            raise FinetuneError(f"--resume_from_checkpoint last: no checkpoint in {train_args.output_dir}")
    result = trainer.train(resume_from_checkpoint=resume)
    after = trainer.evaluate()["eval_loss"]
    log.info("held-out loss after training %.4f (perplexity %.2f)", after, perplexity(after))

    # save
    output_dir = Path(train_args.output_dir)
    save_model(trainer, output_dir, model_args.use_lora)
    corpus = data.corpus
    runtime = result.metrics["train_runtime"]
    metrics = {
        "base_model": (
            f"none: GPT-2 architecture initialised from scratch ({model_args.n_layer} "
            f"layers, {model_args.n_head} heads, {model_args.n_embd} hidden)"
            if model_args.init_from_scratch
            else model_args.model_name
        ),
        "parameters": total,
        "trainable_parameters": trainable,
        "lora": (
            {
                "r": model_args.lora_r,
                "alpha": model_args.lora_alpha,
                "dropout": model_args.lora_dropout,
                "target_modules": model_args.lora_target_modules,
                "trainable_parameters": trainable,
                "total_parameters": total,
                "trainable_share": trainable / total,
            }
            if model_args.use_lora
            else None
        ),
        "data": {"seconds": data.seconds, "from_cache": data.from_cache, "streaming": data_args.streaming},
        "corpus": {
            "data_dir": str(data_dir),
            "pairs": None if corpus.streaming or corpus.pairs is None else len(corpus.pairs),
            "documents": (None if corpus.streaming or corpus.documents is None else len(corpus.documents)),
            "skipped_lines": corpus.skipped_lines,
            "examples_per_file": corpus.examples_per_file,
            "train_examples": n_train,
            "eval_examples": len(data.eval),
            "train_target_tokens": None if n_train is None else count_target_tokens(data.train),
            "eval_target_tokens": count_target_tokens(data.eval),
        },
        "before": {"loss": before, "perplexity": perplexity(before)},
        "after": {"loss": after, "perplexity": perplexity(after)},
        "train": {
            "loss": result.training_loss,
            "steps": result.global_step,
            "runtime_s": runtime,
            "input_tokens": trainer.state.num_input_tokens_seen,
            "tokens_per_s": trainer.state.num_input_tokens_seen / runtime if runtime else 0.0,
            "precision": precision,
            "device": str(targs.device),
            "world_size": targs.world_size,
        },
        "guard": {"max_new_tokens": guard_tokens, "before": guard_before, "after": None},
        "samples": [],
    }
    if trainer.is_world_process_zero():
        served_model, served_tokenizer = load_model_and_tokenizer(str(output_dir))  # as the service does
        metrics["samples"] = generate_samples(served_model, served_tokenizer, train_args.sample_max_new_tokens)
        if guard_tokens:
            metrics["guard"]["after"] = served_share(served_model, served_tokenizer, guard_tokens, train_args.seed)
        write_loss_curve(output_dir, loss_curve(trainer.state.log_history, before))
        hyperparameters = {
            **{k: v for k, v in asdict(data_args).items() if k != "data_dir"},
            **{k: v for k, v in asdict(train_args).items() if k != "output_dir"},
        }
        if model_args.init_from_scratch:
            hyperparameters.update(
                n_layer=model_args.n_layer,
                n_head=model_args.n_head,
                n_embd=model_args.n_embd,
                n_positions=model_args.n_positions,
            )
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        write_model_card(output_dir, metrics, hyperparameters)
        log.info("saved the model, tokenizer, README.md and metrics.json to %s", output_dir)
    # Under torchrun the other ranks wait here for rank 0's samples and card, then every rank closes the
    # process group: a rank that exits with gloo's threads still running aborts (SIGABRT) and fails the run.
    trainer.accelerator.wait_for_everyone()
    trainer.accelerator.state.destroy_process_group()
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = HfArgumentParser((ModelArguments, DataArguments, TrainArguments), description=__doc__.split("\n\n")[0])
    model_args, data_args, train_args = parser.parse_args_into_dataclasses(args=argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    try:
        run(model_args, data_args, train_args)
    except FinetuneError as exc:
        log.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
