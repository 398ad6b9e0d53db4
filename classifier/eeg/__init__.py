"""EEG analysis: single-channel recordings classified window by window by the Bonn-trained model.

The model loads lazily on first use and is cached for the life of the process.
"""

from __future__ import annotations

import numpy as np

from classifier.finding import Finding


def analyze_eeg(signal: np.ndarray, sampling_rate: float) -> Finding:
    """Normal / interictal / seizure finding, with per-window results in ``Finding.windows``."""
    from classifier.eeg.analysis import analyze

    return analyze(signal, sampling_rate)


def models_info() -> list[dict]:
    from classifier.eeg import model

    meta = model.metadata()
    return [{"name": "eeg-bonn", "version": meta["version"], "classes": meta["classes"], "loaded": model.is_loaded()}]


def warm_up() -> None:
    from classifier.eeg import model

    model.load_model()
