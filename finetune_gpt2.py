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
sample corpus (``medical_corpus/``). The output directory is ready for ``MEDICAL_GPT2_PATH``.
"""
from __future__ import annotations

import json
import logging
import math
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import torch
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
from gpt2_tokenizer import load_tokenizer  # noqa: E402
from prompts import clinical_interpretation_prompt  # noqa: E402

log = logging.getLogger("finetune_gpt2")

SAMPLE_CORPUS = Path(__file__).resolve().parent / "medical_corpus"
IGNORE_INDEX = -100  # label value the loss skips
JSONL_FIELDS = ("classification", "confidence", "interpretation")
SIGNAL_TYPE_BY_PREFIX = {"ecg_": "ECG", "eeg_": "EEG"}
# Findings the model card shows generations for: (signal type, classification, confidence).
SAMPLE_FINDINGS = (("ECG", "Atrial Fibrillation", 0.92), ("ECG", "Normal Sinus Rhythm", 0.95),
                   ("EEG", "Seizure Activity", 0.90))


class FinetuneError(Exception):
    """A problem the user can fix (bad corpus, unloadable model); reported without a traceback."""


# --------------------------------------------------------------------------------------- arguments
@dataclass
class ModelArguments:
    model_name: str = field(default="gpt2", metadata={
        "help": "Base model: a hub name (gpt2, gpt2-medium, gpt2-large) or a local directory."})
    tokenizer_name: Optional[str] = field(default=None, metadata={
        "help": "Tokenizer name or directory (default: --model_name; the bundled GPT-2 tokenizer "
                "when neither can be loaded)."})
    init_from_scratch: bool = field(default=False, metadata={
        "help": "Build a new GPT-2-architecture model from GPT2Config instead of loading weights."})
    n_layer: int = field(default=12, metadata={"help": "Layers (with --init_from_scratch)."})
    n_head: int = field(default=12, metadata={"help": "Attention heads (with --init_from_scratch)."})
    n_embd: int = field(default=768, metadata={"help": "Hidden size (with --init_from_scratch)."})
    n_positions: int = field(default=1024, metadata={
        "help": "Longest sequence the new model accepts (with --init_from_scratch); positions past "
                "--max_length are never trained."})


@dataclass
class DataArguments:
    data_dir: str = field(default="./medical_corpus", metadata={
        "help": "Corpus directory (*.jsonl, *.txt); created with the bundled sample if missing."})
    max_length: int = field(default=512, metadata={"help": "Maximum sequence length in tokens."})
    validation_split_percentage: float = field(default=5.0, metadata={
        "help": "Share of the examples held out to measure loss and perplexity."})
    train_on_prompt: bool = field(default=False, metadata={
        "help": "Also train on the prompt of prompt/interpretation pairs (default: answer only)."})
    max_train_samples: Optional[int] = field(default=None, metadata={
        "help": "Use at most this many training examples (quick runs)."})
    max_eval_samples: Optional[int] = field(default=None, metadata={
        "help": "Evaluate on at most this many held-out examples (quick runs)."})


@dataclass
class TrainArguments:
    output_dir: str = field(default="./medical-gpt2", metadata={
        "help": "Where the model, tokenizer, model card and metrics.json go."})
    epochs: float = field(default=3.0, metadata={"help": "Number of training epochs."})
    batch_size: int = field(default=4, metadata={"help": "Per-device batch size."})
    learning_rate: float = field(default=5e-5, metadata={"help": "Peak learning rate."})
    gradient_accumulation_steps: int = field(default=4, metadata={
        "help": "Batches accumulated per optimizer step."})
    warmup_steps: int = field(default=500, metadata={"help": "Linear learning-rate warmup steps."})
    max_steps: int = field(default=-1, metadata={
        "help": "Stop after this many optimizer steps (overrides --epochs when > 0)."})
    weight_decay: float = field(default=0.0, metadata={"help": "AdamW weight decay."})
    seed: int = field(default=42, metadata={"help": "Seed for the split, initialisation and order."})
    logging_steps: int = field(default=50, metadata={"help": "Log the training loss every N steps."})
    save_steps: int = field(default=500, metadata={"help": "Write a checkpoint every N steps."})
    save_total_limit: int = field(default=2, metadata={"help": "Checkpoints kept in output_dir."})
    resume_from_checkpoint: Optional[str] = field(default=None, metadata={
        "help": "Checkpoint directory to resume from, or 'last' for the newest one in output_dir."})
    precision: str = field(default="auto", metadata={
        "choices": ["auto", "fp32", "fp16", "bf16"],
        "help": "auto: bf16 on GPUs that support it, else fp16 on CUDA, fp32 on CPU. A half "
                "precision asked for without CUDA falls back to fp32 (logged)."})
    deepspeed: Optional[str] = field(default=None, metadata={
        "help": "DeepSpeed JSON config (needs the deepspeed package; see docs/finetuning.md)."})
    fsdp: str = field(default="", metadata={
        "help": "PyTorch FSDP options, e.g. 'full_shard auto_wrap' (multi-GPU launches only)."})
    fsdp_config: Optional[str] = field(default=None, metadata={"help": "FSDP JSON config file."})
    ddp_backend: Optional[str] = field(default=None, metadata={
        "help": "Distributed backend (nccl, gloo, ...); default: chosen by accelerate."})
    sample_max_new_tokens: int = field(default=80, metadata={
        "help": "Tokens generated for each sample interpretation in the model card (0: none)."})


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
    """What was read from the corpus directory: prompt/answer pairs and free-text documents."""
    pairs: list[tuple[str, str]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    examples_per_file: dict[str, int] = field(default_factory=dict)
    skipped_lines: int = 0


def ensure_corpus(data_dir: Path) -> None:
    """Write the bundled sample corpus to ``data_dir`` when that directory does not exist."""
    if data_dir.is_dir():
        return
    if data_dir.exists():
        raise FinetuneError(f"--data_dir {data_dir} exists but is not a directory")
    shutil.copytree(SAMPLE_CORPUS, data_dir)
    log.info("%s did not exist: wrote the bundled sample corpus there (%d files)", data_dir,
             sum(1 for _ in data_dir.iterdir()))


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
        raise ValueError("no signal type (name the file ecg_*/eeg_*, add a signal_type field, "
                         "or use a class the knowledge base knows)")
    try:
        prompt = clinical_interpretation_prompt(signal_type, str(record["classification"]).strip(),
                                                record["confidence"], record.get("clinical_context"))
    except (TypeError, ValueError):
        raise ValueError("confidence is not a fraction or percentage") from None
    return prompt, interpretation


def read_jsonl(path: Path, corpus: Corpus) -> None:
    """Add the file's pairs to ``corpus``; malformed lines are logged (file:line, reason) and counted."""
    count = 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                corpus.pairs.append(_pair_from_line(path, line))
                count += 1
            except ValueError as exc:  # the reason only: corpus text never goes into the log
                log.warning("%s:%d: skipped malformed line (%s)", path, number, exc)
                corpus.skipped_lines += 1
    corpus.examples_per_file[path.name] = count


