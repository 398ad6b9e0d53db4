"""RR evidence of atrial fibrillation, and how it would join the rhythm model's probabilities.

Evaluated, not served: under ``python -m training.ecg.evaluate_af`` (leave one MIT-BIH DS1
record out) the combination found no AF window the rhythm model missed and called AF in windows
of frequent ventricular ectopy (record 208), and on the CinC test split it added one false AF
call and no AF found, so ``classify_rhythm`` uses the rhythm model alone (model card, *Long
recordings*).

A logistic regression over the RR-irregularity features of one window (``features.rr_features``,
already computed for the rhythm model) gives an AF probability from the beat timing alone. Where
that probability reaches ``threshold`` (strong evidence: the regression is fitted on the CinC
development records by ``training.ecg.train_rr_af``, the threshold chosen on MIT-BIH DS1 by
``evaluate_af``) and exceeds the rhythm model's own AF probability, the window's AF
probability becomes the RR model's and the other classes share the rest in the model's proportions
(``combine``). A window the model calls ``Noisy Recording`` is left as it is: false detections in
noise are irregular too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from classifier.ecg.rhythm import AF, NOISY
from classifier.logistic import StandardisedLogistic
from classifier.paths import MODELS_DIR

RR_FILE = MODELS_DIR / "ecg_rhythm" / "rr_af.json"


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


def combine(probabilities: np.ndarray, rr_af: np.ndarray, classes: Sequence[str], threshold: float) -> np.ndarray:
    """Per-window probabilities with strong RR evidence of AF joined in (module docstring).

    ``probabilities`` is (windows, classes) from the rhythm model, ``rr_af`` the RR model's AF
    probability per window. Rows still sum to one.
    """
    out = np.array(probabilities, dtype=np.float64, copy=True)
    af, noisy = classes.index(AF), classes.index(NOISY)
    strong = (rr_af >= threshold) & (rr_af > out[:, af]) & (out.argmax(axis=1) != noisy)
    for i in np.flatnonzero(strong):
        rest = np.delete(out[i], af)
        out[i] = np.insert(rest / rest.sum() * (1.0 - rr_af[i]), af, rr_af[i])
    return out
