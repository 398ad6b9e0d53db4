"""The trained rhythm model on disk: a LightGBM booster plus its temperature and metadata."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np

from classifier.ecg.calibration import calibrated
from classifier.paths import MODELS_DIR

MODEL_DIR = MODELS_DIR / "ecg_rhythm"
BOOSTER_FILE = "model.txt"
META_FILE = "meta.json"


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
        meta = dict(self.meta, feature_names=self.feature_names, classes=self.classes,
                    temperature=self.temperature, version=self.version)
        (folder / META_FILE).write_text(json.dumps(meta, indent=1) + "\n")

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> "RhythmModel":
        meta = json.loads((folder / META_FILE).read_text())
        booster = lgb.Booster(model_file=str(folder / BOOSTER_FILE))
        return cls(booster=booster, feature_names=meta.pop("feature_names"), classes=meta.pop("classes"),
                   temperature=meta.pop("temperature"), version=meta.pop("version"), meta=meta)
