"""Signal-quality indices of a single-lead ECG and the gate that marks a recording unusable.

The indices feed the rhythm model (which learns the CinC "Noisy Recording" class from them) and
:func:`is_unreadable`, a rule for inputs unlike any training record (a flat line, pure noise), which
must never reach a rhythm diagnosis.
"""
from __future__ import annotations

import numpy as np
from scipy import signal as sps
from scipy import stats

# A rhythm needs beats: fewer than this many per 10 s (18 bpm) is no ECG a rhythm can be read from.
MIN_BEATS_PER_10S = 3.0
# Median correlation of the beats with their own average below which no consistent QRS is present.
MIN_TEMPLATE_CORRELATION = 0.5


def quality_indices(raw: np.ndarray, cleaned: np.ndarray, r_peaks: np.ndarray,
                    sampling_rate: float) -> dict[str, float]:
    """Quality indices; ``raw`` is the unfiltered scaled signal, ``cleaned`` its band-passed copy."""
    fs = sampling_rate
    seconds = len(raw) / fs
    tenth = max(int(0.1 * fs), 1)
    n_tenths = len(raw) // tenth
    blocks = raw[:n_tenths * tenth].reshape(n_tenths, tenth)
    ptp = np.ptp(raw)
    two_s = max(int(2 * fs), 1)
    n_two = len(cleaned) // two_s
    ranges = np.ptp(cleaned[:n_two * two_s].reshape(n_two, two_s), axis=1) if n_two else np.array([np.ptp(cleaned)])
    freqs, power = sps.welch(raw, fs=fs, nperseg=min(len(raw), int(4 * fs)))
    total = power.sum() + 1e-12
    rr = np.diff(r_peaks) / fs
    return {
        "q_flat_fraction": float(np.mean(np.ptp(blocks, axis=1) < 0.05)) if n_tenths else 1.0,
        "q_saturated_fraction": float(np.mean((raw >= raw.max() - 0.01 * ptp) | (raw <= raw.min() + 0.01 * ptp)))
        if ptp > 0 else 1.0,
        "q_kurtosis": float(stats.kurtosis(cleaned)),
        "q_skewness": float(stats.skew(cleaned)),
        "q_beats_per_10s": 10.0 * len(r_peaks) / seconds,
        "q_implausible_rr": float(np.mean((rr < 0.25) | (rr > 2.0))) if len(rr) else 1.0,
        "q_range_cv": float(np.std(ranges) / (np.mean(ranges) + 1e-12)),
        "q_range_max_ratio": float(ranges.max() / (np.median(ranges) + 1e-12)),
        "q_hf_power": float(power[freqs > 40].sum() / total),
        "q_lf_power": float(power[freqs < 0.7].sum() / total),
    }


def is_unreadable(n_beats: int, seconds: float, template_correlation: float) -> bool:
    """True when no beat-to-beat rhythm can be read at all: too few beats or no consistent QRS."""
    return (10.0 * n_beats / seconds < MIN_BEATS_PER_10S
            or not np.isfinite(template_correlation)
            or template_correlation < MIN_TEMPLATE_CORRELATION)
