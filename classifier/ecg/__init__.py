"""ECG analysis: rhythm (CinC 2017 model) and, where available, beat-by-beat ectopy (MIT-BIH model)."""
from __future__ import annotations

import numpy as np

from classifier.finding import Finding


def analyze_ecg(signal: np.ndarray, sampling_rate: float) -> Finding:
    """Rhythm finding for a single-lead ECG, with R peaks, heart rate and beats."""
    from classifier.ecg.rhythm import classify_rhythm
    return classify_rhythm(signal, sampling_rate)


def models_info() -> list[dict]:
    from classifier.ecg import rhythm
    return [rhythm.model_info()]


def warm_up() -> None:
    from classifier.ecg import rhythm
    rhythm.load_model()
