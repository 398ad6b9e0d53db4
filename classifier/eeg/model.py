"""The committed EEG model: a LightGBM booster over window features, temperature-scaled, with the
seizure decision threshold chosen on out-of-fold training predictions.

Windows are pooled into a recording by averaging their (temperature-scaled) log-odds scores, not
their probabilities: a geometric mean of the windows' distributions. Grouped cross-validation on
the training side showed this keeps the fitted temperature stable from fold draw to fold draw
(averaging probabilities made it swing by an order of magnitude) and lowers the segment error.

Files under classifier/models/eeg/: ``lightgbm.txt`` (the booster), ``model.json`` (classes,
feature names, temperature, threshold, window settings), ``split.json`` (segment ids of the
training and held-out sides). Loaded once per process and cached.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np

from classifier.eeg import features
from classifier.loading import CommittedModel
from classifier.paths import MODELS_DIR
from classifier.signal_types import EEG_CLASSES

MODEL_DIR = MODELS_DIR / "eeg"
BOOSTER_FILE, META_FILE, SPLIT_FILE = "lightgbm.txt", "model.json", "split.json"
# The classes in the model's output order (model.json records the same list).
CLASSES = EEG_CLASSES
SEIZURE = CLASSES.index("Seizure Activity")


@dataclass(frozen=True)
class EEGModel:
    booster: lgb.Booster
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    temperature: float
    seizure_threshold: float
    version: str

    def window_scores(self, X: np.ndarray) -> np.ndarray:
        """Temperature-scaled class scores (log-odds up to a constant), one row per window, columns
        in ``classes`` order: ``softmax`` of a row, or of the mean of several rows, is calibrated."""
        if len(X) == 0:
            return np.empty((0, len(self.classes)))
        raw = np.asarray(self.booster.predict(X, raw_score=True)).reshape(len(X), len(self.classes))
        return raw / self.temperature

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Class index per row of ``probabilities`` (see :func:`decide`)."""
        return decide(probabilities, self.classes.index("Seizure Activity"), self.seizure_threshold)


def decide(probabilities: np.ndarray, seizure: int, threshold: float) -> np.ndarray:
    """Class index per row: ``seizure`` when its probability reaches ``threshold`` (a missed seizure
    costs more than a false alarm), otherwise the likelier of the other classes."""
    probabilities = np.atleast_2d(probabilities)
    others = probabilities.copy()
    others[:, seizure] = -1.0
    return np.where(probabilities[:, seizure] >= threshold, seizure, others.argmax(axis=1))


def save(directory: Path, booster: lgb.Booster, meta: dict, split: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(directory / BOOSTER_FILE))
    (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    (directory / SPLIT_FILE).write_text(json.dumps(split, indent=1) + "\n")


def metadata(directory: Path = MODEL_DIR) -> dict:
    """The model's ``model.json`` (version, classes, settings) without loading the booster."""
    return json.loads((directory / META_FILE).read_text())


def load(directory: Path = MODEL_DIR) -> EEGModel:
    meta = metadata(directory)
    if tuple(meta["feature_names"]) != features.FEATURE_NAMES:
        raise RuntimeError(f"{directory} was trained on other features than classifier/eeg/features.py "
                           "computes; retrain with python -m training.eeg.train")
    return EEGModel(booster=lgb.Booster(model_file=str(directory / BOOSTER_FILE)),
                    classes=tuple(meta["classes"]), feature_names=tuple(meta["feature_names"]),
                    temperature=float(meta["temperature"]),
                    seizure_threshold=float(meta["seizure_threshold"]), version=meta["version"])


COMMITTED = CommittedModel(load, MODEL_DIR)


def load_model() -> EEGModel:
    """The committed model, loaded on first use."""
    return COMMITTED.get()


def is_loaded() -> bool:
    return COMMITTED.loaded


def held_out_ids(directory: Path = MODEL_DIR) -> list[str]:
    return json.loads((directory / SPLIT_FILE).read_text())["held_out"]
