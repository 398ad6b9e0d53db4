"""Beat-by-beat AAMI classification (N, S, V, F, Q) with the MIT-BIH-trained LightGBM models."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import lightgbm as lgb
import numpy as np

from classifier.ecg.beat_features import (CLASS_MODEL_FEATURES, FEATURE_NAMES, beat_features,
                                          rr_irregularity)
from classifier.ecg.beat_supraventricular import SupraventricularModel
from classifier.ecg.mitdb import AAMI_CLASSES
from classifier.ecg.qrs import detect_r_peaks
from classifier.paths import MODELS_DIR

MODEL_DIR = MODELS_DIR / "ecg_beats"
# A beat whose most probable class has less than this probability is counted as low-confidence in
# the summary, so a reader can tell a clear ectopy count from a guess.
LOW_CONFIDENCE = 0.6
_S = AAMI_CLASSES.index("S")
_N = AAMI_CLASSES.index("N")
_Q = AAMI_CLASSES.index("Q")
_NOT_Q = np.arange(len(AAMI_CLASSES)) != _Q
CLASS_COLUMNS = np.array([FEATURE_NAMES.index(name) for name in CLASS_MODEL_FEATURES])


@dataclass(frozen=True)
class BeatModel:
    """Two boosters, the linear S model and the irregular-rhythm limit.

    ``classes`` gives N S V F Q probabilities from ``CLASS_MODEL_FEATURES`` (nothing absolute);
    learning Q keeps paced-looking training beats from distorting N, S, V and F, but its Q column
    is not used. ``paced`` is the same five-class model over all features, the absolute window
    included; a beat is Q where Q is its most probable class, since only absolute shape tells a
    paced recording's dominant beat. A beat still N becomes S where ``supraventricular`` says S;
    then no S stays where the rhythm is irregular (``suppress_s_in_irregular_rhythm``).
    """

    classes: lgb.Booster
    paced: lgb.Booster
    supraventricular: SupraventricularModel
    s_irregularity_limit: float

    def predict(self, features: np.ndarray, irregularity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Class indices into ``AAMI_CLASSES`` and the class model's probabilities, per beat."""
        if len(features) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(AAMI_CLASSES)))
        probabilities = self.classes.predict(features[:, CLASS_COLUMNS])
        predicted = np.argmax(np.where(_NOT_Q, probabilities, -1.0), axis=1)
        predicted[np.argmax(self.paced.predict(features), axis=1) == _Q] = _Q
        predicted[(predicted == _N) & self.supraventricular.is_s(features)] = _S
        return (suppress_s_in_irregular_rhythm(predicted, irregularity, self.s_irregularity_limit),
                probabilities)


@lru_cache(maxsize=1)
def load_model() -> tuple[BeatModel, dict]:
    """The model and its metadata (classes, feature names, version), loaded once per process."""
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    if tuple(meta["features"]) != FEATURE_NAMES:
        raise RuntimeError("ecg_beats model was trained on other features; retrain it with "
                           "python -m classifier.ecg.train_beats")
    model = BeatModel(lgb.Booster(model_file=str(MODEL_DIR / "model.txt")),
                      lgb.Booster(model_file=str(MODEL_DIR / "paced_gate.txt")),
                      SupraventricularModel.from_dict(meta["s_model"]), meta["s_irregularity_limit"])
    return model, meta


def model_info() -> dict:
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    return {"name": "ecg_beats", "version": meta["version"], "classes": meta["classes"],
            "trained_on": "MIT-BIH Arrhythmia Database DS1 (de Chazal 2004 split) + paced records",
            "loaded": load_model.cache_info().currsize > 0}


def classify_beats(signal: np.ndarray, sampling_rate: float,
                   r_peaks: np.ndarray | None = None) -> tuple[list[dict], dict]:
    """Each beat's AAMI class and a summary of counts and rates.

    ``r_peaks`` (indices in ``signal``'s frame) are detected when not given. Returns
    ``(beats, beat_summary)``: beats are ``{"sample", "time_s", "class"}``; the summary has the
    recording's ``duration_s``, ``total_beats``, and per class ``counts``, ``per_minute`` and
    ``per_hour``, plus ``low_confidence_beats`` and the ``model_version``.
    """
    x = np.asarray(signal, dtype=np.float64)
    peaks = detect_r_peaks(x, sampling_rate) if r_peaks is None else np.asarray(r_peaks, np.int64)
    model, meta = load_model()
    classes = meta["classes"]
    features = beat_features(x, sampling_rate, peaks)
    if len(features) == 0:  # fewer than two beats: nothing to compare a beat with
        peaks = peaks[:0]
    predicted, probabilities = model.predict(features, rr_irregularity(peaks, sampling_rate))
    low_confidence = int(np.count_nonzero(probabilities.max(axis=1) < LOW_CONFIDENCE))
    beats = [{"sample": int(p), "time_s": round(float(p) / sampling_rate, 3), "class": classes[c]}
             for p, c in zip(peaks, predicted)]
    return beats, _summary(predicted, classes, len(x) / sampling_rate, low_confidence,
                           meta["version"])


def suppress_s_in_irregular_rhythm(predicted: np.ndarray, irregularity: np.ndarray,
                                   limit: float) -> np.ndarray:
    """Class indices with S calls turned into N where the surrounding rhythm is irregular.

    In atrial fibrillation normal beats arrive early all the time, and the model calls them S (it
    did for hundreds of beats of records 201 and 203). ``limit`` is set at training from the
    training records' own S beats (``train_beats.irregularity_limit``), never from test data.
    """
    predicted = predicted.copy()
    predicted[(predicted == _S) & (irregularity > limit)] = _N
    return predicted


def _summary(predicted: np.ndarray, classes: list[str], duration_s: float, low_confidence: int,
             version: str) -> dict[str, Any]:
    counts = np.bincount(predicted, minlength=len(classes))
    minutes = duration_s / 60.0
    return {
        "duration_s": round(duration_s, 2),
        "total_beats": int(counts.sum()),
        "counts": {c: int(n) for c, n in zip(classes, counts)},
        "per_minute": {c: round(float(n) / minutes, 2) for c, n in zip(classes, counts)},
        "per_hour": {c: round(float(n) * 60.0 / minutes, 1) for c, n in zip(classes, counts)},
        "low_confidence_beats": low_confidence,
        "model_version": version,
    }
