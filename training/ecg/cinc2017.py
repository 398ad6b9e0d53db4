"""The PhysioNet/CinC Challenge 2017 training set: labels, records and the fixed train/val/test split."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import wfdb
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from classifier.ecg.rhythm_model import CLASSES, LABELS

FS = 300.0
SPLIT_SEED = 2017


def f1_per_class(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """F1 of each class, in ``CLASSES`` order, from class indices."""
    return f1_score(truth, predicted, labels=range(len(CLASSES)), average=None)


def challenge_score(f1: np.ndarray) -> float:
    """The challenge's score: the mean F1 of Normal, AF and Other (noisy records are not scored)."""
    return float(np.mean(f1[:3]))


def read_reference(folder: Path) -> dict[str, str]:
    """Record id -> class name, from REFERENCE-v3.csv (the challenge's final relabelled answers)."""
    with open(Path(folder) / "REFERENCE-v3.csv", newline="") as f:
        return {row[0]: LABELS[row[1]] for row in csv.reader(f) if row}


def read_signal(folder: Path, record_id: str) -> np.ndarray:
    """The record's single lead in millivolts."""
    return wfdb.rdrecord(str(Path(folder) / record_id)).p_signal[:, 0]


def split_ids(reference: dict[str, str], seed: int = SPLIT_SEED) -> dict[str, list[str]]:
    """Stratified 80/10/10 train / validation (early stopping, calibration) / test split of record ids."""
    ids = sorted(reference)
    labels = [reference[i] for i in ids]
    train, rest = train_test_split(ids, test_size=0.2, stratify=labels, random_state=seed)
    val, test = train_test_split(rest, test_size=0.5, stratify=[reference[i] for i in rest], random_state=seed)
    return {"train": sorted(train), "val": sorted(val), "test": sorted(test)}
