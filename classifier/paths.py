"""Where the project keeps downloaded data and committed weights."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(__file__).resolve().parent / "models"


def data_dir() -> Path:
    """Unpacked datasets: ``$DATA_DIR`` or ``<project>/data`` (filled by scripts/fetch_data.py)."""
    return Path(os.environ.get("DATA_DIR", PROJECT_ROOT / "data"))


def shared_data_dir() -> Path:
    """The workplace's read-only archive folder: ``$SHARED_DATA_DIR`` or ``<project>/../shared/data``."""
    return Path(os.environ.get("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))
