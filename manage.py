#!/usr/bin/env python3
"""Two commands for a fresh machine with nothing but Python 3.10+:

    python3 manage.py serve   # the service on http://localhost:3333 (embedded defaults)
    python3 manage.py test    # the test suite

Both create ``.venv`` on first use (torch's CPU build first, then requirements.txt) and reuse it
after; ``test`` also fetches the datasets the tests read (scripts/fetch_data.py).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
TORCH = "torch==2.13.0"
STAMP = VENV / ".requirements.sha256"


def _run(*args: str) -> None:
    subprocess.run(args, check=True, cwd=ROOT)


def ensure_environment() -> None:
    """Create the virtual environment and install what requirements.txt names (once per change)."""
    wanted = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print("creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run(*pip, "--upgrade", "pip")
    _run(*pip, TORCH)  # first, so that no other package pulls a multi-GB CUDA build
    _run(*pip, "-r", "requirements.txt")
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"serve", "test"}:
        print(__doc__)
        return 2
    ensure_environment()
    if argv[0] == "serve":
        return subprocess.call([str(PYTHON), "api.py", *argv[1:]], cwd=ROOT)
    _run(str(PYTHON), "-m", "scripts.fetch_data")
    code = subprocess.call([str(PYTHON), "-m", "pytest", "-q", *argv[1:]], cwd=ROOT)
    if code == 5:  # pytest's "no tests were collected" is a failure here, never a pass
        print("no tests ran", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
