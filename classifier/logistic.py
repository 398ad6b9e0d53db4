"""A standardised logistic regression stored as plain numbers (JSON-friendly, no pickles)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np


@dataclass(frozen=True)
class StandardisedLogistic:
    """Feature names, standardisation, coefficients, intercept and a decision threshold."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float

    def probability_of_standardised(self, z: np.ndarray) -> np.ndarray:
        """The logistic probability of each row of standardised features ``z``."""
        return 1.0 / (1.0 + np.exp(-(z @ self.coef + self.intercept)))

    def to_dict(self) -> dict:
        return {
            "feature_names": list(self.feature_names),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Mapping):
        return cls(
            tuple(data["feature_names"]),
            np.asarray(data["mean"]),
            np.asarray(data["scale"]),
            np.asarray(data["coef"]),
            float(data["intercept"]),
            float(data["threshold"]),
        )
