"""Split-conformal prediction sets and a distance-based out-of-distribution score.

Both are calibrated on data the model was not fitted on (out-of-fold predictions of the training
side), so that on new data drawn like the training data:

- the prediction set ``{class : p(class) >= 1 - threshold}`` holds the true class with probability
  at least ``1 - alpha`` (the "least ambiguous set-valued classifier" score, ``1 - p(true class)``;
  Sadinle, Lei and Wasserman 2019). A set of more than one class means the model cannot tell them
  apart at that level; an empty set means no class reaches it.
- the Mahalanobis distance of a feature vector from the training features (Ledoit-Wolf shrunk
  covariance of standardised features) exceeds its calibration quantile only rarely: a larger one
  says the recording is unlike anything the model was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.covariance import LedoitWolf


def conformal_threshold(true_class_probabilities: np.ndarray, alpha: float) -> float:
    """The split-conformal quantile of the scores ``1 - p(true class)`` of the calibration items:
    the ``ceil((n + 1)(1 - alpha))``-th smallest (1.0 when n is too small for it)."""
    scores = np.sort(1.0 - np.asarray(true_class_probabilities, dtype=float))
    k = int(np.ceil((len(scores) + 1) * (1.0 - alpha)))
    return 1.0 if k > len(scores) else float(scores[k - 1])


def class_conditional_thresholds(probabilities: np.ndarray, labels: np.ndarray, alpha: float) -> np.ndarray:
    """Mondrian (class-conditional) split-conformal thresholds, one per class (column): each from
    the calibration items of that class only, so the set holds the true class with probability at
    least ``1 - alpha`` for every class, not just on average over classes."""
    probabilities, labels = np.atleast_2d(probabilities), np.asarray(labels)
    return np.array([conformal_threshold(probabilities[labels == k, k], alpha) for k in range(probabilities.shape[1])])


def prediction_sets(probabilities: np.ndarray, threshold: float | np.ndarray) -> np.ndarray:
    """Boolean membership matrix (rows: items, columns: classes) of the conformal sets; a
    ``threshold`` per class (an array) gives the class-conditional sets."""
    return np.atleast_2d(probabilities) >= 1.0 - threshold


@dataclass(frozen=True)
class Mahalanobis:
    """Distance from the training features: standardise, then the shrunk-covariance Mahalanobis
    distance from their mean."""

    mean: np.ndarray
    scale: np.ndarray
    precision: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> "Mahalanobis":
        mean, scale = X.mean(axis=0), X.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        covariance = LedoitWolf().fit((X - mean) / scale).covariance_
        return cls(mean, scale, np.linalg.inv(covariance))

    def distances(self, X: np.ndarray) -> np.ndarray:
        z = (np.atleast_2d(X) - self.mean) / self.scale
        return np.sqrt(np.einsum("ij,jk,ik->i", z, self.precision, z))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "scale": self.scale, "precision": self.precision}