def read_text(path: Path, corpus: Corpus) -> None:
    """Add the file's blank-line-separated sections to ``corpus`` as documents."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    sections = [section.strip() for section in text.split("\n\n") if section.strip()]
    corpus.documents.extend(sections)
    corpus.examples_per_file[path.name] = len(sections)


def load_corpus(data_dir: Path) -> Corpus:
    """Read every ``*.jsonl`` and ``*.txt`` file directly inside ``data_dir``."""
    corpus = Corpus()
    for path in sorted(data_dir.iterdir()):
        if path.suffix == ".jsonl":
            read_jsonl(path, corpus)
        elif path.suffix == ".txt":
            read_text(path, corpus)
    if corpus.skipped_lines:
        log.warning("skipped %d malformed line(s) in %s", corpus.skipped_lines, data_dir)
    if not corpus.pairs and not corpus.documents:
        raise FinetuneError(f"no training text in {data_dir}: expected *.jsonl lines with "
                            f"{', '.join(JSONL_FIELDS)} or *.txt sections separated by blank lines")
    log.info("corpus: %d prompt/interpretation pairs, %d text documents, from %d files",
             len(corpus.pairs), len(corpus.documents), len(corpus.examples_per_file))
    return corpus


# ------------------------------------------------------------------------------ tokenize and group
def encode_pairs(pairs: list[tuple[str, str]], tokenizer: PreTrainedTokenizerBase, max_length: int,
                 train_on_prompt: bool) -> list[dict]:
    """One example per pair: prompt + " " + answer + end-of-text, loss on the answer unless asked."""
    if not pairs:
        return []
    prompts = tokenizer([p for p, _ in pairs], verbose=False)["input_ids"]
    answers = tokenizer([" " + a for _, a in pairs], verbose=False)["input_ids"]
    examples, lost = [], 0
    for prompt_ids, answer_ids in zip(prompts, answers):
        answer_ids = answer_ids + [tokenizer.eos_token_id]
        input_ids = (prompt_ids + answer_ids)[:max_length]
        prompt_labels = prompt_ids if train_on_prompt else [IGNORE_INDEX] * len(prompt_ids)
        labels = (prompt_labels + answer_ids)[:max_length]
        if all(label == IGNORE_INDEX for label in labels):
            lost += 1
            continue
        examples.append({"input_ids": input_ids, "attention_mask": [1] * len(input_ids),
                         "labels": labels})
    if lost:
        log.warning("%d pair(s) dropped: the prompt alone fills --max_length %d", lost, max_length)
    return examples


def group_documents(documents: list[str], tokenizer: PreTrainedTokenizerBase,
                    block_size: int) -> list[dict]:
    """Documents joined by end-of-text and cut into blocks of ``block_size`` tokens (last may be short)."""
    if not documents:
        return []
    stream: list[int] = []
    for ids in tokenizer(documents, verbose=False)["input_ids"]:
        stream.extend(ids)
        stream.append(tokenizer.eos_token_id)
    blocks = [stream[start:start + block_size] for start in range(0, len(stream), block_size)]
    return [{"input_ids": b, "attention_mask": [1] * len(b), "labels": list(b)} for b in blocks]


def split_examples(examples: list[dict], percentage: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(train, held-out): a seeded shuffle, at least one example on each side."""
    if len(examples) < 2:
        raise FinetuneError("the corpus yields fewer than 2 examples: too little to train and evaluate")
    order = np.random.default_rng(seed).permutation(len(examples))
    n_eval = min(max(1, round(len(examples) * percentage / 100.0)), len(examples) - 1)
    return ([examples[i] for i in order[n_eval:]], [examples[i] for i in order[:n_eval]])


