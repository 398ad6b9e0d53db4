"""Temperature scaling of a multi-class model's logits and the expected calibration error."""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax


def calibrated(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Class probabilities from raw scores divided by ``temperature`` (rows sum to 1)."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels`` (validation data)."""
    logits = np.asarray(logits, dtype=np.float64)
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        return -log_softmax(logits / np.exp(log_t), axis=1)[rows, labels].mean()

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """Top-label ECE: confidence-vs-accuracy gap averaged over equal-width confidence bins."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    gap = 0.0
    for b in range(n_bins):
        inside = bins == b
        if inside.any():
            gap += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(gap)
