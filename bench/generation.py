"""GPT-2 generation speed through ``POST /ask`` against transformers' naive ``pipeline``, one run.

    OMP_NUM_THREADS=1 python -m bench.generation [--new-tokens 64] [--repeats 3]

The model is a GPT-2-architecture model of GPT-2 small's size (124M parameters, ``GPT2Config()``)
with random weights and the GPT-2 tokenizer, saved to a temporary directory and served as
``MEDICAL_GPT2_PATH``; random weights generate as fast as trained ones. Both sides sample with the
service's settings (temperature, top-p, repetition penalty) and exactly ``--new-tokens`` new tokens
(``min_new_tokens`` keeps an early end-of-text from shortening a run).

Tokens are counted where they are made: ``GenerationMixin.generate`` is wrapped for the run so that
every call adds its output length minus its prompt length to a counter; tokens/s is that count over
the wall-clock time of the whole call (the whole ``POST /ask`` request — prompt building, the guard,
which refuses random-weight text so the knowledge base answers, storing the record — or the whole
``pipeline`` call). Two phases, each timing the naive pipeline (fp32, as loaded) in turns with
``/ask``: as served (int8 on CPU by default), then with ``GEN_INT8=0`` (fp32), so the int8 share
of the gain is visible.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch
from transformers import GenerationMixin, GPT2Config, GPT2LMHeadModel, pipeline

import prompts
from api import create_app
from explain.settings import GenerationSettings
from gpt2_tokenizer import bundled_tokenizer

QUESTION = "What does this rhythm mean for my patient?"
CLASSIFICATION = {"prediction": "Normal Sinus Rhythm", "confidence": 0.95}


class TokenCounter:
    """Counts the new tokens of every ``generate`` call while installed."""

    def __init__(self) -> None:
        self.tokens = 0
        self._original = GenerationMixin.generate

    def __enter__(self) -> "TokenCounter":
        original, counter = self._original, self

        def counting_generate(model, *args, **kwargs):
            output = original(model, *args, **kwargs)
            prompt = kwargs.get("input_ids", args[0] if args else None)
            counter.tokens += output.shape[-1] - prompt.shape[-1]
            return output

        GenerationMixin.generate = counting_generate
        return self

    def __exit__(self, *_exc) -> None:
        GenerationMixin.generate = self._original


def tokens_per_second(counter: TokenCounter, calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best tokens/s of each call over ``repeats`` rounds, after one warm-up each. The calls take
    turns within every round, so a change in the machine's load falls on all of them alike."""
    best = dict.fromkeys(calls, 0.0)
    for call in calls.values():
        call()
    for _ in range(repeats):
        for name, call in calls.items():
            counter.tokens = 0
            start = time.perf_counter()
            call()
            best[name] = max(best[name], counter.tokens / (time.perf_counter() - start))
    return best


def ask_call(model_dir: Path, tmp: str, new_tokens: int, int8: bool) -> Callable[[], None]:
    """A ``POST /ask`` about a confident finding, so the language model is asked first."""
    app = create_app(
        {
            "database_url": f"sqlite:///{tmp}/bench-{int8}.db",
            "medical_gpt2_path": str(model_dir),
            "warm_up_models": False,
            "generation": {"max_new_tokens": new_tokens, "timeout_s": 120, "int8": int8},
        }
    )
    client = app.test_client()

    def ask() -> None:
        response = client.post("/ask", json={"prompt": QUESTION, "classification": CLASSIFICATION})
        assert response.status_code == 200, response.get_json()

    return ask


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    s = GenerationSettings()
    sampling = {
        "do_sample": True,
        "temperature": s.temperature,
        "top_p": s.top_p,
        "repetition_penalty": s.repetition_penalty,
        "max_new_tokens": args.new_tokens,
        "min_new_tokens": args.new_tokens,
    }

    with tempfile.TemporaryDirectory() as tmp, TokenCounter() as counter:
        model_dir = Path(tmp) / "gpt2-124m-random"
        torch.manual_seed(0)
        GPT2LMHeadModel(GPT2Config()).save_pretrained(model_dir)
        bundled_tokenizer().save_pretrained(model_dir)

        naive = pipeline("text-generation", model=str(model_dir), tokenizer=str(model_dir), device="cpu")
        prompt = prompts.clinical_query_prompt(QUESTION, CLASSIFICATION["prediction"], CLASSIFICATION["confidence"])
        print(
            f"GPT-2 124M (random weights), {args.new_tokens} new tokens, best of {args.repeats} "
            f"interleaved rounds, {torch.get_num_threads()} thread"
        )
        print(f"{'path':<42}{'tokens/s':>10}{'x pipeline':>12}")
        # One phase per /ask setting: the service keeps one chain per process, so each phase builds
        # its app and times it in turns with the pipeline.
        for label, int8 in [("as served (int8)", True), ("GEN_INT8=0 (fp32)", False)]:
            best = tokens_per_second(
                counter,
                {
                    "pipeline": lambda: naive(prompt, return_full_text=False, **sampling),
                    "ask": ask_call(model_dir, tmp, args.new_tokens, int8),
                },
                args.repeats,
            )
            print(f"{'transformers pipeline, fp32':<42}{best['pipeline']:>10.1f}{1:>12.2f}")
            print(f"{'POST /ask, ' + label:<42}{best['ask']:>10.1f}{best['ask'] / best['pipeline']:>12.2f}")


if __name__ == "__main__":
    main()
