"""Calibration, in one place: softmax, temperature scaling and the expected calibration error.

Every model's probabilities come from :func:`softmax` of its scores divided by a temperature fitted
on held-out or out-of-fold data; every ECE figure in the model cards and the README is
:func:`calibration_error` with ``ECE_BINS`` equal-width bins, so the figures can be compared.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from scipy.special import softmax as _softmax

# Equal-width confidence bins of every ECE figure: [0, 1/15), [1/15, 2/15), ..., [14/15, 1].
ECE_BINS = 15


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a (rows, classes) array of scores."""
    return _softmax(np.asarray(scores, dtype=np.float64), axis=1)


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Class probabilities from raw scores divided by ``temperature`` (rows sum to 1)."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels`` (validation data)."""
    logits = np.asarray(logits, dtype=np.float64)
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        return -log_softmax(logits / np.exp(log_t), axis=1)[rows, labels].mean()

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = ECE_BINS) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width confidence bins
    weighted by how many predictions fall in each. ``confidence`` is the probability of each
    reported label, ``correct`` whether that label was right."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    gap = 0.0
    for b in range(n_bins):
        inside = bins == b
        if inside.any():
            gap += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(gap)


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Top-label ECE of class probabilities (the most probable class is the one reported)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return calibration_error(probabilities.max(axis=1), probabilities.argmax(axis=1) == labels)
