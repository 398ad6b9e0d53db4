"""Shared fixtures: the real datasets (unpacked by scripts/fetch_data.py) and the GPT-2 tokenizer."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT))


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
