"""Conformal prediction sets (Mondrian cross-conformal) and a distance-based out-of-distribution score.

Both are calibrated on data the model was not fitted on, so that on new data drawn like the
training data:

- the prediction set ``{class k : p-value(k) > alpha}`` holds the true class with probability about
  ``1 - alpha``, for every class separately (Mondrian: a class is compared only with calibration
  items of that class). The score is ``1 - p(class)`` (the "least ambiguous set-valued classifier"
  score; Sadinle, Lei and Wasserman 2019). Cross-conformal (Vovk 2015; CV+, Barber et al. 2021):
  every calibration item's score comes from the cross-validation fold model that did not see it,
  and a new item is scored by each fold model in turn and compared with that fold's calibration
  items only, so calibration and new scores come from the same models. With one fold this is
  split-conformal: the class is in the set when its score is at most the
  ``ceil((n + 1)(1 - alpha))``-th smallest of the n calibration scores of that class. A set of more
  than one class means the model cannot tell them apart at that level; an empty set means no class
  reaches it.
- the Mahalanobis distance of a feature vector from the training features (Ledoit-Wolf shrunk
  covariance of standardised features) exceeds its calibration quantile only rarely: a larger one
  says the recording is unlike anything the model was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.covariance import LedoitWolf


@dataclass(frozen=True)
class Calibration:
    """The calibration items: ``scores`` ``1 - p(true class)`` from the fold model that did not see
    the item, the true class (``labels``) and that fold (``folds``, 0 ... n_folds - 1)."""

    scores: np.ndarray
    labels: np.ndarray
    folds: np.ndarray

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"scores": self.scores, "labels": self.labels, "folds": self.folds}


def p_values(calibration: Calibration, fold_probabilities: np.ndarray) -> np.ndarray:
    """Mondrian cross-conformal p-values, one row per item and one column per class.

    ``fold_probabilities`` has shape (folds, items, classes): each fold model's probabilities of the
    new items. The p-value of class k is ``(1 + the number of class-k calibration items whose score
    is at least the new item's score for k under the same fold's model) / (n_k + 1)``.
    """
    fold_probabilities = np.asarray(fold_probabilities, dtype=float)
    n_folds, n_items, n_classes = fold_probabilities.shape
    counts = np.ones((n_items, n_classes))
    for fold in range(n_folds):
        for k in range(n_classes):
            scores = np.sort(calibration.scores[(calibration.folds == fold) & (calibration.labels == k)])
            counts[:, k] += len(scores) - np.searchsorted(scores, 1.0 - fold_probabilities[fold, :, k], side="left")
    return counts / (np.bincount(calibration.labels, minlength=n_classes) + 1)


def prediction_sets(p: np.ndarray, alpha: float) -> np.ndarray:
    """Boolean membership matrix (rows: items, columns: classes) of the ``1 - alpha`` sets of the
    p-values ``p``."""
    return np.atleast_2d(p) > alpha


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
