"""Shared fixtures: the real datasets (unpacked by scripts/fetch_data.py) and the GPT-2 tokenizer."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def dataset():
    """``dataset("cinc2017" | "mitdb" | "bonn" | "corpus") -> Path``, fetched on first use.

    Fails (never skips) when the data cannot be had: a test about real recordings must run on them.
    """
    from classifier.paths import data_dir, shared_data_dir
    from scripts.fetch_data import fetch

    def get(name: str) -> Path:
        return fetch(name, data_dir(), shared_data_dir())

    return get


@pytest.fixture()
def make_app(tmp_path, monkeypatch):
    """``make_app(**overrides) -> Flask app`` on a fresh SQLite file, with no GPT-2 unless asked."""
    monkeypatch.delenv("MEDICAL_GPT2_PATH", raising=False)

    def build(**overrides):
        from api import create_app
        config = {"database_url": f"sqlite:///{tmp_path / 'test.db'}", "use_base_gpt2": False,
                  "warm_up_models": False, **overrides}
        return create_app(config)

    return build


@pytest.fixture()
def client(make_app):
    return make_app().test_client()


@pytest.fixture(scope="session")
def tiny_gpt2_dir(tmp_path_factory):
    """A saved, randomly initialised GPT-2-architecture model with the real GPT-2 tokenizer.

    It writes nonsense, which is what the guard tests need; no hub access is involved.
    """
    from transformers import GPT2Config, GPT2LMHeadModel

    from gpt2_tokenizer import bundled_tokenizer

    path = tmp_path_factory.mktemp("tiny-gpt2")
    config = GPT2Config(n_layer=1, n_head=2, n_embd=32, n_positions=512)
    GPT2LMHeadModel(config).save_pretrained(path)
    bundled_tokenizer().save_pretrained(path)
    return path
