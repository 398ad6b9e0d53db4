"""QRS (R-peak) detection for single-lead ECG."""
from __future__ import annotations

import numpy as np
import neurokit2 as nk


def detect_r_peaks(signal: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Sample indices of R peaks in ``signal`` (at its own ``sampling_rate``).

    NeuroKit2's default detector (steep-slope QRS search on the cleaned signal). Returns an empty
    array when no beat can be found (a flat line, pure noise).
    """
    if np.ptp(signal) == 0:
        return np.zeros(0, dtype=np.int64)
    cleaned = nk.ecg_clean(signal, sampling_rate=sampling_rate, method="neurokit")
    try:
        _, info = nk.ecg_peaks(cleaned, sampling_rate=sampling_rate, method="neurokit")
    except (ValueError, IndexError, ZeroDivisionError):
        return np.zeros(0, dtype=np.int64)
    return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)


def heart_rate_bpm(r_peaks: np.ndarray, sampling_rate: float) -> float | None:
    """Median heart rate from R-peak spacing; None with fewer than two beats."""
    if len(r_peaks) < 2:
        return None
    return float(60.0 * sampling_rate / np.median(np.diff(r_peaks)))
