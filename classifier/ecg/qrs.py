"""QRS (R-peak) detection for single-lead ECG.

A Pan-Tompkins style detector (Pan & Tompkins 1985; Hamilton & Tompkins 1986): a 5-15 Hz band-pass
keeps the QRS and suppresses P/T waves and baseline, the squared slope integrated over 150 ms gives
one hump per QRS, and adaptive signal/noise levels with a search-back for missed beats decide which
humps are beats. It is written out here rather than taken from NeuroKit2 because NeuroKit2's
detectors miss long runs of wide (bundle-branch, ventricular) beats on MIT-BIH records 203 and 207
and mislocate beats on 108 (`python -m classifier.ecg.evaluate_beats --qrs-only` measures it).
"""
from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from classifier.signals import as_float_array, bandpass

_BAND_HZ = (5.0, 15.0)
_INTEGRATION_S = 0.15
_REFRACTORY_S = 0.2
_T_WAVE_S = 0.36
_SEARCH_BACK_RR = 1.66
_LOCATE_S = 0.08


def detect_r_peaks(signal: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Sample indices of R peaks in ``signal`` (at its own ``sampling_rate``), ascending.

    Each index is the largest deflection of the band-passed QRS. Returns an empty array when no
    beat can be found (a flat line, a signal shorter than one second).
    """
    x = as_float_array(signal)
    fs = float(sampling_rate)
    if len(x) < fs or np.ptp(x) == 0 or not np.all(np.isfinite(x)):
        return np.zeros(0, dtype=np.int64)
    qrs_band = bandpass(x, fs, *_BAND_HZ, order=2)
    slope = np.gradient(qrs_band)
    energy = _moving_average(slope * slope, max(1, int(round(_INTEGRATION_S * fs))))
    candidates, props = find_peaks(energy, distance=max(1, int(_REFRACTORY_S * fs)),
                                   height=0.0)
    if len(candidates) == 0:
        return np.zeros(0, dtype=np.int64)
    beats = _select_beats(candidates, props["peak_heights"], np.abs(slope), fs)
    return _locate(beats, qrs_band, fs)


def heart_rate_bpm(r_peaks: np.ndarray, sampling_rate: float) -> float | None:
    """Median heart rate from R-peak spacing; None with fewer than two beats."""
    if len(r_peaks) < 2:
        return None
    return float(60.0 * sampling_rate / np.median(np.diff(r_peaks)))


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average (so an energy hump stays centred on its QRS)."""
    csum = np.concatenate(([0.0], np.cumsum(x)))
    half = width // 2
    idx = np.arange(len(x))
    lo = np.clip(idx - half, 0, len(x))
    hi = np.clip(idx - half + width, 0, len(x))
    return (csum[hi] - csum[lo]) / width


def _select_beats(candidates: np.ndarray, heights: np.ndarray, abs_slope: np.ndarray,
                  fs: float) -> np.ndarray:
    """Pan-Tompkins decision rules over the integrated-energy peaks.

    A peak is a beat when it clears ``noise + 0.25 (signal - noise)``, unless it follows the last
    beat within 360 ms with less than half its steepest slope (a T wave); a beat that has more
    than twice the slope of one accepted less than 360 ms before replaces it (a tall P wave). When no beat has come for
    1.66 average RR intervals, the tallest rejected peak in the gap above half the threshold is
    taken back as a beat. The levels start from the recording's first 10 s.
    """
    start = heights[candidates < candidates[0] + 10 * fs]
    signal_level = float(np.percentile(start, 90)) * 0.5
    noise_level = float(np.percentile(start, 10))
    half_win = int(_LOCATE_S * fs)
    max_slope = np.array([abs_slope[max(0, c - half_win):c + half_win + 1].max() for c in candidates])
    t_wave_gap = int(_T_WAVE_S * fs)
    refractory = int(_REFRACTORY_S * fs)

    beats: list[int] = []
    rr_recent: list[float] = []
    rr_avg = fs
    last_rejected: list[int] = []  # candidate positions rejected since the last beat
    for i, (pos, h) in enumerate(zip(candidates, heights)):
        threshold = noise_level + 0.25 * (signal_level - noise_level)
        if beats and pos - beats[-1][0] > _SEARCH_BACK_RR * rr_avg and last_rejected:
            gap = [j for j in last_rejected if candidates[j] - beats[-1][0] > refractory
                   and pos - candidates[j] > refractory]
            if gap:
                j = max(gap, key=lambda k: heights[k])
                if heights[j] > 0.5 * threshold:
                    signal_level = 0.25 * heights[j] + 0.75 * signal_level
                    rr_avg = _add_rr(rr_recent, candidates[j] - beats[-1][0], rr_avg)
                    beats.append((int(candidates[j]), j))
                    last_rejected = [k for k in last_rejected if k > j]
        if h > threshold:
            if beats and pos - beats[-1][0] < t_wave_gap and max_slope[i] < 0.5 * max_slope[beats[-1][1]]:
                noise_level = 0.125 * h + 0.875 * noise_level
                last_rejected.append(i)
                continue
            if beats and pos - beats[-1][0] < t_wave_gap and max_slope[beats[-1][1]] < 0.5 * max_slope[i]:
                beats.pop()  # the previous "beat" was a tall P wave just ahead of this QRS
            if beats:
                rr_avg = _add_rr(rr_recent, pos - beats[-1][0], rr_avg)
            signal_level = 0.125 * h + 0.875 * signal_level
            beats.append((int(pos), i))
            last_rejected = []
        else:
            noise_level = 0.125 * h + 0.875 * noise_level
            last_rejected.append(i)
    return np.array([b[0] for b in beats], dtype=np.int64)


def _add_rr(recent: list[float], rr: float, current: float) -> float:
    """Average of the last eight RR intervals (the running rate the search-back compares with)."""
    recent.append(float(rr))
    del recent[:-8]
    return float(np.mean(recent)) if recent else current


def _locate(beats: np.ndarray, qrs_band: np.ndarray, fs: float) -> np.ndarray:
    """Move each beat to the largest band-passed deflection within 80 ms; drop duplicates."""
    half = int(_LOCATE_S * fs)
    located = []
    for b in beats:
        lo, hi = max(0, b - half), min(len(qrs_band), b + half + 1)
        located.append(lo + int(np.argmax(np.abs(qrs_band[lo:hi]))))
    located = np.unique(np.asarray(located, dtype=np.int64))
    if len(located) > 1:
        keep = np.concatenate(([True], np.diff(located) > int(_REFRACTORY_S * fs) // 2))
        located = located[keep]
    return located
