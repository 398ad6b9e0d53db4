"""Signal processing shared by the ECG and EEG pipelines: pure functions of ``(signal, sampling_rate)``.

Each takes a 1-D float array and its rate in Hz and returns a new array; none keeps state.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy import signal as sps


def as_float_array(signal) -> np.ndarray:
    """A contiguous 1-D float64 copy of ``signal``; raises ValueError on other shapes."""
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"signal must be one-dimensional, got shape {x.shape}")
    return np.ascontiguousarray(x)


def bandpass(signal: np.ndarray, sampling_rate: float, low_hz: float, high_hz: float,
             order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth band-pass (second-order sections, forward and backward).

    ``high_hz`` is clipped below Nyquist so the same call works at any input rate.
    """
    return sps.sosfiltfilt(_bandpass_sos(float(sampling_rate), low_hz, high_hz, order), signal)


@lru_cache(maxsize=64)
def _bandpass_sos(sampling_rate: float, low_hz: float, high_hz: float, order: int) -> np.ndarray:
    """The filter design, cached: designing costs more than filtering a minute of ECG."""
    high = min(high_hz, 0.95 * sampling_rate / 2.0)
    return sps.butter(order, [low_hz, high], btype="bandpass", fs=sampling_rate, output="sos")


def resample(signal: np.ndarray, sampling_rate: float, target_rate: float) -> np.ndarray:
    """Polyphase resampling to ``target_rate`` (with its anti-aliasing filter)."""
    if abs(sampling_rate - target_rate) < 1e-9:
        return np.asarray(signal, dtype=np.float64)
    ratio = Fraction(target_rate / sampling_rate).limit_denominator(1000)
    return sps.resample_poly(signal, ratio.numerator, ratio.denominator)


def robust_scale(signal: np.ndarray) -> np.ndarray:
    """Centre on the median and divide by the inter-quartile range.

    Makes a recording's units irrelevant: millivolts, microvolts and raw ADC counts give the same
    output. A flat signal (zero spread) is returned as zeros rather than divided by zero.
    """
    centred = signal - np.median(signal)
    q75, q25 = np.percentile(centred, [75, 25])
    spread = q75 - q25
    if spread <= 0 or not np.isfinite(spread):
        spread = np.max(np.abs(centred))
    if spread <= 0 or not np.isfinite(spread):
        return np.zeros_like(centred)
    return centred / spread


def sliding_windows(n_samples: int, window: int, step: int) -> list[tuple[int, int]]:
    """``(start, stop)`` pairs covering ``n_samples``; the last window is aligned to the end.

    A signal shorter than one window gives the single pair ``(0, n_samples)``.
    """
    if n_samples <= window:
        return [(0, n_samples)]
    starts = list(range(0, n_samples - window + 1, step))
    if starts[-1] + window < n_samples:
        starts.append(n_samples - window)
    return [(s, s + window) for s in starts]
