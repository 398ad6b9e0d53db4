"""Finding and loading a GPT-2 model directory, with messages that say what is wrong."""
from __future__ import annotations

import pickle
from pathlib import Path

from safetensors import SafetensorError

# What loading a missing, half-written or corrupt model directory raises: caught, announced, and the
# chain falls back to the next generator instead of failing the service's start.
LOAD_ERRORS = (OSError, ValueError, RuntimeError, SafetensorError, pickle.UnpicklingError)
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin",
                "model.safetensors.index.json", "pytorch_model.bin.index.json")
BASE_MODEL_NAME = "gpt2"


def missing_parts(path: str | Path) -> list[str]:
    """What a directory lacks to serve as ``MEDICAL_GPT2_PATH`` (empty when it is complete)."""
    folder = Path(path)
    if not folder.is_dir():
        return ["the directory itself (it does not exist)"]
    missing = []
    if not (folder / "config.json").is_file():
        missing.append("config.json")
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        missing.append("model weights (model.safetensors or pytorch_model.bin)")
    has_fast = (folder / "tokenizer.json").is_file()
    has_bpe = (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file()
    if not (has_fast or has_bpe):
        missing.append("tokenizer files (tokenizer.json, or vocab.json and merges.txt)")
    return missing


def load_model_and_tokenizer(name_or_path: str, local_files_only: bool = True):
    """``(model, tokenizer)`` in eval mode; raises one of :data:`LOAD_ERRORS` when it cannot."""
    from transformers import AutoModelForCausalLM

    from gpt2_tokenizer import load_tokenizer

    model = AutoModelForCausalLM.from_pretrained(name_or_path, local_files_only=local_files_only)
    model.eval()
    tokenizer = load_tokenizer(name_or_path)
    return model, tokenizer
