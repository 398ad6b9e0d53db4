"""Get the project's datasets into ``data/`` (or ``$DATA_DIR``).

From the workplace archive folder (``../shared/data``) when it exists, else from the original
sources (PhysioNet, the University of Bonn) for a user with internet access.

    python -m scripts.fetch_data                 # everything
    python -m scripts.fetch_data cinc2017 bonn   # some

``retrieval`` builds the retrieval index over the corpus (``data/retrieval/``), or rebuilds it when a
source changed; it fetches the corpus first.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

from classifier.paths import data_dir, shared_data_dir  # noqa: E402
from training.ecg.mitdb import DS1, PACED  # the records the beat model is trained and checked on

PHYSIONET = "https://physionet.org/files"
BONN_URL = "https://www.upf.edu/documents/229517819/234490509/{name}.zip"
BONN_SETS = {"Z": "A_Z", "O": "B_O", "N": "C_N", "F": "D_F", "S": "E_S"}

# dataset -> (archive inside the shared folder, directory it unpacks to)
ARCHIVES = {
    "cinc2017": ("cinc2017/cinc2017_training.tar.xz", "training2017"),
    "mitdb": ("mitdb/mitdb-ds1.tar.xz", "mitdb-ds1"),
    "bonn": ("bonn-eeg/bonn_eeg_txt.tar.xz", "bonn_eeg"),
}
CORPUS_FILES = [
    "medquad_qa.jsonl.xz",
    "ptbxl_reports.jsonl.xz",
    "ptbxl_scp_statements.jsonl.xz",
    "wfdb_annotation_labels.jsonl.xz",
    "openstax_anatomy_physiology_2e.jsonl.xz",
]


def _download(url: str, dest: Path) -> None:
    print(f"  downloading {url}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def _from_internet(name: str, target: Path) -> None:
    if name == "cinc2017":
        archive = target / "training2017.zip"
        _download(f"{PHYSIONET}/challenge-2017/1.0.0/training2017.zip", archive)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(target)
        archive.unlink()
        _download(f"{PHYSIONET}/challenge-2017/1.0.0/REFERENCE-v3.csv", target / "training2017" / "REFERENCE-v3.csv")
    elif name == "mitdb":
        import wfdb

        wfdb.dl_database("mitdb", str(target / "mitdb-ds1"), records=[*DS1, *PACED])
    elif name == "bonn":
        for letter, folder in BONN_SETS.items():
            archive = target / f"{letter}.zip"
            _download(BONN_URL.format(name=letter), archive)
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(target / "bonn_eeg" / folder)
            archive.unlink()
    elif name == "corpus":
        raise RuntimeError(
            "the text corpus is built from ../shared/data/corpus; without it, run "
            "scripts/build_corpus.py --help for the original sources"
        )


def fetch(name: str, target: Path, shared: Path) -> Path:
    """Unpack (or download) one dataset into ``target``; returns its directory. Idempotent."""
    if name == "retrieval":
        from retrieval import index

        corpus = fetch("corpus", target, shared)
        path = target / "retrieval" / "index.sqlite"
        index.load(corpus, path)
        return path.parent
    if name == "corpus":
        out = target / "corpus"
        if all((out / f).exists() for f in CORPUS_FILES):
            return out
        if (shared / "corpus").is_dir():
            out.mkdir(parents=True, exist_ok=True)
            for f in CORPUS_FILES:
                shutil.copy2(shared / "corpus" / f, out / f)
            return out
        _from_internet(name, target)
        return out
    archive, folder = ARCHIVES[name]
    out = target / folder
    if out.is_dir() and any(out.iterdir()):
        return out
    target.mkdir(parents=True, exist_ok=True)
    if (shared / archive).exists():
        print(f"  unpacking {shared / archive}")
        with tarfile.open(shared / archive, "r:xz") as tf:
            tf.extractall(target, filter="data")
    else:
        _from_internet(name, target)
    return out


def main(argv: list[str] | None = None) -> int:
    names = ["cinc2017", "mitdb", "bonn", "corpus", "retrieval"]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", help=f"any of {', '.join(names)} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.datasets) - set(names))
    if unknown:
        parser.error(f"unknown dataset(s): {', '.join(unknown)}")
    target, shared = data_dir(), shared_data_dir()
    for name in args.datasets or names:
        try:
            print(f"{name}: {fetch(name, target, shared)}")
        except Exception as exc:  # network errors, missing archives: say which and go on
            print(f"{name}: could not be fetched ({exc})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
