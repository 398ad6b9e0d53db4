"""The training side's one disk cache: arrays under ``data/cache/``, keyed by the source code that
computed them, so a change to a feature or a detector never reads a stale cache."""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from classifier.paths import data_dir


def source_digest(*sources: object, extra: str = "") -> str:
    """First 12 hex digits of the SHA-1 of the source of each module or function, then ``extra``.

    The rhythm models store theirs (``pipeline_fingerprint``, ``input_fingerprint``): a test
    compares them with the current source to show when a model must be retrained.
    """
    digest = hashlib.sha1()
    for source in sources:
        digest.update(inspect.getsource(source).encode())
    digest.update(extra.encode())
    return digest.hexdigest()[:12]


def cache_file(name: str) -> Path:
    return data_dir() / "cache" / name


def cached_arrays(
    name: str,
    compute: Callable[[], Mapping[str, np.ndarray]],
    still_valid: Callable[[Mapping[str, np.ndarray]], bool] = lambda stored: True,
) -> dict[str, np.ndarray]:
    """The arrays stored under ``name`` when present and ``still_valid``, else ``compute()``'s, saved."""
    path = cache_file(name)
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
        if still_valid(arrays):
            return arrays
    arrays = dict(compute())
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return arrays
