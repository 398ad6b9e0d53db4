"""Per-beat features for ectopy classification: a pure function of ``(signal, sampling_rate, r_peaks)``.

Inter-patient generalisation rests on normalising every feature by the recording itself (de
Chazal et al. 2004; Llamedo & Martinez 2011): RR intervals are divided by the recording's median RR
and by the local rhythm, and beat shapes are compared with the recording's own dominant beat and
with its other beats, so the model learns "premature and differently shaped than this patient's
usual beat" rather than one patient's absolute amplitudes and rates. The beat's look-alikes in
its recording add context (``beat_neighbours``).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from classifier.ecg.beat_neighbours import NEIGHBOUR_NAMES, look_alikes, neighbour_features
from classifier.signals import as_float_array, bandpass, resample

RATE_HZ = 360.0  # the MIT-BIH rate the model is trained at; other rates are resampled to it
_BAND_HZ = (0.5, 40.0)
_WINDOW_S = (-0.25, 0.40)
_BIN = 9  # samples per morphology bin at 360 Hz (25 ms)
_QRS_S = 0.06
_P_S = (-0.25, -0.08)
_LOCAL_BEATS = 10
_MEDIAN_BEATS = 11
_RHYTHM_BEATS = 30
_IRREGULARITY_BEATS = 21

RR_NAMES = (
    "pre_rr_s",
    "post_rr_s",
    "local_rr_s",
    "pre_ratio",
    "post_ratio",
    "local_ratio",
    "pre_local",
    "post_pre",
    "post_local",
    "local_irregularity",
    "pre_median",
    "post_median",
    "irregularity_30",
)
_N_BINS = int(round((_WINDOW_S[1] - _WINDOW_S[0]) * RATE_HZ)) // _BIN
ABSOLUTE_BIN_NAMES = tuple(f"bin{i}" for i in range(_N_BINS))
SHAPE_NAMES = (
    ABSOLUTE_BIN_NAMES
    + tuple(f"bin{i}_minus_template" for i in range(_N_BINS))
    + (
        "corr_window",
        "corr_qrs",
        "corr_p",
        "qrs_width_s",
        "qrs_energy_ratio",
        "p_energy_ratio",
        "amp_max",
        "amp_min",
        "ptp_ratio",
        "template_distance",
    )
)
# Every shape feature again, as a robust z-score within its recording (median and IQR over all
# the recording's beats): how unusual a beat is for this patient.
RELATIVE_NAMES = tuple(f"{name}_in_recording" for name in SHAPE_NAMES)
_RR = {name: i for i, name in enumerate(RR_NAMES)}
_SHAPE = {name: i for i, name in enumerate(SHAPE_NAMES)}
FEATURE_NAMES = RR_NAMES + SHAPE_NAMES + RELATIVE_NAMES + NEIGHBOUR_NAMES
# The beat class model leaves out what is absolute, not relative to the recording: the window's
# amplitudes, RR intervals and QRS width in seconds. One patient's absolute QRS shape and heart rate
# do not transfer to another's; without them more ectopic beats of unseen patients were found in
# cross-validation. Only the paced-beat gate uses them: a paced recording's dominant beat is paced,
# so nothing relative to the recording can tell it.
ABSOLUTE_NAMES = ABSOLUTE_BIN_NAMES + ("pre_rr_s", "post_rr_s", "local_rr_s", "qrs_width_s")
CLASS_MODEL_FEATURES = tuple(name for name in FEATURE_NAMES if name not in ABSOLUTE_NAMES)


def beat_features(signal: np.ndarray, sampling_rate: float, r_peaks: np.ndarray) -> np.ndarray:
    """A ``(len(r_peaks), len(FEATURE_NAMES))`` float32 matrix, one row per beat.

    ``r_peaks`` are indices in ``signal``'s own sample frame. Needs at least two beats (one RR
    interval); fewer give an empty matrix.
    """
    return beat_features_and_look_alikes(signal, sampling_rate, r_peaks)[0]


def beat_features_and_look_alikes(
    signal: np.ndarray, sampling_rate: float, r_peaks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``beat_features`` and each beat's look-alikes (``(n, NEIGHBOURS)`` row indices), which the
    beat model also uses to pool its ventricular decisions (``beats.pool_over_look_alikes``)."""
    r_peaks = np.asarray(r_peaks, dtype=np.int64)
    if len(r_peaks) < 2:
        return (np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32), np.zeros((0, 1), dtype=np.int64))
    x = bandpass(as_float_array(signal), sampling_rate, *_BAND_HZ, order=2)
    x = resample(x, sampling_rate, RATE_HZ)
    peaks = np.clip(np.round(r_peaks * RATE_HZ / sampling_rate).astype(np.int64), 0, len(x) - 1)
    rr = rr_features(peaks / RATE_HZ)
    windows, centre = beat_windows(x, peaks)
    shapes = shape_features(windows, centre, premature=rr[:, _RR["pre_ratio"]] < 0.9)
    idx, dist = look_alikes(windows, centre, RATE_HZ)
    context = neighbour_features(
        idx,
        dist,
        rr[:, _RR["pre_median"]],
        rr[:, _RR["post_pre"]],
        rr[:, _RR["pre_ratio"]],
        shapes[:, _SHAPE["qrs_width_s"]],
        shapes[:, _SHAPE["corr_qrs"]],
        shapes[:, _SHAPE["template_distance"]],
    )
    features = np.hstack([rr, shapes, within_recording(shapes), context]).astype(np.float32)
    return features, idx


