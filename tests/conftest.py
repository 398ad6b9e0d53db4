"""Shared fixtures: the real datasets (unpacked by scripts/fetch_data.py) and the GPT-2 tokenizer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


POSTGRES_URL_VARIABLE = "TEST_POSTGRES_URL"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the server ``TEST_POSTGRES_URL`` names (``.ci/run`` starts one),
    dropped afterwards. In CI a missing server fails the test; elsewhere it is skipped, saying why."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        message = f"{POSTGRES_URL_VARIABLE} is not set: run `bash .ci/start_postgres.sh` and export what it prints"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"clinical_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The URL of an empty database on each backend the service supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


@pytest.fixture()
def make_app(tmp_path, monkeypatch):
    """``make_app(**overrides) -> Flask app`` on a fresh SQLite file, with no GPT-2 unless asked."""
    monkeypatch.delenv("MEDICAL_GPT2_PATH", raising=False)

    def build(**overrides):
        from api import create_app

        config = {
            "database_url": f"sqlite:///{tmp_path / 'test.db'}",
            "use_base_gpt2": False,
            "warm_up_models": False,
            **overrides,
        }
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
