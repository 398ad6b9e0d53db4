"""Which versions produced a text: the language model's and the knowledge base's.

Stored with every interpretation so that ratings can be compared by model version (Table V per
version, and the fine-tuning loop in docs/feedback-loop.md). Versions are content hashes, so a
retrained model or an edited knowledge base gets a new one without anyone bumping a number.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Optional

import knowledge_base
from explain.generators import BASE, FINE_TUNED
from explain.model_loading import WEIGHT_FILES

HASH_CHARS = 12


@lru_cache(maxsize=1)
def knowledge_base_version() -> str:
    """``kb-<hash>`` of every entry file's name and content."""
    digest = hashlib.sha256()
    for path in sorted(knowledge_base.ENTRIES_DIR.glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"kb-{digest.hexdigest()[:HASH_CHARS]}"


@lru_cache(maxsize=8)
def _model_version(model_path: str) -> str:
    """``<directory name>@<hash of config.json and the weights>`` (a hub name stays as it is)."""
    folder = Path(model_path)
    files = [folder / "config.json", *(folder / name for name in WEIGHT_FILES)]
    present = [path for path in files if path.is_file()]
    if not present:
        return model_path
    digest = hashlib.sha256()
    for path in present:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return f"{folder.name}@{digest.hexdigest()[:HASH_CHARS]}"


def language_model_version(generator: str, model_path: Optional[str]) -> Optional[str]:
    """The version of the language model (loaded from ``model_path``) that wrote a text, or None
    when none did."""
    if generator not in (FINE_TUNED, BASE) or not model_path:
        return None
    return _model_version(str(model_path))
