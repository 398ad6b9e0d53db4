"""A linear S-versus-N model: a second opinion on beats the tree model calls normal.

Supraventricular ectopic beats look like the patient's normal beats; what marks them is timing
(early against the recording's and the local rhythm, a pause after) and a different or hidden P
wave. Trees over 147 features learn the training patients' S beats too closely and found only about
two in five S beats of unseen patients in cross-validation; a strongly regularised logistic
regression on the per-recording normalised RR and P-wave features carries over better, as in de
Chazal et al. (2004). A beat the tree model calls N becomes S where this model's probability exceeds
a threshold chosen on the training records alone (``train_beats.choose_s_threshold``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from classifier.ecg.beat_features import FEATURE_NAMES, RR_NAMES

# Per-recording relative features only: RR in seconds says more about a patient's heart rate than
# about prematurity.
S_FEATURES = tuple(name for name in RR_NAMES if not name.endswith("_rr_s")) + (
    "corr_p", "p_energy_ratio", "corr_qrs", "corr_window", "template_distance",
    "corr_p_in_recording", "p_energy_ratio_in_recording", "nbr_pre_median", "pre_median_minus_nbr",
    "nbr_pre_ratio")
_COLUMNS = np.array([FEATURE_NAMES.index(name) for name in S_FEATURES])
_CLIP = 20.0  # robust z-scores and energy ratios of noise bursts reach the hundreds
_C = 0.01  # inverse regularisation strength: a few broad cues, not one patient's details


@dataclass(frozen=True)
class SupraventricularModel:
    """Standardisation, logistic coefficients over ``S_FEATURES`` and the decision threshold."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(S) against N for each row of a ``FEATURE_NAMES`` matrix (class-balanced training)."""
        z = (select(features) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(z @ self.coef + self.intercept)))

    def is_s(self, features: np.ndarray) -> np.ndarray:
        return self.probability(features) > self.threshold

    def to_dict(self) -> dict:
        return {"features": list(S_FEATURES), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, d: dict) -> SupraventricularModel:
        if tuple(d["features"]) != S_FEATURES:
            raise RuntimeError("the S model was trained on other features; retrain it with "
                               "python -m training.ecg.train_beats")
        return cls(np.asarray(d["mean"]), np.asarray(d["scale"]), np.asarray(d["coef"]),
                   float(d["intercept"]), float(d["threshold"]))


def select(features: np.ndarray) -> np.ndarray:
    """The ``S_FEATURES`` columns of a ``FEATURE_NAMES`` matrix, clipped to +-20."""
    return np.clip(features[:, _COLUMNS].astype(np.float64), -_CLIP, _CLIP)


def fit_s_model(features: np.ndarray, is_s: np.ndarray, threshold: float) -> SupraventricularModel:
    """Fit on normal and S beats only (``FEATURE_NAMES`` rows), with balanced class weights."""
    x = select(features)
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    model = LogisticRegression(C=_C, class_weight="balanced", max_iter=2000)
    model.fit((x - mean) / scale, is_s)
    return SupraventricularModel(mean, scale, model.coef_[0], float(model.intercept_[0]), threshold)
