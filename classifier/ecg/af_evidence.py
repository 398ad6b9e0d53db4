"""RR evidence of atrial fibrillation on normal-to-normal intervals, joined to the rhythm model.

The CinC rhythm model misses some AF that the beat timing alone shows plainly (Holter recordings
unlike CinC's short single-lead strips). A logistic regression over the RR-irregularity features of
``features.rr_features`` (``RrAfModel``, fitted on the CinC development records by
``training.ecg.train_rr_af``) gives an AF probability from the timing alone. It is computed on the
intervals between beats the beat model does not call ventricular (V, F) or paced/unclassifiable
(Q): an interval that starts or ends on such a beat is dropped, so a premature ventricular beat and
its compensatory pause, which make sinus rhythm look irregular, do not count as AF evidence
(``nn_rr_features``). Supraventricular calls stay: inside AF the beat model calls irregular beats S.

Where that probability reaches ``threshold`` (strong evidence; chosen leaving one MIT-BIH DS1
record out by ``python -m training.ecg.evaluate_af --write-threshold``) and exceeds the rhythm
model's own AF probability, while the model itself gives AF at least ``MODEL_AF_FLOOR``, the
window's AF probability becomes the RR model's and the other classes share the rest in the model's
proportions (``combine``). The RR evidence thus settles windows the model finds ambiguous; it does
not overrule a model that all but rules AF out, as it does in the slow irregular junctional and
blocked stretches of MIT-BIH 201, whose RR series look like AF. A window the model calls
``Noisy Recording`` is left as it is: false detections in noise are irregular too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from classifier.ecg.features import rr_features
from classifier.ecg.rhythm import AF, NOISY
from classifier.loading import CommittedModel
from classifier.logistic import StandardisedLogistic
from classifier.paths import MODELS_DIR

RR_FILE = MODELS_DIR / "ecg_rhythm" / "rr_af.json"
NOT_NORMAL_TO_NORMAL = ("V", "F", "Q")
# Set by hand, not chosen on data: RR evidence joins only where the model gives AF one chance in ten.
MODEL_AF_FLOOR = 0.1
# rr_features reads R peaks at a rate: the normal-to-normal series is rebuilt at this one.
_SERIES_RATE = 1000.0


@dataclass(frozen=True)
class RrAfModel(StandardisedLogistic):
    """Standardised logistic regression on RR features; NaN features (too few beats) count as the mean."""

    def af_probability(self, windows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """The RR model's AF probability for each window's feature dict."""
        if not windows:
            return np.zeros(0)
        x = np.array([[w[name] for name in self.feature_names] for w in windows], dtype=np.float64)
        z = np.nan_to_num((x - self.mean) / self.scale, nan=0.0, posinf=20.0, neginf=-20.0)
        return self.probability_of_standardised(np.clip(z, -20.0, 20.0))

    @classmethod
    def load(cls, path: Path = RR_FILE) -> "RrAfModel":
        return cls.from_dict(json.loads(Path(path).read_text()))


COMMITTED = CommittedModel(lambda folder: RrAfModel.load(folder / RR_FILE.name), RR_FILE.parent)


def load_rr_model() -> RrAfModel:
    """The committed RR model (loaded once per process)."""
    return COMMITTED.get()


def nn_rr_features(times_s: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """``rr_features`` of the normal-to-normal intervals of one window's beats (module docstring).

    ``times_s`` are the beats' times in order and ``classes`` their AAMI classes. The kept
    intervals are laid end to end, so a dropped interval leaves no gap in the series.
    """
    times = np.asarray(times_s, dtype=np.float64)
    excluded = np.isin(np.asarray(classes, dtype=object), NOT_NORMAL_TO_NORMAL)
    intervals = np.diff(times)[~excluded[:-1] & ~excluded[1:]] if len(times) > 1 else np.zeros(0)
    peaks = np.concatenate([[0.0], np.cumsum(intervals)]) * _SERIES_RATE
    return rr_features(peaks, _SERIES_RATE)


def rr_af_per_window(
    windows_s: Sequence[tuple[float, float]], beats: Sequence[Mapping], model: RrAfModel
) -> np.ndarray:
    """The RR model's AF probability of each window ``(start_s, end_s)``, from the beats inside it
    (``{"time_s", "class"}``, in time order); 0 (no evidence) where too few intervals are left."""
    times = np.array([b["time_s"] for b in beats], dtype=np.float64)
    classes = [b["class"] for b in beats]
    feats = []
    for start, end in windows_s:
        inside = np.flatnonzero((times >= start) & (times < end))
        feats.append(nn_rr_features(times[inside], [classes[i] for i in inside]))
    too_few_intervals = np.array([np.isnan(f["rr_cv"]) for f in feats], dtype=bool)
    return np.where(too_few_intervals, 0.0, model.af_probability(feats))


def combine(probabilities: np.ndarray, rr_af: np.ndarray, classes: Sequence[str], threshold: float) -> np.ndarray:
    """Per-window probabilities with strong RR evidence of AF joined in (module docstring).

    ``probabilities`` is (windows, classes) from the rhythm model, ``rr_af`` the RR model's AF
    probability per window. Rows still sum to one.
    """
    out = np.array(probabilities, dtype=np.float64, copy=True)
    af, noisy = classes.index(AF), classes.index(NOISY)
    considered = (out[:, af] >= MODEL_AF_FLOOR) & (out.argmax(axis=1) != noisy)
    strong = (rr_af >= threshold) & (rr_af > out[:, af]) & considered
    for i in np.flatnonzero(strong):
        rest = np.delete(out[i], af)
        out[i] = np.insert(rest / rest.sum() * (1.0 - rr_af[i]), af, rr_af[i])
    return out