def within_recording(features: np.ndarray) -> np.ndarray:
    """Each column as a robust z-score over the recording's beats (IQR 1 where it is zero)."""
    median = np.median(features, axis=0)
    q75, q25 = np.percentile(features, [75, 25], axis=0)
    spread = np.where(q75 - q25 > 1e-6, q75 - q25, 1.0)
    return (features - median) / spread


def rr_features(times_s: np.ndarray) -> np.ndarray:
    """RR intervals of each beat, raw and normalised by the recording's and the local rhythm."""
    rr = np.diff(times_s)
    pre = np.concatenate(([rr[0]], rr))
    post = np.concatenate((rr, [rr[-1]]))
    kernel = np.ones(_LOCAL_BEATS) / _LOCAL_BEATS
    padded = np.concatenate((np.full(_LOCAL_BEATS - 1, pre[0]), pre))
    local = np.convolve(padded, kernel, mode="valid")  # mean of this and the previous 9 RR
    local_sq = np.convolve(padded**2, kernel, mode="valid")
    irregularity = np.sqrt(np.maximum(local_sq - local**2, 0.0)) / local
    average = float(np.median(rr))
    # The median RR of the surrounding beats ignores the ectopic beats themselves; the spread of
    # successive RR differences over 30 beats tells an irregular rhythm (atrial fibrillation, where
    # "premature" means nothing) from a regular one with an early beat.
    surrounding = median_filter(pre, size=_MEDIAN_BEATS, mode="nearest")
    successive = np.abs(np.diff(pre, prepend=pre[0])) / average
    rhythm_irregularity = uniform_filter1d(successive, size=_RHYTHM_BEATS, mode="nearest")
    return np.column_stack(
        [
            pre,
            post,
            local,
            pre / average,
            post / average,
            local / average,
            pre / local,
            post / pre,
            post / local,
            irregularity,
            pre / surrounding,
            post / surrounding,
            rhythm_irregularity,
        ]
    )


