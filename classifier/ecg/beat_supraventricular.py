"""The linear S-versus-N model: which beats are supraventricular ectopic (lgbm-9).

Supraventricular ectopic beats look like the patient's normal beats; what marks them is timing
(early against the beats just before, a pause after) and a different or hidden P wave. Trees over
147 features learn the training patients' S beats too closely; a strongly regularised logistic
regression on per-recording normalised RR and P-wave features carries over better, as in de
Chazal et al. (2004). A beat the tree model does not call V, F or Q is S where this model's
probability exceeds a threshold chosen on the training records alone, as is its feature set
(``training.ecg.train_beats.choose_s_recipe``).

Where atrial premature beats are most of a recording's beats (bigeminy, long runs) the recording's
median RR is itself premature, and beats measured against it look normal; the ``local`` set
therefore measures RR against the beats just before (``preceding_rr_ratios``) and the surrounding
beats only, and ``local_and_recording`` adds the RR over the recording's median.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
from sklearn.linear_model import LogisticRegression

from classifier.ecg.beat_features import FEATURE_NAMES
from classifier.logistic import StandardisedLogistic

# The RR of the beat and of the beat after it over the mean of the PRECEDING_BEATS RR intervals
# before the beat (prematurity and compensatory pause against the rhythm just before), and the
# sum of the two over twice that mean (a full compensatory pause gives 1).
PRECEDING_BEATS = 8
PRECEDING_NAMES = ("pre_preceding", "post_preceding", "pause_preceding")
# Two candidate feature sets; training chooses one inside its own records
# (``train_beats.choose_s_recipe``). "local": RR ratios to the beats around the beat only (no RR in
# seconds, nothing over the recording's median RR), the P wave against the recording's dominant P
# wave (correlation and energy, and both as z-scores within the recording), the QRS against the
# dominant beat, and the timing of the beat's look-alikes. "local_and_recording": the same and the
# RR over the recording's median RR.
FEATURE_SETS = {
    "local": PRECEDING_NAMES
    + (
        "pre_local",
        "post_local",
        "post_pre",
        "pre_median",
        "post_median",
        "local_irregularity",
        "corr_p",
        "p_energy_ratio",
        "corr_p_in_recording",
        "p_energy_ratio_in_recording",
        "corr_qrs",
        "corr_window",
        "template_distance",
        "nbr_pre_median",
        "pre_median_minus_nbr",
    ),
}
FEATURE_SETS["local_and_recording"] = FEATURE_SETS["local"] + (
    "pre_ratio",
    "post_ratio",
    "local_ratio",
    "irregularity_30",
    "nbr_pre_ratio",
)
_PRE_RR, _POST_RR = FEATURE_NAMES.index("pre_rr_s"), FEATURE_NAMES.index("post_rr_s")
_CLIP = 20.0  # robust z-scores and energy ratios of noise bursts reach the hundreds
_C = 0.01  # inverse regularisation strength: a few broad cues, not one patient's details


@dataclass(frozen=True)
class SupraventricularModel(StandardisedLogistic):
    """The logistic S model over one of ``FEATURE_SETS`` (``feature_names``), with its threshold."""

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(S) against N for each row of a ``FEATURE_NAMES`` matrix (class-balanced training)."""
        return self.probability_of_standardised((select(features, self.feature_names) - self.mean) / self.scale)

    def is_s(self, features: np.ndarray) -> np.ndarray:
        return self.probability(features) > self.threshold

    @classmethod
    def from_dict(cls, data: Mapping) -> SupraventricularModel:
        if tuple(data["feature_names"]) not in FEATURE_SETS.values():
            raise RuntimeError(
                "the S model was trained on other features; retrain it with python -m training.ecg.train_beats"
            )
        return super().from_dict(data)


def select(features: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The ``names`` features of each beat of a ``FEATURE_NAMES`` matrix (in beat order, which
    ``PRECEDING_NAMES`` need), clipped to +-20."""
    preceding = dict(zip(PRECEDING_NAMES, preceding_rr_ratios(features).T))
    columns = [preceding[n] if n in preceding else features[:, FEATURE_NAMES.index(n)] for n in names]
    return np.clip(np.column_stack(columns).astype(np.float64), -_CLIP, _CLIP)


def preceding_rr_ratios(features: np.ndarray) -> np.ndarray:
    """``PRECEDING_NAMES`` per beat: its RR, the next beat's RR and their sum over the mean of the
    ``PRECEDING_BEATS`` RR intervals before the beat (fewer at the start; the first beat its own)."""
    pre = features[:, _PRE_RR].astype(np.float64)
    post = features[:, _POST_RR].astype(np.float64)
    total = np.concatenate(([0.0], np.cumsum(pre)))
    i = np.arange(len(pre))
    first = np.maximum(i - PRECEDING_BEATS, 0)
    count = i - first
    mean = np.where(count > 0, (total[i] - total[first]) / np.maximum(count, 1), pre)
    mean = np.maximum(mean, 1e-3)
    return np.column_stack([pre / mean, post / mean, (pre + post) / (2 * mean)])


def fit_s_model(x: np.ndarray, is_s: np.ndarray, threshold: float, names: tuple[str, ...]) -> SupraventricularModel:
    """Fit on normal and S beats only, rows of ``select(features, names)`` taken over each whole
    recording (the preceding RR need every beat), with balanced class weights."""
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    model = LogisticRegression(C=_C, class_weight="balanced", max_iter=2000)
    model.fit((x - mean) / scale, is_s)
    return SupraventricularModel(names, mean, scale, model.coef_[0], float(model.intercept_[0]), threshold)
