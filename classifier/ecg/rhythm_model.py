"""The trained rhythm models on disk: the LightGBM feature model, and its ensemble with the CNN."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
from scipy.special import log_softmax

from classifier.calibration import calibrated
from classifier.ecg.rhythm_cnn import RhythmCnn
from classifier.paths import MODELS_DIR
from classifier.signal_types import ECG_RHYTHM_CLASSES

MODEL_DIR = MODELS_DIR / "ecg_rhythm"
BOOSTER_FILE = "model.txt"
META_FILE = "meta.json"
ENSEMBLE_FILE = "ensemble.json"
# Challenge letters -> the service's class names, in the model's output order.
LABELS = dict(zip("NAO~", ECG_RHYTHM_CLASSES))
CLASSES = ECG_RHYTHM_CLASSES


@dataclass
class RhythmModel:
    booster: lgb.Booster
    feature_names: list[str]
    classes: list[str]
    temperature: float
    version: str
    meta: dict = field(default_factory=dict)

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Raw multi-class scores for rows of features in :attr:`feature_names` order."""
        return np.atleast_2d(self.booster.predict(features, raw_score=True, num_threads=1))

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Temperature-calibrated probabilities, one row per feature row, columns in :attr:`classes`."""
        return calibrated(self.logits(features), self.temperature)

    def save(self, folder: Path = MODEL_DIR) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / BOOSTER_FILE))
        meta = dict(
            self.meta,
            feature_names=self.feature_names,
            classes=self.classes,
            temperature=self.temperature,
            version=self.version,
        )
        (folder / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> "RhythmModel":
        meta = json.loads((folder / META_FILE).read_text())
        booster = lgb.Booster(model_file=str(folder / BOOSTER_FILE))
        return cls(
            booster=booster,
            feature_names=meta.pop("feature_names"),
            classes=meta.pop("classes"),
            temperature=meta.pop("temperature"),
            version=meta.pop("version"),
            meta=meta,
        )


def pooled_scores(feature_proba: np.ndarray, cnn_logits: np.ndarray, cnn_weight: float) -> np.ndarray:
    """Log-linear pool of the feature model's probabilities and the CNN's softmax (uncalibrated)."""
    return (1 - cnn_weight) * np.log(feature_proba) + cnn_weight * log_softmax(cnn_logits, axis=1)


@dataclass
class RhythmEnsemble:
    """LightGBM over features and the CNN over the signal, pooled log-linearly, then recalibrated.

    The :func:`pooled_scores` are divided by one ``temperature``; weight and temperature were fitted
    on the validation split (``training.ecg.train_rhythm_cnn``).
    """

    features: RhythmModel
    cnn: RhythmCnn
    cnn_weight: float
    temperature: float
    version: str
    meta: dict = field(default_factory=dict)

    @property
    def classes(self) -> list[str]:
        return self.features.classes

    @property
    def feature_names(self) -> list[str]:
        return self.features.feature_names

    def predict_proba(self, features: np.ndarray, cnn_inputs: list[np.ndarray]) -> np.ndarray:
        """Calibrated probabilities, one row per analysis window (its feature row and CNN input)."""
        pooled = pooled_scores(self.features.predict_proba(features), self.cnn.logits(cnn_inputs), self.cnn_weight)
        return calibrated(pooled, self.temperature)

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> "RhythmEnsemble":
        meta = json.loads((folder / ENSEMBLE_FILE).read_text())
        return cls(
            features=RhythmModel.load(folder),
            cnn=RhythmCnn.load(folder),
            cnn_weight=meta.pop("cnn_weight"),
            temperature=meta.pop("temperature"),
            version=meta.pop("version"),
            meta=meta,
        )
