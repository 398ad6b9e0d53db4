"""The committed EEG model: a LightGBM booster over window features, temperature-scaled, with the
seizure decision threshold chosen on out-of-fold training predictions.

Windows are pooled into a recording by averaging their (temperature-scaled) log-odds scores, not
their probabilities: a geometric mean of the windows' distributions. Grouped cross-validation on
the training side showed this keeps the fitted temperature stable from fold draw to fold draw
(averaging probabilities made it swing by an order of magnitude) and lowers the segment error.

A finding abstains (``abstain_reason``) when the 90% split-conformal prediction set of its
probabilities is not exactly its label, or when its windows lie, on average, further from the
training windows than the out-of-distribution threshold (both calibrated out of fold, see
classifier/conformal.py and classifier/eeg/train.py).

Files under classifier/models/eeg/: ``lightgbm.txt`` (the booster), ``model.json`` (classes,
feature names, temperature, threshold, conformal and OOD thresholds, window settings),
``ood.npz`` (mean, scale and precision of the training features), ``split.json`` (segment ids of
the training and held-out sides). Loaded once per process and cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np

from classifier import conformal
from classifier.eeg import features
from classifier.loading import CommittedModel
from classifier.paths import MODELS_DIR
from classifier.signal_types import EEG_CLASSES

MODEL_DIR = MODELS_DIR / "eeg"
BOOSTER_FILE, META_FILE, SPLIT_FILE, OOD_FILE = "lightgbm.txt", "model.json", "split.json", "ood.npz"
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
    conformal_threshold: np.ndarray  # one per class (Mondrian)
    ood: conformal.Mahalanobis
    ood_threshold: float

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

    def prediction_set(self, probabilities: np.ndarray) -> tuple[str, ...]:
        """The classes in the 90% conformal prediction set of one recording's probabilities."""
        members = conformal.prediction_sets(probabilities, self.conformal_threshold)[0]
        return tuple(c for c, inside in zip(self.classes, members) if inside)

    def ood_score(self, X: np.ndarray) -> float:
        """Mean distance of the windows ``X`` from the training windows (compare ood_threshold)."""
        return float(self.ood.distances(X).mean())

    def abstain_reason(self, label: str, probabilities: np.ndarray, X: np.ndarray) -> str | None:
        """Why the finding ``label`` should not be reported, in plain words, or None."""
        if self.ood_score(X) > self.ood_threshold:
            return (
                "the recording is unlike the recordings this model was trained on (Bonn "
                "University EEG segments), so its classes cannot be relied on"
            )
        members = self.prediction_set(probabilities)
        if len(members) > 1:
            return "the model cannot tell " + " from ".join(members) + " apart with 90% certainty"
        if members != (label,):
            return "no class reaches the model's 90% certainty level for this recording"
        return None


def decide(probabilities: np.ndarray, seizure: int, threshold: float) -> np.ndarray:
    """Class index per row: ``seizure`` when its probability reaches ``threshold`` (a missed seizure
    costs more than a false alarm), otherwise the likelier of the other classes."""
    probabilities = np.atleast_2d(probabilities)
    others = probabilities.copy()
    others[:, seizure] = -1.0
    return np.where(probabilities[:, seizure] >= threshold, seizure, others.argmax(axis=1))


def save(directory: Path, booster: lgb.Booster, meta: dict, split: dict, ood: conformal.Mahalanobis) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(directory / BOOSTER_FILE))
    np.savez_compressed(directory / OOD_FILE, **ood.to_arrays())
    (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    (directory / SPLIT_FILE).write_text(json.dumps(split, indent=1) + "\n")


def metadata(directory: Path = MODEL_DIR) -> dict:
    """The model's ``model.json`` (version, classes, settings) without loading the booster."""
    return json.loads((directory / META_FILE).read_text())


def load(directory: Path = MODEL_DIR) -> EEGModel:
    meta = metadata(directory)
    if tuple(meta["feature_names"]) != features.FEATURE_NAMES:
        raise RuntimeError(
            f"{directory} was trained on other features than classifier/eeg/features.py "
            "computes; retrain with python -m training.eeg.train"
        )
    with np.load(directory / OOD_FILE) as arrays:
        ood = conformal.Mahalanobis(arrays["mean"], arrays["scale"], arrays["precision"])
    return EEGModel(
        booster=lgb.Booster(model_file=str(directory / BOOSTER_FILE)),
        classes=tuple(meta["classes"]),
        feature_names=tuple(meta["feature_names"]),
        temperature=float(meta["temperature"]),
        seizure_threshold=float(meta["seizure_threshold"]),
        version=meta["version"],
        conformal_threshold=np.asarray(meta["conformal"]["threshold"], dtype=float),
        ood=ood,
        ood_threshold=float(meta["ood"]["threshold"]),
    )


COMMITTED = CommittedModel(load, MODEL_DIR)


def load_model() -> EEGModel:
    """The committed model, loaded on first use."""
    return COMMITTED.get()


def is_loaded() -> bool:
    return COMMITTED.loaded


def held_out_ids(directory: Path = MODEL_DIR) -> list[str]:
    return json.loads((directory / SPLIT_FILE).read_text())["held_out"]
