"""The training side's one disk cache: computed once, reused, recomputed when no longer valid."""

from __future__ import annotations

import numpy as np

from training.cache import cached_arrays, source_digest


def test_arrays_are_computed_once_and_recomputed_when_stale(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    calls = []

    def compute(ids):
        calls.append(ids)
        return {"ids": np.array(ids), "x": np.arange(len(ids), dtype=float)}

    first = cached_arrays("t.npz", lambda: compute(["a", "b"]))
    again = cached_arrays("t.npz", lambda: compute(["a", "b"]))
    assert calls == [["a", "b"]] and np.array_equal(first["x"], again["x"])
    other = cached_arrays("t.npz", lambda: compute(["c"]), lambda stored: list(stored["ids"]) == ["c"])
    assert calls == [["a", "b"], ["c"]] and list(other["ids"]) == ["c"]
    assert (tmp_path / "cache" / "t.npz").exists()


def test_the_source_digest_changes_with_the_source_and_the_extra_text():
    assert source_digest(np.mean) == source_digest(np.mean)
    assert source_digest(np.mean) != source_digest(np.median)
    assert source_digest(np.mean, extra="1") != source_digest(np.mean)
