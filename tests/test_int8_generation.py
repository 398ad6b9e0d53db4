"""The CPU serving path (explain/model_loading.py): Conv1D -> Linear, then dynamic int8.

A small GPT-2-architecture model is trained here, briefly, on the bundled medical corpus, so that
the comparison is between a model that has learnt something and its int8 copy, not between two
random ones. Speed is measured in bench/generation.py, never here.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

from classifier.paths import shared_data_dir
from explain.model_loading import conv1d_to_linear, prepare_for_serving
from explain.settings import GenerationSettings
from service.config import Config

ROOT = Path(__file__).resolve().parent.parent
BLOCK, STEPS, BATCH = 64, 200, 8
PROMPTS, PROMPT_TOKENS, NEW_TOKENS = 20, 12, 16


@pytest.fixture(scope="module")
def trained():
    """(fp32 model, held-out blocks, vocabulary size): a 2-layer GPT-2 trained for STEPS steps on 9
    of every 10 blocks of the corpus; every tenth block is held out."""
    tokenizer = AutoTokenizer.from_pretrained(str(shared_data_dir() / "gpt2-tokenizer"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "medical_corpus").iterdir()))
    # The corpus's tokens renumbered densely: an LM head over the ~3,000 tokens it uses rather than
    # all 50,257 keeps the training to seconds; the layers quantised are the same kinds.
    used, ids = torch.unique(torch.tensor(tokenizer(text)["input_ids"]), return_inverse=True)
    blocks = ids[: len(ids) // BLOCK * BLOCK].view(-1, BLOCK)
    every_tenth = torch.arange(len(blocks)) % 10 == 9
    train, held_out = blocks[~every_tenth], blocks[every_tenth]
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(used), n_layer=2, n_head=2, n_embd=64, n_positions=BLOCK, bos_token_id=0, eos_token_id=0
    )
    model = GPT2LMHeadModel(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(STEPS):
        batch = train[torch.randint(len(train), (BATCH,))]
        model(input_ids=batch, labels=batch).loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    return prepare_for_serving(model, int8=False), held_out, len(used)


def perplexity(model, blocks: torch.Tensor) -> float:
    with torch.no_grad():
        return float(torch.exp(model(input_ids=blocks, labels=blocks).loss))


def greedy(model, prompt: torch.Tensor) -> list[int]:
    with torch.no_grad():
        out = model.generate(
            prompt[None],
            do_sample=False,
            max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS,
            use_cache=True,
            pad_token_id=0,
        )
    return out[0, prompt.shape[0] :].tolist()


def test_conv1d_to_linear_changes_no_output(trained):
    model, held_out, _ = trained
    converted = copy.deepcopy(model)
    conv1d_to_linear(converted)
    assert not any(type(m).__name__ == "Conv1D" for m in converted.modules())
    with torch.no_grad():
        expected = model(input_ids=held_out[:4]).logits
        got = converted(input_ids=held_out[:4]).logits
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_int8_keeps_held_out_perplexity_within_two_percent_and_most_greedy_outputs(trained):
    model, held_out, vocabulary = trained
    int8 = prepare_for_serving(copy.deepcopy(model), int8=True)
    assert any("quantized" in type(m).__module__ for m in int8.modules())
    fp32_ppl, int8_ppl = perplexity(model, held_out), perplexity(int8, held_out)
    # far below guessing among the corpus's tokens, or the comparison would mean nothing
    assert fp32_ppl < vocabulary / 20, f"fp32 perplexity {fp32_ppl:.1f} over {vocabulary} tokens"
    assert abs(int8_ppl - fp32_ppl) / fp32_ppl < 0.02, f"fp32 {fp32_ppl:.2f}, int8 {int8_ppl:.2f}"

    prompts = held_out[:PROMPTS, :PROMPT_TOKENS]
    identical = sum(greedy(model, p) == greedy(int8, p) for p in prompts) / len(prompts)
    print(
        f"\nheld-out perplexity fp32 {fp32_ppl:.2f}, int8 {int8_ppl:.2f}; "
        f"greedy {NEW_TOKENS}-token outputs identical for {identical:.0%} of {len(prompts)} prompts"
    )
    assert identical >= 0.5


def test_int8_is_on_by_default_and_a_setting_turns_it_off():
    assert GenerationSettings().int8 is True
    assert Config.from_sources(environ={"GEN_INT8": "0"}).generation.int8 is False
    assert Config.from_sources(environ={}).updated({}, {"int8": "false"}).generation.int8 is False