def count_target_tokens(examples: list[dict]) -> int:
    return sum(sum(1 for label in e["labels"] if label != IGNORE_INDEX) for e in examples)


# -------------------------------------------------------------------------------------------- model
def build_model(args: ModelArguments, tokenizer: PreTrainedTokenizerBase) -> PreTrainedModel:
    """A new GPT-2 from GPT2Config (``--init_from_scratch``) or the pretrained ``--model_name``."""
    if args.init_from_scratch:
        config = GPT2Config(vocab_size=len(tokenizer), n_positions=args.n_positions,
                            n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd,
                            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                            pad_token_id=tokenizer.pad_token_id)
        model = GPT2LMHeadModel(config)
        log.info("new GPT-2 model from scratch: %d layers, %d heads, %d hidden, %.1f M parameters",
                 args.n_layer, args.n_head, args.n_embd, model.num_parameters() / 1e6)
        return model
    try:
        model = AutoModelForCausalLM.from_pretrained(args.model_name)
    except (OSError, ValueError) as exc:
        raise FinetuneError(
            f"cannot load the model {args.model_name!r} ({type(exc).__name__}): no network access "
            "and no cached copy. Either pass a local directory that holds a saved model "
            "(--model_name /path/to/gpt2, with config.json and the weights), or build a "
            "GPT-2-architecture model from scratch with --init_from_scratch "
            "(size it with --n_layer, --n_head, --n_embd).") from None
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))
    model.config.pad_token_id = tokenizer.pad_token_id
    log.info("loaded %s: %.1f M parameters", args.model_name, model.num_parameters() / 1e6)
    return model


