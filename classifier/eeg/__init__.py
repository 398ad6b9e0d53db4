"""EEG analysis: single-channel segments classified by the Bonn-trained model."""
from __future__ import annotations

import numpy as np

from classifier.finding import Finding


def analyze_eeg(signal: np.ndarray, sampling_rate: float) -> Finding:
    raise NotImplementedError("EEG model not built yet (issue 4)")


def models_info() -> list[dict]:
    return []


def warm_up() -> None:
    return None
