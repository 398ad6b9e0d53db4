"""finetune_gpt2.py and scripts/build_corpus.py: the datasets pipeline, LoRA, logs, and real (tiny) runs.

The end-to-end runs train a 2-layer GPT-2 from scratch on the bundled sample corpus: in one process,
as a LoRA adapter with TensorBoard logging, and under torchrun with 2 CPU processes (gloo); each takes
well under two minutes here.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import json
import logging
import lzma
import os
import shutil
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest
import torch
from datasets import Dataset, IterableDataset

import finetune_gpt2 as ft
from gpt2_tokenizer import load_tokenizer
from prompts import clinical_interpretation_prompt
from scripts import build_corpus

ROOT = Path(__file__).resolve().parent.parent
TINY_RUN = [
    "--init_from_scratch",
    "--n_layer",
    "2",
    "--n_head",
    "2",
    "--n_embd",
    "64",
    "--max_length",
    "128",
    "--batch_size",
    "4",
    "--gradient_accumulation_steps",
    "1",
    "--learning_rate",
    "1e-3",
    "--warmup_steps",
    "3",
    "--logging_steps",
    "10",
    "--sample_max_new_tokens",
    "8",
    "--validation_split_percentage",
    "10",
    "--guard_eval_max_new_tokens",
    "16",
]


def run_cli(args: list[str], launcher: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    command = (launcher or [sys.executable]) + [str(ROOT / "finetune_gpt2.py"), *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture
def options(tmp_path_factory) -> ft.DataOptions:
    """datasets' cache in a directory of its own, never the user's."""
    return ft.DataOptions(cache_dir=str(tmp_path_factory.mktemp("datasets-cache")))


def pairs_of(corpus: ft.Corpus) -> list[tuple[str, str]]:
    return list(zip(corpus.pairs["prompt"], corpus.pairs["answer"]))


def write_jsonl(path: Path, records: list) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


# ---------------------------------------------------------------------------------- corpus reading
def test_jsonl_lines_become_the_inference_prompt_followed_by_the_interpretation(tmp_path, options):
    write_jsonl(
        tmp_path / "ecg_interpretations.jsonl",
        [{"classification": "Atrial Fibrillation", "confidence": "92%", "interpretation": "Irregular."}],
    )
    write_jsonl(
        tmp_path / "eeg_reports.jsonl",
        [{"classification": "Seizure Activity", "confidence": 0.8, "interpretation": "Rhythmic."}],
    )
    write_jsonl(
        tmp_path / "reports.jsonl",
        [{"classification": "Normal EEG", "confidence": 0.9, "interpretation": "Calm.", "signal_type": "eeg"}],
    )

    corpus = ft.load_corpus(tmp_path, options)

    assert sorted(pairs_of(corpus)) == sorted(
        [
            (clinical_interpretation_prompt("ECG", "Atrial Fibrillation", 0.92), "Irregular."),
            (clinical_interpretation_prompt("EEG", "Seizure Activity", 0.8), "Rhythmic."),
            (clinical_interpretation_prompt("EEG", "Normal EEG", 0.9), "Calm."),
        ]
    )
    assert corpus.skipped_lines == 0


def test_text_files_split_into_documents_on_blank_lines(tmp_path, options):
    (tmp_path / "clinical_guidelines.txt").write_text("First section\nstill first.\n\nSecond.\n\n\n\nThird.\n")
    documents = list(ft.load_corpus(tmp_path, options).documents["text"])
    assert documents == ["First section\nstill first.", "Second.", "Third."]


def test_malformed_lines_are_reported_by_file_and_line_and_counted(tmp_path, caplog, options):
    good = {"classification": "Normal Sinus Rhythm", "confidence": "95%", "interpretation": "Regular."}
    write_jsonl(
        tmp_path / "ecg_interpretations.jsonl",
        [
            good,
            "{not json",
            {"classification": "Atrial Fibrillation"},
            [1, 2],
            {**good, "confidence": "high"},
            {**good, "interpretation": "  "},
            good,
        ],
    )
    # neither an ecg_/eeg_ name, nor a signal_type field, nor a class the knowledge base knows
    write_jsonl(tmp_path / "notes.jsonl", [{**good, "classification": "Wandering atrial pacemaker"}])

    with caplog.at_level(logging.WARNING, logger="finetune_gpt2"):
        corpus = ft.load_corpus(tmp_path, options)

    assert len(corpus.pairs) == 2 and corpus.skipped_lines == 6
    path = tmp_path / "ecg_interpretations.jsonl"
    for line, reason in [
        (2, "not valid JSON"),
        (3, "missing confidence, interpretation"),
        (4, "not a JSON object"),
        (5, "confidence"),
        (6, "empty"),
    ]:
        assert any(f"{path}:{line}: skipped" in m and reason in m for m in caplog.messages), line
    assert any(f"{tmp_path / 'notes.jsonl'}:1:" in m and "signal type" in m for m in caplog.messages)
    assert any("skipped 6 malformed line(s)" in m for m in caplog.messages)
    assert not any("Regular." in m for m in caplog.messages)  # corpus text stays out of the log


def test_lines_in_the_spec_format_take_their_signal_type_from_the_class_in_any_file(tmp_path, options):
    write_jsonl(
        tmp_path / "interpretations.jsonl",
        [
            {"classification": "Atrial Fibrillation", "confidence": "92%", "interpretation": "Irregular."},
            {"classification": "Seizure Activity", "confidence": 0.9, "interpretation": "Rhythmic."},
            {"classification": "Normal EEG", "confidence": "88%", "interpretation": "Calm.", "signal_type": "eeg"},
        ],
    )

    prompts = list(ft.load_corpus(tmp_path, options).pairs["prompt"])

    assert "Signal Type: ECG" in prompts[0]
    assert "Signal Type: EEG" in prompts[1]  # from the knowledge base's entry for the class
    assert "Signal Type: EEG" in prompts[2]  # from the line's own field


def test_an_empty_corpus_is_a_clear_error(tmp_path, options):
    (tmp_path / "clinical_guidelines.txt").write_text("\n\n\n")
    with pytest.raises(ft.FinetuneError, match="no training text"):
        ft.load_corpus(tmp_path, options)


def test_a_missing_data_dir_receives_the_bundled_sample_corpus(tmp_path):
    target = tmp_path / "nonexistent_dir"
    ft.ensure_corpus(target)
    assert sorted(p.name for p in target.iterdir()) == [
        "clinical_guidelines.txt",
        "ecg_interpretations.jsonl",
        "eeg_reports.jsonl",
        "patient_education.txt",
    ]


# --------------------------------------------------------------------------------- sample corpus
def test_bundled_interpretations_cover_the_classes_and_the_three_parts_honestly(options):
    corpus = ft.load_corpus(ft.SAMPLE_CORPUS, options)
    records = [
        json.loads(line)
        for name in ("ecg_interpretations.jsonl", "eeg_reports.jsonl")
        for line in (ft.SAMPLE_CORPUS / name).read_text().splitlines()
    ]

    assert corpus.skipped_lines == 0 and len(corpus.pairs) == len(records) >= 80
    assert {r["classification"] for r in records} == {
        "Normal Sinus Rhythm",
        "Atrial Fibrillation",
        "Other Rhythm",
        "Noisy Recording",
        "Normal EEG",
        "Interictal Epileptiform Activity",
        "Seizure Activity",
        "Premature Ventricular Contractions",
        "Premature Atrial Contractions",
    }
    for r in records:
        text = r["interpretation"]
        assert "1. Explanation" in text and "2. Clinical significance" in text
        assert "3. Recommended follow-up" in text and "not a diagnosis" in text
        if float(r["confidence"].rstrip("%")) < 60 or r["classification"] == "Noisy Recording":
            assert "inconclusive" in text, r
    assert len(corpus.documents) >= 60


# ----------------------------------------------------------------------------- tokenize and group
def test_loss_covers_the_interpretation_only_unless_the_prompt_is_asked_for():
    tokenizer = load_tokenizer()
    prompt = clinical_interpretation_prompt("ECG", "Atrial Fibrillation", 0.92)
    n_prompt = len(tokenizer(prompt)["input_ids"])

    batch = {"prompt": [prompt], "answer": ["Irregular rhythm."]}
    answer_only = {k: v[0] for k, v in ft.tokenize_pairs(batch, tokenizer, 512, False).items()}
    with_prompt = {k: v[0] for k, v in ft.tokenize_pairs(batch, tokenizer, 512, True).items()}

    assert answer_only["input_ids"] == with_prompt["input_ids"]
    assert answer_only["input_ids"][-1] == tokenizer.eos_token_id
    assert answer_only["labels"][:n_prompt] == [ft.IGNORE_INDEX] * n_prompt
    assert answer_only["labels"][n_prompt:] == answer_only["input_ids"][n_prompt:]
    assert tokenizer.decode(answer_only["input_ids"][n_prompt:-1]) == " Irregular rhythm."
    assert with_prompt["labels"] == with_prompt["input_ids"]


def test_pairs_whose_prompt_fills_max_length_are_dropped():
    tokenizer = load_tokenizer()
    prompt = clinical_interpretation_prompt("EEG", "Normal EEG", 0.9)
    assert ft.tokenize_pairs({"prompt": [prompt], "answer": ["Calm."]}, tokenizer, 16, False) == {
        "input_ids": [],
        "attention_mask": [],
        "labels": [],
    }


def test_documents_are_packed_into_blocks_of_max_length():
    tokenizer = load_tokenizer()
    documents = ["The sinus node starts each heartbeat."] * 20
    blocks = ft.group_texts(ft.tokenize_documents({"text": documents}, tokenizer), 32)
    stream = [t for block in blocks["input_ids"] for t in block]

    assert all(len(b) == 32 for b in blocks["input_ids"][:-1]) and 0 < len(blocks["input_ids"][-1]) <= 32
    assert stream.count(tokenizer.eos_token_id) == 20
    assert blocks["labels"] == blocks["input_ids"]


def test_the_validation_split_is_seeded_and_never_empty():
    examples = Dataset.from_dict({"i": list(range(40))})
    train, held_out = ft.split_examples(examples, 5.0, seed=7)
    assert len(held_out) == 2 and len(train) == 38
    assert sorted([*train["i"], *held_out["i"]]) == list(range(40))
    again = ft.split_examples(examples, 5.0, seed=7)
    assert (list(again[0]["i"]), list(again[1]["i"])) == (list(train["i"]), list(held_out["i"]))
    assert len(ft.split_examples(examples.select(range(3)), 1.0, seed=7)[1]) == 1


def test_a_second_data_phase_on_the_same_corpus_loads_the_tokenised_corpus_from_the_cache(tmp_path):
    tokenizer = load_tokenizer()
    args = ft.DataArguments(data_dir=str(ft.SAMPLE_CORPUS), cache_dir=str(tmp_path / "cache"), max_length=128)

    first = ft.prepare_data(args, tokenizer, seed=42, max_steps=-1)
    second = ft.prepare_data(args, tokenizer, seed=42, max_steps=-1)
    other_length = ft.prepare_data(
        ft.DataArguments(data_dir=args.data_dir, cache_dir=args.cache_dir, max_length=64),
        tokenizer,
        seed=42,
        max_steps=-1,
    )

    assert (first.from_cache, second.from_cache, other_length.from_cache) == (False, True, False)
    assert list(second.train["input_ids"]) == list(first.train["input_ids"])
    assert list(second.eval["labels"]) == list(first.eval["labels"])
    assert max(len(ids) for ids in other_length.train["input_ids"]) == 64


def test_the_cache_key_is_the_tokenizer_definition_and_the_settings():
    tokenizer = load_tokenizer()
    changed = load_tokenizer()
    assert ft.tokenizer_fingerprint(tokenizer) == ft.tokenizer_fingerprint(changed)
    changed = copy.deepcopy(tokenizer)
    changed.add_tokens(["<ecg>"])
    assert ft.tokenizer_fingerprint(changed) != ft.tokenizer_fingerprint(tokenizer)


def test_a_streamed_corpus_holds_out_its_first_examples_and_counts_malformed_lines_as_read(tmp_path, caplog):
    shutil.copytree(ft.SAMPLE_CORPUS, tmp_path / "corpus")
    with (tmp_path / "corpus" / "ecg_interpretations.jsonl").open("a") as handle:
        handle.write("{not json\n")
    args = ft.DataArguments(
        data_dir=str(tmp_path / "corpus"),
        cache_dir=str(tmp_path / "cache"),
        max_length=128,
        streaming=True,
        max_eval_samples=8,
    )
    with pytest.raises(ft.FinetuneError, match="--streaming needs --max_steps"):
        ft.prepare_data(args, load_tokenizer(), seed=42, max_steps=-1)

    with caplog.at_level(logging.WARNING, logger="finetune_gpt2"):
        data = ft.prepare_data(args, load_tokenizer(), seed=42, max_steps=10)
        streamed = list(data.train)
    streaming_log = list(caplog.messages)

    in_memory = ft.prepare_data(dataclasses.replace(args, streaming=False), load_tokenizer(), 42, -1)
    assert isinstance(data.train, IterableDataset) and len(data.eval) == 8
    assert len(streamed) + len(data.eval) == len(in_memory.train) + len(in_memory.eval)
    assert data.corpus.skipped_lines == in_memory.corpus.skipped_lines == 1
    assert sum("ecg_interpretations.jsonl:41: skipped malformed line" in m for m in streaming_log) == 1


@pytest.mark.parametrize(
    "examples, accumulation, epochs, max_steps, warmup, expected",
    [
        (1800, 4, 3, -1, 500, ["--warmup_steps 500 is not shorter than the run (339 optimizer steps)"]),
        (1800, 4, 3, -1, 100, []),
        (10, 4, 3, -1, 0, ["an epoch is 3 batch(es), shorter than one optimizer step"]),
        (None, 4, 3, 20, 50, ["--warmup_steps 50 is not shorter than the run (20 optimizer steps)"]),
    ],
)
def test_a_schedule_that_cannot_work_is_named_before_training(
    examples, accumulation, epochs, max_steps, warmup, expected
):
    warnings = ft.schedule_warnings(
        examples,
        batch_size=4,
        world_size=1,
        accumulation=accumulation,
        epochs=epochs,
        max_steps=max_steps,
        warmup_steps=warmup,
    )
    assert len(warnings) == len(expected)
    assert all(w.startswith(e) for w, e in zip(warnings, expected))


def test_a_guard_evaluation_length_outside_the_service_bounds_is_refused_before_any_work(tmp_path):
    with pytest.raises(ft.FinetuneError, match="--guard_eval_max_new_tokens must be 0"):
        ft.run(
            ft.ModelArguments(),
            ft.DataArguments(data_dir=str(tmp_path / "corpus")),
            ft.TrainArguments(output_dir=str(tmp_path / "out"), guard_eval_max_new_tokens=8),
        )
    assert not (tmp_path / "corpus").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU fallback needs a machine without CUDA")
@pytest.mark.parametrize("requested", ["auto", "fp16", "bf16", "fp32"])
def test_precision_falls_back_to_fp32_on_cpu(requested, caplog):
    with caplog.at_level(logging.INFO, logger="finetune_gpt2"):
        assert ft.resolve_precision(requested) == "fp32"
    assert any("training in fp32 on CPU" in m for m in caplog.messages)


# ------------------------------------------------------------------------------------ real runs
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 2-layer model trained from scratch for 30 steps on the sample corpus written to a new dir."""
    work = tmp_path_factory.mktemp("tiny")
    out = work / "model"
    result = run_cli(
        [
            "--data_dir",
            str(work / "nonexistent_dir"),
            "--output_dir",
            str(out),
            "--cache_dir",
            str(work / "cache"),
            "--max_steps",
            "30",
            *TINY_RUN,
        ]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_a_tiny_run_lowers_held_out_perplexity_and_writes_its_card(tiny_run):
    out, result = tiny_run
    metrics = json.loads((out / "metrics.json").read_text())

    assert metrics["after"]["perplexity"] < metrics["before"]["perplexity"]
    train = metrics["train"]
    assert (train["steps"], train["precision"], train["device"], train["world_size"]) == (30, "fp32", "cpu", 1)
    assert metrics["corpus"]["pairs"] == 80 and metrics["corpus"]["skipped_lines"] == 0
    assert "wrote the bundled sample corpus" in result.stderr
    assert "training in fp32 on CPU" in result.stderr
    card = (out / "README.md").read_text()
    assert f"{metrics['after']['perplexity']:.2f}" in card and "| max_steps | 30 |" in card
    assert [s["classification"] for s in metrics["samples"]] == [
        "Atrial Fibrillation",
        "Normal Sinus Rhythm",
        "Seizure Activity",
    ]
    assert train["input_tokens"] > 0 and train["tokens_per_s"] > 0
    assert metrics["data"]["from_cache"] is False and metrics["trainable_parameters"] == metrics["parameters"]


def test_a_run_writes_its_loss_curve_as_numbers_and_a_plot(tiny_run):
    out, result = tiny_run
    rows = list(csv.DictReader((out / "loss_curve.csv").open()))
    metrics = json.loads((out / "metrics.json").read_text())

    assert [int(r["step"]) for r in rows] == [0, 10, 20, 30]
    assert float(rows[0]["eval_loss"]) == pytest.approx(metrics["before"]["loss"])
    assert float(rows[-1]["eval_loss"]) == pytest.approx(metrics["after"]["loss"])
    assert all(r["train_loss"] for r in rows[1:])
    assert (out / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "it/s]" in result.stderr or "s/it]" in result.stderr  # tqdm's progress bar


def test_the_guard_judges_the_base_and_the_trained_model_on_every_class_and_band(tiny_run):
    out, _ = tiny_run
    metrics = json.loads((out / "metrics.json").read_text())
    card = (out / "README.md").read_text()

    for when in ("before", "after"):
        figures = metrics["guard"][when]
        assert figures["prompts"] == 27 == 9 * 3 and figures["max_new_tokens"] == 16
        assert set(figures["share_served_by_band"]) == {"inconclusive", "possible", "likely"}
        assert figures["share_served"] == figures["served"] / 27
        # every text the guard refused has at least one reason
        assert sum(figures["refusal_reasons"].values()) >= 27 - figures["served"]
        assert {"no_dose", "no_contradiction", "honest_band", "median_reading_grade"} == set(figures["rubric"])
        assert all(0 <= figures["rubric"][check] <= 1 for check in ("no_dose", "no_contradiction", "honest_band"))
    assert "## Would the service's guard serve its text?" in card
    assert f"| before training | {metrics['guard']['before']['served']}/27" in card


def test_the_output_directory_loads_as_a_gpt2_model_with_its_tokenizer(tiny_run):
    from transformers import AutoTokenizer, GPT2LMHeadModel

    out, _ = tiny_run
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= {
        p.name for p in out.iterdir()
    }
    model = GPT2LMHeadModel.from_pretrained(out)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert model.config.n_layer == 2 and len(tokenizer) == model.config.vocab_size == 50257
    assert tokenizer("Hello world")["input_ids"] == [15496, 995]


def test_the_service_serves_the_output_directory_as_its_fine_tuned_model(tiny_run, make_app, monkeypatch, capsys):
    out, _ = tiny_run
    monkeypatch.setenv("MEDICAL_GPT2_PATH", str(out))
    client = make_app().test_client()
    assert f"✓ Fine-tuned medical GPT-2 model configured: {out}" in capsys.readouterr().out
    health = client.get("/health").get_json()
    assert health["generator"] == "fine-tuned GPT-2" and health["language_model_path"] == str(out)
    answer = client.post(
        "/ask",
        json={
            "prompt": "What does this mean?",
            "classification": {"prediction": "Atrial Fibrillation", "confidence": 0.92},
        },
    ).get_json()
    assert answer["generator"] in {"fine-tuned GPT-2", "knowledge base"}  # the guard decides


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory):
    """The tiny run as a LoRA adapter, with the spec's --warmup_steps 500 and TensorBoard logging."""
    work = tmp_path_factory.mktemp("lora")
    out = work / "model"
    tiny = [a for a in TINY_RUN]
    tiny[tiny.index("--warmup_steps") + 1] = "500"
    result = run_cli(
        [
            "--data_dir",
            str(ft.SAMPLE_CORPUS),
            "--output_dir",
            str(out),
            "--cache_dir",
            str(work / "cache"),
            "--max_steps",
            "4",
            "--use_lora",
            "--report_to",
            "tensorboard",
            *tiny,
        ]
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_a_lora_run_trains_under_two_percent_of_the_parameters(lora_run):
    out, result = lora_run
    metrics = json.loads((out / "metrics.json").read_text())
    lora = metrics["lora"]

    assert lora["trainable_share"] < 0.02 and lora["trainable_parameters"] == metrics["trainable_parameters"]
    assert (lora["r"], lora["alpha"], lora["target_modules"]) == (8, 16, "c_attn")
    assert f"trainable parameters: {lora['trainable_parameters']} of {lora['total_parameters']}" in result.stderr
    assert "Trained as a LoRA adapter (rank 8" in (out / "README.md").read_text()


def test_a_lora_run_saves_merged_weights_with_the_adapter_beside_them(lora_run):
    from peft import PeftModel
    from transformers import GPT2LMHeadModel

    out, _ = lora_run
    assert not (out / "adapter_config.json").exists()  # the top level is a plain GPT-2 directory
    assert {"adapter_config.json", "adapter_model.safetensors"} <= {p.name for p in (out / "adapter").iterdir()}
    merged = GPT2LMHeadModel.from_pretrained(out).eval()
    assert not any("lora" in name for name, _ in merged.named_parameters())
    adapter = PeftModel.from_pretrained(GPT2LMHeadModel.from_pretrained(out), out / "adapter")
    layer = adapter.base_model.model.transformer.h[0].attn.c_attn
    assert layer.lora_A["default"].weight.shape[0] == 8
    assert layer.lora_B["default"].weight.abs().max() > 0  # trained: LoRA's B starts at zero


def test_the_spec_warmup_on_a_short_run_is_warned_about_before_training(lora_run):
    _, result = lora_run
    warning = result.stderr.index("--warmup_steps 500 is not shorter than the run (4 optimizer steps)")
    assert warning < result.stderr.index("held-out loss before training")


def test_report_to_tensorboard_writes_event_files_offline(lora_run):
    out, _ = lora_run
    assert list((out / "runs").glob("*/events.out.tfevents.*"))


def test_the_service_serves_a_merged_lora_output_directory(lora_run, make_app, monkeypatch, capsys):
    out, _ = lora_run
    monkeypatch.setenv("MEDICAL_GPT2_PATH", str(out))
    client = make_app().test_client()
    assert f"✓ Fine-tuned medical GPT-2 model configured: {out}" in capsys.readouterr().out
    assert client.get("/health").get_json()["generator"] == "fine-tuned GPT-2"


def test_an_unloadable_model_exits_non_zero_naming_the_alternatives(tmp_path):
    result = run_cli(
        ["--data_dir", str(ft.SAMPLE_CORPUS), "--output_dir", str(tmp_path / "out"), "--model_name", "gpt2"]
    )
    assert result.returncode == 1
    assert "cannot load the model 'gpt2'" in result.stderr
    assert "--model_name /path/to/gpt2" in result.stderr and "--init_from_scratch" in result.stderr
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_the_same_run_under_torchrun_with_two_processes_saves_once(tmp_path):
    out = tmp_path / "model"
    result = run_cli(
        [
            "--data_dir",
            str(ft.SAMPLE_CORPUS),
            "--output_dir",
            str(out),
            "--cache_dir",
            str(tmp_path / "cache"),
            "--max_steps",
            "4",
            *TINY_RUN,
        ],
        launcher=[sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train"]["world_size"] == 2 and metrics["train"]["steps"] == 4
    assert result.stderr.count("saved the model, tokenizer, README.md and metrics.json") == 1
    assert (out / "model.safetensors").exists()


# ---------------------------------------------------------------------------------- corpus builder
def test_build_corpus_turns_real_public_text_into_the_spec_layout(dataset, tmp_path, options):
    """The builder on the first rows of each real archive: English reports only, attribution, sizes."""
    source, sample = dataset("corpus"), tmp_path / "archives"
    sample.mkdir()
    for archive in source.glob("*.jsonl.xz"):
        with lzma.open(archive, "rt") as src, lzma.open(sample / archive.name, "wt") as dst:
            dst.writelines(islice(src, 300))
    out = tmp_path / "corpus"

    sizes = build_corpus.build(sample, out)

    reports = [json.loads(line) for line in islice(lzma.open(sample / "ptbxl_reports.jsonl.xz", "rt"), 300)]
    english = {r["ecg_id"] for r in reports if r["lang_guess"] == "en"}
    built = [json.loads(line) for line in (out / "ecg_interpretations.jsonl").read_text().splitlines()]
    from_ptbxl = [r for r in built if r.get("source") == "PTB-XL"]
    assert 0 < len(from_ptbxl) <= len(english) and {r["ecg_id"] for r in from_ptbxl} <= english
    assert all(r["interpretation"].startswith("Cardiologist's report: ") for r in from_ptbxl)

    corpus = ft.load_corpus(out, options)  # the fine-tuning script reads all of it without complaint
    assert corpus.skipped_lines == 0
    assert sizes["patient_education.txt"]["documents"] == 300 + 30  # MedQuAD rows + bundled notes
    assert any(d.startswith("Question: ") and "\nAnswer: " in d for d in corpus.documents["text"])
    assert all(s["tokens"] > s["documents"] for s in sizes.values())
    attribution = (out / "ATTRIBUTION").read_text()
    assert attribution.count("CC BY 4.0") == 3 and "MIT licence" in attribution
    assert f"patient_education.txt: 330 documents, {sizes['patient_education.txt']['tokens']} tokens" in attribution
