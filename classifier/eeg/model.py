"""The committed EEG model: a LightGBM booster over window features, temperature-scaled, with the
seizure decision threshold chosen on out-of-fold training predictions.

Windows are pooled into a recording by averaging their (temperature-scaled) log-odds scores, not
their probabilities: a geometric mean of the windows' distributions. Grouped cross-validation on
the training side showed this keeps the fitted temperature stable from fold draw to fold draw
(averaging probabilities made it swing by an order of magnitude) and lowers the segment error.

A finding abstains (``abstain_reason``) when its 90% cross-conformal prediction set is not
exactly its label, or when its windows lie, on average, further from the training windows than the
out-of-distribution threshold (both calibrated out of fold, see classifier/conformal.py and
training/eeg/train.py). The prediction set comes from the cross-validation fold boosters, each
compared with the out-of-fold scores of the segments it did not see; the label and probabilities
from the booster fitted on all training windows.

Files under classifier/models/eeg/: ``lightgbm.txt`` (the booster), ``lightgbm_fold<k>.txt.gz``
(the fold boosters), ``conformal.npz`` (the calibration segments' out-of-fold scores, classes and
folds), ``model.json`` (classes, feature names, temperature, threshold, conformal level and OOD
threshold, window settings), ``ood.npz`` (mean, scale and precision of the training features),
``split.json`` (segment ids of the training and held-out sides). Loaded once per process and
cached.
"""

from __future__ import annotations

import gzip
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
FOLD_BOOSTER_FILE, CONFORMAL_FILE = "lightgbm_fold{}.txt.gz", "conformal.npz"
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
    fold_boosters: tuple[lgb.Booster, ...]
    calibration: conformal.Calibration
    conformal_alpha: float
    ood: conformal.Mahalanobis
    ood_threshold: float

    def window_scores(self, X: np.ndarray) -> np.ndarray:
        """Temperature-scaled class scores (log-odds up to a constant), one row per window, columns
        in ``classes`` order: ``softmax`` of a row, or of the mean of several rows, is calibrated."""
        return _scores(self.booster, X, len(self.classes)) / self.temperature

    def fold_window_scores(self, X: np.ndarray) -> list[np.ndarray]:
        """:meth:`window_scores` of each fold booster, for the prediction set."""
        return [_scores(booster, X, len(self.classes)) / self.temperature for booster in self.fold_boosters]

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Class index per row of ``probabilities`` (see :func:`decide`)."""
        return decide(probabilities, self.classes.index("Seizure Activity"), self.seizure_threshold)

    def prediction_set(self, fold_probabilities: np.ndarray) -> tuple[str, ...]:
        """The classes in the 90% conformal prediction set of one recording, from each fold booster's
        probabilities of it (one row per fold, pooled as the recording's probabilities are)."""
        p = conformal.p_values(self.calibration, np.asarray(fold_probabilities)[:, None, :])
        members = conformal.prediction_sets(p, self.conformal_alpha)[0]
        return tuple(c for c, inside in zip(self.classes, members) if inside)

    def ood_score(self, X: np.ndarray) -> float:
        """Mean distance of the windows ``X`` from the training windows (compare ood_threshold)."""
        return float(self.ood.distances(X).mean())

    def abstain_reason(self, label: str, members: tuple[str, ...], X: np.ndarray) -> str | None:
        """Why the finding ``label`` (prediction set ``members``, windows ``X``) should not be
        reported, in plain words, or None."""
        if self.ood_score(X) > self.ood_threshold:
            return (
                "the recording is unlike the recordings this model was trained on (Bonn "
                "University EEG segments), so its classes cannot be relied on"
            )
        if len(members) > 1:
            return "the model cannot tell " + " from ".join(members) + " apart with 90% certainty"
        if not members:
            return "no class reaches the model's 90% certainty level for this recording"
        if members != (label,):
            return f"at the model's 90% certainty level the recording points to {members[0]}, not to {label}"
        return None


def decide(probabilities: np.ndarray, seizure: int, threshold: float) -> np.ndarray:
    """Class index per row: ``seizure`` when its probability reaches ``threshold`` (a missed seizure
    costs more than a false alarm), otherwise the likelier of the other classes."""
    probabilities = np.atleast_2d(probabilities)
    others = probabilities.copy()
    others[:, seizure] = -1.0
    return np.where(probabilities[:, seizure] >= threshold, seizure, others.argmax(axis=1))


def _scores(booster: lgb.Booster, X: np.ndarray, n_classes: int) -> np.ndarray:
    if len(X) == 0:
        return np.empty((0, n_classes))
    return np.asarray(booster.predict(X, raw_score=True)).reshape(len(X), n_classes)


def save(
    directory: Path,
    booster: lgb.Booster,
    fold_boosters: list[lgb.Booster],
    calibration: conformal.Calibration,
    meta: dict,
    split: dict,
    ood: conformal.Mahalanobis,
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(directory / BOOSTER_FILE))
    for k, fold_booster in enumerate(fold_boosters):
        text = fold_booster.model_to_string().encode()
        (directory / FOLD_BOOSTER_FILE.format(k)).write_bytes(gzip.compress(text, mtime=0))
    np.savez_compressed(directory / CONFORMAL_FILE, **calibration.to_arrays())
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
    with np.load(directory / CONFORMAL_FILE) as arrays:
        calibration = conformal.Calibration(arrays["scores"], arrays["labels"], arrays["folds"])
    fold_boosters = tuple(
        lgb.Booster(model_str=gzip.decompress((directory / FOLD_BOOSTER_FILE.format(k)).read_bytes()).decode())
        for k in range(meta["conformal"]["folds"])
    )
    return EEGModel(
        booster=lgb.Booster(model_file=str(directory / BOOSTER_FILE)),
        classes=tuple(meta["classes"]),
        feature_names=tuple(meta["feature_names"]),
        temperature=float(meta["temperature"]),
        seizure_threshold=float(meta["seizure_threshold"]),
        version=meta["version"],
        fold_boosters=fold_boosters,
        calibration=calibration,
        conformal_alpha=float(meta["conformal"]["alpha"]),
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
