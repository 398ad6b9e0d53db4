"""The code base is ruff-clean under the project's settings (pyproject.toml), lint and format both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUFF = [sys.executable, "-m", "ruff"]


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff_finds_nothing(command):
    run = subprocess.run([*RUFF, *command], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_file_edits_sys_path():
    """Scripts run as modules (``python -m scripts.fetch_data``), so none needs to."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    this_file = str(Path(__file__).resolve().relative_to(ROOT))
    offenders = [
        name for name in tracked if name != this_file and "sys.path" in (ROOT / name).read_text(encoding="utf-8")
    ]
    assert offenders == []
