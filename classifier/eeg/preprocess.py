"""EEG preprocessing: pure functions of ``(signal, sampling_rate)``.

Every recording, whatever its rate (100-1000 Hz) and units, is brought to the form the model was
trained on: resampled to :data:`TARGET_RATE`, band-limited to the Bonn recordings' 0.53-40 Hz band
and cut into :data:`WINDOW_SECONDS` windows, each scaled by its own median and inter-quartile range
(so microvolts and raw ADC counts give the same features).
"""

from __future__ import annotations

import numpy as np

from classifier import signals

TARGET_RATE = 128.0  # Hz: twice the 40 Hz band edge with margin, and 4x fewer samples than 512 Hz
BAND_HZ = (0.5, 40.0)  # the band the Bonn segments were recorded in (0.53-40 Hz)
WINDOW_SECONDS = 4.0  # analysis window; the EEG minimum duration in classifier/limits.py
STEP_SECONDS = 2.0  # half-overlapping windows
SEGMENT_SECONDS = 4097 / 173.61  # one Bonn segment (23.6 s): the unit the model was evaluated on

# A window is unusable when this fraction of its samples is stuck: clipped at the recording's
# extreme value, or inside a run of identical values lasting STUCK_RUN_SECONDS or more. Measured on
# the 500 Bonn segments: the longest run of identical samples is 40 ms, and the most clipped segment
# (F009, at the 12-bit rail 2047) has 1.3% of its samples at an extreme.
STUCK_RUN_SECONDS = 0.1
MAX_STUCK_FRACTION = 0.2


def prepare(signal: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Remove the median, resample to TARGET_RATE and band-pass to BAND_HZ (units unchanged).

    The median goes first because resampling and zero-phase filtering pad the ends: a DC offset
    that is large next to the EEG (raw ADC counts around a mid-scale value, a millivolt recording
    with an electrode offset) would otherwise leave edge transients that change the first and last
    windows' features with the units.
    """
    x = signals.as_float_array(signal)
    x = signals.resample(x - np.median(x), sampling_rate, TARGET_RATE)
    return signals.bandpass(x, TARGET_RATE, *BAND_HZ)


def scaled_windows(prepared: np.ndarray, bounds: list[tuple[int, int]]) -> np.ndarray:
    """The windows ``bounds`` of a prepared signal, one per row, each scaled by its own median and
    inter-quartile range: ``signals.robust_scale`` of every window at once, the same output to the
    last bit (tests/test_eeg.py), about 10x faster on a 10-minute recording than one call per window.
    """
    windows = np.stack([prepared[start:stop] for start, stop in bounds])
    centred = windows - np.median(windows, axis=1, keepdims=True)
    q75, q25 = np.percentile(centred, [75, 25], axis=1)
    spread = q75 - q25
    # robust_scale's fallbacks: the largest deviation when the IQR is zero, zeros for a flat window
    spread = np.where((spread > 0) & np.isfinite(spread), spread, np.max(np.abs(centred), axis=1))
    usable = (spread > 0) & np.isfinite(spread)
    return np.where(usable[:, None], centred / np.where(usable, spread, 1.0)[:, None], 0.0)


def stuck_samples(signal: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Boolean mask of samples that carry no signal: at the recording's minimum or maximum value
    (saturation, when it repeats) or inside a constant run of at least STUCK_RUN_SECONDS."""
    x = signals.as_float_array(signal)
    at_rail = (x == x.max()) | (x == x.min())
    if np.count_nonzero(at_rail) <= 2:  # a single extreme sample is not saturation
        at_rail[:] = False
    change = np.flatnonzero(np.diff(x) != 0) + 1
    starts = np.r_[0, change]
    lengths = np.diff(np.r_[starts, len(x)])
    in_long_run = np.repeat(lengths >= STUCK_RUN_SECONDS * sampling_rate, lengths)
    return at_rail | in_long_run


def window_bounds(n_samples: int, rate: float, window_seconds: float = WINDOW_SECONDS) -> list[tuple[int, int]]:
    """``(start, stop)`` sample indices of the analysis windows of a prepared signal (the length is
    a parameter only so that cross-validation can compare window lengths)."""
    return signals.sliding_windows(n_samples, int(round(window_seconds * rate)), int(round(STEP_SECONDS * rate)))


def usable_windows(signal: np.ndarray, sampling_rate: float, bounds: list[tuple[int, int]]) -> np.ndarray:
    """For each window (bounds at TARGET_RATE), whether it is usable: not mostly stuck or flat."""
    stuck = stuck_samples(signal, sampling_rate)
    scale = sampling_rate / TARGET_RATE
    usable = []
    for start, stop in bounds:
        raw = slice(int(start * scale), max(int(stop * scale), int(start * scale) + 1))
        usable.append(stuck[raw].mean() <= MAX_STUCK_FRACTION)
    return np.asarray(usable, dtype=bool)