def rr_irregularity(r_peaks: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Per beat: median absolute successive RR change over the 21 surrounding beats / their median RR.

    High in atrial fibrillation, where every beat is "premature" relative to some neighbour and so
    prematurity cannot mark a supraventricular ectopic beat; low in a regular rhythm, even one with
    isolated premature beats, which the median ignores. Zeros for fewer than two beats.
    """
    times_s = np.asarray(r_peaks, dtype=np.float64) / sampling_rate
    if len(times_s) < 2:
        return np.zeros(len(times_s))
    rr = np.diff(times_s)
    pre = np.concatenate(([rr[0]], rr))
    change = np.abs(np.diff(pre, prepend=pre[0]))
    return median_filter(change, size=_IRREGULARITY_BEATS, mode="nearest") / median_filter(
        pre, size=_IRREGULARITY_BEATS, mode="nearest"
    )


def p_wave_presence(features: np.ndarray) -> np.ndarray:
    """Per beat of a ``FEATURE_NAMES`` matrix: the median P-wave correlation with the dominant beat
    over the 21 surrounding beats.

    Low in atrial fibrillation and flutter, which have no P wave ahead of the QRS; high in a rhythm
    with P waves even where frequent atrial premature beats make it irregular (MIT-BIH 201).
    """
    corr_p = np.asarray(features[:, FEATURE_NAMES.index("corr_p")], dtype=np.float64)
    return median_filter(corr_p, size=_IRREGULARITY_BEATS, mode="nearest")


def beat_windows(x: np.ndarray, peaks: np.ndarray) -> tuple[np.ndarray, int]:
    """Each beat's window (-250 to +400 ms) and the column of its R peak.

    ``x`` is the band-passed signal at 360 Hz. The amplitude unit is the median R amplitude of the
    recording, so microvolts and ADC counts give the same features.
    """
    start = int(round(_WINDOW_S[0] * RATE_HZ))
    offsets = np.arange(start, start + _N_BINS * _BIN)
    idx = np.clip(peaks[:, None] + offsets[None, :], 0, len(x) - 1)
    windows = x[idx]
    windows -= np.median(windows, axis=1, keepdims=True)
    scale = np.median(np.abs(windows[:, -start]))
    if not np.isfinite(scale) or scale <= 0:
        scale = max(float(np.max(np.abs(windows))), 1e-12)
    return windows / scale, -start


def shape_features(windows: np.ndarray, centre: int, premature: np.ndarray) -> np.ndarray:
    """Shape of each beat window (``beat_windows``), absolute and relative to the dominant beat."""
    template = _dominant_template(windows, premature)

    bins = windows.reshape(len(windows), _N_BINS, _BIN).mean(axis=2)
    template_bins = template.reshape(_N_BINS, _BIN).mean(axis=1)
    qrs = slice(centre - int(_QRS_S * RATE_HZ), centre + int(_QRS_S * RATE_HZ) + 1)
    p_wave = slice(centre + int(_P_S[0] * RATE_HZ), centre + int(_P_S[1] * RATE_HZ))
    qrs_energy = np.sum(windows[:, qrs] ** 2, axis=1)
    template_qrs_energy = max(float(np.sum(template[qrs] ** 2)), 1e-12)
    p_energy = np.sum(windows[:, p_wave] ** 2, axis=1)
    template_p_energy = max(float(np.sum(template[p_wave] ** 2)), 1e-12)
    template_ptp = max(float(np.ptp(template[qrs])), 1e-12)
    return np.column_stack(
        [
            bins,
            bins - template_bins,
            _row_correlation(windows, template),
            _row_correlation(windows[:, qrs], template[qrs]),
            _row_correlation(windows[:, p_wave], template[p_wave]),
            _qrs_width_s(windows, centre),
            qrs_energy / template_qrs_energy,
            p_energy / template_p_energy,
            windows[:, qrs].max(axis=1),
            windows[:, qrs].min(axis=1),
            np.ptp(windows[:, qrs], axis=1) / template_ptp,
            np.sqrt(np.mean((windows - template) ** 2, axis=1)),
        ]
    )


def _dominant_template(windows: np.ndarray, premature: np.ndarray) -> np.ndarray:
    """Median of the recording's dominant beat shape.

    First the median of the beats that are not premature; then the median of the half of all beats
    that correlate best with it, which drops the late ectopic beats (bigeminy, frequent uniform
    PVCs as in record 208) that would otherwise blur the template.
    """
    first = np.median(windows[~premature] if np.count_nonzero(~premature) >= 5 else windows, axis=0)
    similarity = _row_correlation(windows, first)
    closest = similarity >= np.median(similarity)
    return np.median(windows[closest], axis=0)


def _row_correlation(rows: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row with the template (0 where either is flat)."""
    a = rows - rows.mean(axis=1, keepdims=True)
    b = template - template.mean()
    denom = np.sqrt(np.sum(a * a, axis=1) * np.sum(b * b))
    return np.divide(a @ b, denom, out=np.zeros(len(rows)), where=denom > 0)


def _qrs_width_s(windows: np.ndarray, centre: int) -> np.ndarray:
    """Width of the region around the R peak where the slope exceeds 20% of its maximum."""
    lo, hi = centre - int(0.1 * RATE_HZ), centre + int(0.1 * RATE_HZ)
    slope = np.abs(np.diff(windows[:, lo:hi], axis=1))
    active = slope > 0.2 * slope.max(axis=1, keepdims=True)
    first = np.argmax(active, axis=1)
    last = active.shape[1] - 1 - np.argmax(active[:, ::-1], axis=1)
    return (last - first) / RATE_HZ