def training_arguments(args: TrainArguments, precision: str) -> TrainingArguments:
    return TrainingArguments(
        output_dir=args.output_dir, num_train_epochs=args.epochs, max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size, per_device_eval_batch_size=args.batch_size,
        learning_rate=args.learning_rate, gradient_accumulation_steps=args.gradient_accumulation_steps,
        warmup_steps=args.warmup_steps, weight_decay=args.weight_decay, seed=args.seed,
        logging_steps=args.logging_steps, save_steps=args.save_steps,
        save_total_limit=args.save_total_limit, fp16=precision == "fp16", bf16=precision == "bf16",
        deepspeed=args.deepspeed, fsdp=args.fsdp, fsdp_config=args.fsdp_config,
        ddp_backend=args.ddp_backend, report_to="none", remove_unused_columns=False,
        # use_cpu also makes a torchrun launch without CUDA a multi-process (gloo) run
        use_cpu=not torch.cuda.is_available(), dataloader_pin_memory=torch.cuda.is_available(),
        disable_tqdm=True)


def perplexity(loss: float) -> float:
    return math.exp(loss) if loss < 700 else math.inf


# ------------------------------------------------------------------------------------------- output
def generate_samples(model_dir: Path, max_new_tokens: int) -> list[dict]:
    """Greedy interpretations of SAMPLE_FINDINGS from the saved model, as the service would load it."""
    if max_new_tokens <= 0:
        return []
    tokenizer = load_tokenizer(str(model_dir))
    model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
    samples = []
    for signal_type, classification, confidence in SAMPLE_FINDINGS:
        prompt = clinical_interpretation_prompt(signal_type, classification, confidence)
        encoded = tokenizer(prompt, return_tensors="pt")
        with torch.no_grad():
            output = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False,
                                    no_repeat_ngram_size=3, pad_token_id=tokenizer.eos_token_id)
        text = tokenizer.decode(output[0, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
        samples.append({"signal_type": signal_type, "classification": classification,
                        "confidence": confidence, "interpretation": text.strip()})
    return samples


def write_model_card(output_dir: Path, metrics: dict, hyperparameters: dict) -> None:
    """README.md in the output directory: base model, corpus, hyperparameters, measured metrics."""
    corpus, before, after = metrics["corpus"], metrics["before"], metrics["after"]
    lines = [
        "# Medical GPT-2", "",
        f"Base model: {metrics['base_model']}.", "",
        "Written by `finetune_gpt2.py` from the run itself; every figure below was measured in that run.",
        "Decision support for clinicians: its text explains a classifier's finding and is not a diagnosis.",
        "", "## Use", "", "```bash", f"export MEDICAL_GPT2_PATH={output_dir.resolve()}", "```", "",
        "## Corpus", "",
        f"- directory: `{corpus['data_dir']}`",
        f"- prompt/interpretation pairs: {corpus['pairs']}; text documents: {corpus['documents']}",
        f"- skipped malformed lines: {corpus['skipped_lines']}",
        f"- examples: {corpus['train_examples']} train, {corpus['eval_examples']} held out",
        f"- trained tokens per epoch: {corpus['train_target_tokens']}; "
        f"held-out tokens: {corpus['eval_target_tokens']}",
        "", "| file | examples |", "|---|---|",
        *[f"| {name} | {n} |" for name, n in corpus["examples_per_file"].items()],
        "", "## Hyperparameters", "", "| name | value |", "|---|---|",
        *[f"| {name} | {value} |" for name, value in hyperparameters.items()],
        "", "## Held-out metrics", "", "| | loss | perplexity |", "|---|---|---|",
        f"| before training | {before['loss']:.4f} | {before['perplexity']:.2f} |",
        f"| after training | {after['loss']:.4f} | {after['perplexity']:.2f} |", "",
        f"Training: {metrics['train']['steps']} optimizer steps in {metrics['train']['runtime_s']:.0f} s "
        f"on {metrics['train']['device']} ({metrics['train']['precision']}, "
        f"{metrics['train']['world_size']} process(es)).", "",
    ]
    if metrics["samples"]:
        lines += ["## Sample interpretations", "",
                  "Greedy decoding (no_repeat_ngram_size=3) of the clinical-interpretation prompt.", ""]
        for sample in metrics["samples"]:
            lines += [f"### {sample['signal_type']}: {sample['classification']} "
                      f"({sample['confidence']:.0%})", "", "> " + sample["interpretation"].replace("\n", "\n> "), ""]
    (output_dir / "README.md").write_text("\n".join(lines), encoding="utf-8")


# --------------------------------------------------------------------------------------------- main
def run(model_args: ModelArguments, data_args: DataArguments, train_args: TrainArguments) -> dict:
    """All phases; returns the metrics written to ``metrics.json``."""
    precision = resolve_precision(train_args.precision)
    targs = training_arguments(train_args, precision)
    set_seed(train_args.seed)

    # load
    data_dir = Path(data_args.data_dir)
    with targs.main_process_first(desc="writing the sample corpus"):
        ensure_corpus(data_dir)
    corpus = load_corpus(data_dir)

    tokenizer = load_tokenizer(model_args.tokenizer_name or model_args.model_name)
    model = build_model(model_args, tokenizer)  # before tokenizing: an unloadable model fails fast

    # tokenize and group
    examples = (encode_pairs(corpus.pairs, tokenizer, data_args.max_length, data_args.train_on_prompt)
                + group_documents(corpus.documents, tokenizer, data_args.max_length))
    train_set, eval_set = split_examples(examples, data_args.validation_split_percentage,
                                         train_args.seed)
    train_set = train_set[:data_args.max_train_samples]
    eval_set = eval_set[:data_args.max_eval_samples]
    log.info("examples: %d train, %d held out", len(train_set), len(eval_set))

    # train and evaluate
    trainer = Trainer(model=model, args=targs, train_dataset=train_set, eval_dataset=eval_set,
                      data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=IGNORE_INDEX),
                      processing_class=tokenizer)
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
    trainer.save_model(str(output_dir))  # weights (safetensors), config, tokenizer; main process only
    metrics = {
        "base_model": (f"none: GPT-2 architecture initialised from scratch ({model_args.n_layer} "
                       f"layers, {model_args.n_head} heads, {model_args.n_embd} hidden)"
                       if model_args.init_from_scratch else model_args.model_name),
        "parameters": model.num_parameters(),
        "corpus": {"data_dir": str(data_dir), "pairs": len(corpus.pairs),
                   "documents": len(corpus.documents), "skipped_lines": corpus.skipped_lines,
                   "examples_per_file": corpus.examples_per_file,
                   "train_examples": len(train_set), "eval_examples": len(eval_set),
                   "train_target_tokens": count_target_tokens(train_set),
                   "eval_target_tokens": count_target_tokens(eval_set)},
        "before": {"loss": before, "perplexity": perplexity(before)},
        "after": {"loss": after, "perplexity": perplexity(after)},
        "train": {"loss": result.training_loss, "steps": result.global_step,
                  "runtime_s": result.metrics["train_runtime"], "precision": precision,
                  "device": str(targs.device), "world_size": targs.world_size},
        "samples": [],
    }
    if trainer.is_world_process_zero():
        metrics["samples"] = generate_samples(output_dir, train_args.sample_max_new_tokens)
        hyperparameters = {**{k: v for k, v in asdict(data_args).items() if k != "data_dir"},
                           **{k: v for k, v in asdict(train_args).items() if k != "output_dir"}}
        if model_args.init_from_scratch:
            hyperparameters.update(n_layer=model_args.n_layer, n_head=model_args.n_head,
                                   n_embd=model_args.n_embd, n_positions=model_args.n_positions)
        (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        write_model_card(output_dir, metrics, hyperparameters)
        log.info("saved the model, tokenizer, README.md and metrics.json to %s", output_dir)
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = HfArgumentParser((ModelArguments, DataArguments, TrainArguments),
                              description=__doc__.split("\n\n")[0])
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
