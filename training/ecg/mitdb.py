"""MIT-BIH Arrhythmia Database access for training and evaluating the beat model.

The de Chazal et al. (2004) inter-patient split: DS1 is the training half; the paced records may
only teach the Q (paced) class and are never evaluated. Annotations are mapped to the five AAMI
EC57 classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from classifier.paths import data_dir

DS1 = (
    "101",
    "106",
    "108",
    "109",
    "112",
    "114",
    "115",
    "116",
    "118",
    "119",
    "122",
    "124",
    "201",
    "203",
    "205",
    "207",
    "208",
    "209",
    "215",
    "220",
    "223",
    "230",
)
PACED = ("102", "104", "107", "217")
SAMPLING_RATE = 360.0
_AAMI = {
    **dict.fromkeys("NLRej", "N"),
    **dict.fromkeys("AaJS", "S"),
    **dict.fromkeys("VE", "V"),
    "F": "F",
    **dict.fromkeys("/fQ", "Q"),
}


@dataclass(frozen=True)
class Record:
    """One MIT-BIH record: its MLII lead (the "first lead" of almost every record) and beat labels.

    ``excluded`` are ``(start, stop)`` sample ranges of ventricular flutter/fibrillation, where
    EC57 scores no beats.
    """

    name: str
    signal: np.ndarray
    sampling_rate: float
    beat_samples: np.ndarray
    beat_classes: np.ndarray
    excluded: tuple[tuple[int, int], ...]


def record_dir() -> Path:
    return data_dir() / "mitdb-ds1"


def load_record(name: str, directory: Path | None = None) -> Record:
    """Read a record's MLII lead and its AAMI beat labels.

    MLII is found by name (record 114 stores it second); paced records 102 and 104 lack it, and
    their first lead is used.
    """
    path = str((directory or record_dir()) / name)
    rec = wfdb.rdrecord(path)
    ann = wfdb.rdann(path, "atr")
    lead = rec.sig_name.index("MLII") if "MLII" in rec.sig_name else 0
    symbols = np.asarray(ann.symbol)
    samples = np.asarray(ann.sample, dtype=np.int64)
    is_beat = np.isin(symbols, list(_AAMI))
    classes = np.array([_AAMI[s] for s in symbols[is_beat]], dtype="<U1")
    starts = samples[symbols == "["]
    stops = samples[symbols == "]"]
    excluded = tuple((int(a), int(b)) for a, b in zip(starts, stops))
    return Record(
        name, np.asarray(rec.p_signal[:, lead], dtype=np.float64), float(rec.fs), samples[is_beat], classes, excluded
    )


def outside_excluded(samples: np.ndarray, excluded: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Boolean mask of ``samples`` that lie outside every excluded range."""
    keep = np.ones(len(samples), dtype=bool)
    for start, stop in excluded:
        keep &= ~((samples >= start) & (samples <= stop))
    return keep
