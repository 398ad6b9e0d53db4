"""ECG conditioning for the rhythm model: pure functions of ``(signal, sampling_rate)``.

The rhythm model works at the CinC 2017 rate (300 Hz) on a band-passed, robustly scaled copy of the
input, so that the input's rate (100-1000 Hz) and units (mV, uV, ADC counts) do not matter.
"""
from __future__ import annotations

import numpy as np

from classifier.signals import as_float_array, bandpass, resample, robust_scale

MODEL_RATE = 300.0
# 0.5 Hz removes baseline wander; 40 Hz keeps the QRS and atrial activity and drops mains/EMG noise.
BAND_HZ = (0.5, 40.0)


def to_model_rate(signal: np.ndarray, sampling_rate: float) -> np.ndarray:
    """The input resampled to :data:`MODEL_RATE` and scaled to unit inter-quartile range (unfiltered)."""
    return robust_scale(resample(as_float_array(signal), sampling_rate, MODEL_RATE))


def clean(signal: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Band-passed (baseline wander and high-frequency noise removed) and robustly scaled."""
    return robust_scale(bandpass(as_float_array(signal), sampling_rate, *BAND_HZ))


def orient(cleaned: np.ndarray, r_peaks: np.ndarray, sampling_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Flip an inverted recording so its dominant QRS deflection is positive; re-centre the peaks.

    Many CinC 2017 records are recorded upside down. Around each detected beat (+-60 ms) the larger
    of the median positive and negative excursions decides the polarity; each peak is then moved to
    the maximum of the oriented signal within that window, so morphology features see upright beats.
    """
    if len(r_peaks) == 0:
        return cleaned, r_peaks
    half = int(round(0.06 * sampling_rate))
    offsets = np.arange(-half, half + 1)
    idx = np.clip(r_peaks[:, None] + offsets[None, :], 0, len(cleaned) - 1)
    segments = cleaned[idx]
    base = np.median(cleaned)
    up = np.median(segments.max(axis=1) - base)
    down = np.median(base - segments.min(axis=1))
    oriented = -cleaned if down > up else cleaned
    refined = idx[np.arange(len(r_peaks)), np.argmax(oriented[idx], axis=1)]
    return oriented, np.unique(refined)


def to_input_frame(indices: np.ndarray, model_rate: float, input_rate: float, n_input: int) -> np.ndarray:
    """Sample indices at ``model_rate`` mapped to the input signal's own sample frame."""
    mapped = np.rint(np.asarray(indices, dtype=np.float64) * (input_rate / model_rate)).astype(np.int64)
    return np.clip(mapped, 0, max(n_input - 1, 0))
