"""The Bonn University epilepsy EEG data (Andrzejak et al., Phys. Rev. E 64, 061907, 2001) as the
model sees it: segments, their classes, the held-out split and the cached window features."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import connected_components
from sklearn.model_selection import train_test_split

from classifier.eeg import features, preprocess
from classifier.paths import data_dir
from training.cache import cached_arrays, source_digest

SAMPLING_RATE = 173.61
# set letter -> (folder, class index): Z, O healthy (eyes open, closed); N, F interictal
# (opposite hemisphere, epileptogenic zone); S ictal.
SETS = {"Z": ("A_Z", 0), "O": ("B_O", 0), "N": ("C_N", 1), "F": ("D_F", 1), "S": ("E_S", 2)}
SPLIT_SEED = 2017
HELD_OUT_FRACTION = 0.2
CORRELATED_ABOVE = 0.5  # see correlated_groups


@dataclass(frozen=True)
class Segment:
    segment_id: str  # e.g. "S042": set letter and file number
    set_letter: str
    label: int
    signal: np.ndarray


def load_segments(root: Path | None = None) -> list[Segment]:
    """All 500 segments, in set then file order (a set's files: Z001.txt ... or N001.TXT ...)."""
    root = root or data_dir() / "bonn_eeg"
    segments = []
    for letter, (folder, label) in SETS.items():
        files = sorted(p for p in (root / folder).iterdir() if p.suffix.lower() == ".txt")
        if not files:
            raise FileNotFoundError(f"no Bonn segments in {root / folder}")
        for path in files:
            segments.append(Segment(path.stem.upper(), letter, label, np.loadtxt(path)))
    return segments


def split_ids(segments: list[Segment]) -> tuple[list[str], list[str]]:
    """(training ids, held-out ids): HELD_OUT_FRACTION of each set's segments, fixed seed."""
    ids = [s.segment_id for s in segments]
    train, held_out = train_test_split(
        ids, test_size=HELD_OUT_FRACTION, random_state=SPLIT_SEED, stratify=[s.set_letter for s in segments]
    )
    return sorted(train), sorted(held_out)


def _cache_key() -> str:
    """Changes whenever preprocessing or features change, so a stale cache is never read."""
    return source_digest(preprocess, features)


def window_table(segments: list[Segment], window_seconds: float = preprocess.WINDOW_SECONDS) -> dict[str, np.ndarray]:
    """Window features of every segment (usable windows only), cached under data/cache/.

    Returns X (windows x features), y (class per window), segment (segment id per window).
    """

    def compute() -> dict[str, np.ndarray]:
        rows, labels, owners = [], [], []
        for seg in segments:
            X, usable, _ = features.recording_features(seg.signal, SAMPLING_RATE, window_seconds)
            rows.append(X[usable])
            labels += [seg.label] * int(usable.sum())
            owners += [seg.segment_id] * int(usable.sum())
        return {"X": np.vstack(rows), "y": np.asarray(labels), "segment": np.asarray(owners)}

    return cached_arrays(f"bonn_eeg_windows_{_cache_key()}_{window_seconds:g}s.npz", compute)


def correlations(segments: list[Segment]) -> np.ndarray:
    """|Pearson correlation| at zero lag between every two segments' signals (diagonal zeroed)."""
    centred = np.array([s.signal - s.signal.mean() for s in segments])
    unit = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    corr = np.abs(unit @ unit.T)
    np.fill_diagonal(corr, 0.0)
    return corr


def correlated_groups(segments: list[Segment]) -> dict[str, int]:
    """Segment id -> group id: segments linked by a chain of CORRELATED_ABOVE correlations share a
    group (connected components).

    Independent EEG segments are nearly uncorrelated at zero lag, yet more than half of the Bonn
    segments have a partner above 0.5 (``python -m training.eeg.crossval`` prints the counts),
    within a set and sometimes across N and F: most likely neighbouring contacts or overlapping
    stretches of one recording. A segment-level split puts
    such partners on both sides, so cross-validation grouped by these groups is the more honest
    estimate for a recording the model has not seen in any form.
    """
    _, labels = connected_components(correlations(segments) > CORRELATED_ABOVE, directed=False)
    return {s.segment_id: int(k) for s, k in zip(segments, labels)}
