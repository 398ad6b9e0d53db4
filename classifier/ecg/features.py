"""Rhythm features of one ECG window: RR irregularity, beat morphology, atrial activity, spectrum.

Everything is computed at the model rate on the oriented (upright-QRS) band-passed signal, so the
features do not depend on the input's rate, units or polarity. Undefined features (too few beats)
are NaN, which the gradient-boosting model handles natively.
"""
from __future__ import annotations

import numpy as np
from scipy import signal as sps

from classifier.ecg.quality import quality_indices

# Beat window around each R peak, seconds: long enough for the P wave before and the T wave after.
PRE_S, POST_S = 0.25, 0.45
P_WINDOW_S = (-0.25, -0.07)
T_WINDOW_S = (0.15, 0.45)
QRS_HALF_S = 0.08


def _sample_entropy(rr: np.ndarray, tolerance: float) -> float:
    """Sample entropy (m=1) of a short RR series; +1 in both counts keeps it finite when no match."""
    if len(rr) < 4:
        return np.nan
    close = np.abs(rr[:, None] - rr[None, :]) <= tolerance
    b = np.triu(close[:-1, :-1], 1).sum()
    a = np.triu(close[:-1, :-1] & close[1:, 1:], 1).sum()
    return float(np.log((b + 1.0) / (a + 1.0)))


def rr_features(r_peaks: np.ndarray, fs: float) -> dict[str, float]:
    """Irregularity of the RR series (AF: irregularly irregular; other rhythms: ectopy, rate)."""
    names = ["hr_mean", "rr_cv", "rr_min_ratio", "rr_max_ratio", "rmssd_norm", "msd_norm", "pnn20",
             "pnn50", "sd1_norm", "sd1_sd2", "tpr", "drr_entropy", "cosen", "rr_regular_frac",
             "short_long_frac", "local_cv_min", "local_cv_median", "rr_autocorr", "drr_max_norm",
             "lorenz_occupancy", "lorenz_origin", "filtered_rmssd", "filtered_cv", "rr_p10", "rr_p90",
             "alternation", "hr_local_max", "hr_local_min", "similar_pair_frac", "regular_run_frac",
             "lorenz_occupancy_norm", "drr_q25", "drr_q75", "sampen_rel"]
    rr = np.diff(r_peaks) / fs
    if len(rr) < 4:
        return dict.fromkeys(names, np.nan)
    drr = np.diff(rr)
    mean, median = rr.mean(), np.median(rr)
    sd1 = np.std(drr) / np.sqrt(2)
    sd2 = np.sqrt(max(2 * np.var(rr) - sd1 ** 2, 1e-12))
    hist, _ = np.histogram(np.clip(drr / median, -0.6, 0.6), bins=np.linspace(-0.6, 0.6, 25))
    p = hist[hist > 0] / hist.sum()
    turning = (rr[1:-1] - rr[:-2]) * (rr[1:-1] - rr[2:]) > 0
    local = np.lib.stride_tricks.sliding_window_view(rr, min(8, len(rr)))
    local_cv = local.std(axis=1) / local.mean(axis=1)
    tolerance = 0.03
    centred = rr - mean
    return {
        "hr_mean": 60.0 / mean,
        "rr_cv": np.std(rr) / mean,
        "rr_min_ratio": rr.min() / median,
        "rr_max_ratio": rr.max() / median,
        "rmssd_norm": np.sqrt(np.mean(drr ** 2)) / mean,
        "msd_norm": np.median(np.abs(drr)) / median,
        "pnn20": np.mean(np.abs(drr) > 0.02),
        "pnn50": np.mean(np.abs(drr) > 0.05),
        "sd1_norm": sd1 / mean,
        "sd1_sd2": sd1 / sd2,
        "tpr": np.mean(turning),
        "drr_entropy": float(-(p * np.log(p)).sum()),
        "cosen": _sample_entropy(rr, tolerance) + np.log(2 * tolerance) - np.log(mean),
        "rr_regular_frac": np.mean(np.abs(rr / median - 1) < 0.1),
        "short_long_frac": np.mean((rr[:-1] < 0.85 * median) & (rr[1:] > 1.1 * median)),
        "local_cv_min": local_cv.min(),
        "local_cv_median": np.median(local_cv),
        "rr_autocorr": float(np.dot(centred[:-1], centred[1:]) / (np.dot(centred, centred) + 1e-12)),
        "drr_max_norm": np.abs(drr).max() / median,
        **_lorenz(drr),
        **_filtered_irregularity(rr, median),
        "rr_p10": np.percentile(rr, 10) / median,
        "rr_p90": np.percentile(rr, 90) / median,
        "alternation": np.mean((drr[:-1] * drr[1:] < 0) & (np.abs(drr[1:]) > 0.1 * median))
        if len(drr) > 1 else np.nan,
        "hr_local_max": 60.0 / local.mean(axis=1).min(),
        "hr_local_min": 60.0 / local.mean(axis=1).max(),
        **_pairwise_regularity(rr),
        "lorenz_occupancy_norm": _lorenz(drr / median * 0.6)["lorenz_occupancy"],
        "drr_q25": np.percentile(np.abs(drr), 25) / median,
        "drr_q75": np.percentile(np.abs(drr), 75) / median,
        "sampen_rel": _sample_entropy(rr, 0.2 * np.std(rr) + 1e-6),
    }


def _pairwise_regularity(rr: np.ndarray) -> dict[str, float]:
    """How often consecutive RR intervals match (within 8%), and the longest such run.

    Sinus rhythm with occasional ectopy keeps long regular runs between the premature beats; in AF
    consecutive intervals rarely match for long.
    """
    similar = np.abs(rr[1:] / rr[:-1] - 1) < 0.08
    edges = np.diff(np.concatenate([[0], similar.astype(int), [0]]))
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    return {"similar_pair_frac": float(similar.mean()),
            "regular_run_frac": float(runs.max() / len(similar)) if len(runs) else 0.0}


def _lorenz(drr: np.ndarray) -> dict[str, float]:
    """AF-evidence style counts on the (dRR_i, dRR_i+1) plane in 40 ms cells (Sarkar et al. 2008).

    AF scatters the points over many cells; sinus rhythm, even with ectopy, stays near the origin
    and a few fixed cells.
    """
    if len(drr) < 2:
        return {"lorenz_occupancy": np.nan, "lorenz_origin": np.nan}
    cells = np.clip(np.floor(np.stack([drr[:-1], drr[1:]], axis=1) / 0.04 + 0.5), -15, 15).astype(int)
    occupied = len({(a, b) for a, b in cells})
    return {"lorenz_occupancy": occupied / len(cells),
            "lorenz_origin": float(np.mean((cells[:, 0] == 0) & (cells[:, 1] == 0)))}


def _filtered_irregularity(rr: np.ndarray, median: float) -> dict[str, float]:
    """Irregularity of the RR intervals within 20% of the median: premature beats and their pauses
    are dropped, so what is left separates AF (still irregular) from sinus rhythm with ectopy."""
    kept = rr[np.abs(rr / median - 1) < 0.2]
    if len(kept) < 3:
        return {"filtered_rmssd": np.nan, "filtered_cv": np.nan}
    return {"filtered_rmssd": float(np.sqrt(np.mean(np.diff(kept) ** 2)) / kept.mean()),
            "filtered_cv": float(kept.std() / kept.mean())}


def _beats(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> tuple[np.ndarray, int, np.ndarray]:
    """Beat segments (rows), the R position inside a segment, and each beat's preceding RR / median RR."""
    pre, post = int(round(PRE_S * fs)), int(round(POST_S * fs))
    inside = (r_peaks >= pre) & (r_peaks + post < len(x))
    peaks = r_peaks[inside]
    rr_before = np.full(len(r_peaks), np.nan)
    if len(r_peaks) > 1:
        rr = np.diff(r_peaks).astype(float)
        rr_before[1:] = rr / np.median(rr)
    return x[peaks[:, None] + np.arange(-pre, post)[None, :]], pre, rr_before[inside]


def _median_row_correlation(rows: np.ndarray, reference: np.ndarray) -> float:
    centred = rows - rows.mean(axis=1, keepdims=True)
    ref = reference - reference.mean()
    corr = centred @ ref / (np.linalg.norm(centred, axis=1) * np.linalg.norm(ref) + 1e-12)
    return float(np.median(corr))


def _ectopy(beats: np.ndarray, corr: np.ndarray, rr_before: np.ndarray) -> dict[str, float]:
    """Premature beats with a different shape (ventricular-like) or the usual shape (atrial-like)."""
    odd = corr < 0.8
    premature = rr_before < 0.85
    return {
        "ectopic_corr": _median_row_correlation(np.median(beats[odd], axis=0)[None, :],
                                                np.median(beats, axis=0)) if odd.any() else np.nan,
        "ectopic_premature_frac": float(np.mean(odd & premature)),
        "normal_premature_frac": float(np.mean(~odd & premature)),
    }


def _window(template_len: int, pre: int, fs: float, bounds: tuple[float, float]) -> slice:
    return slice(max(pre + int(round(bounds[0] * fs)), 0), min(pre + int(round(bounds[1] * fs)), template_len))


def morphology_features(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> dict[str, float]:
    """Averaged-beat morphology and atrial activity (P-wave presence, f-wave residual)."""
    names = ["tmpl_corr_median", "tmpl_corr_p10", "tmpl_low_corr_frac", "r_amp_cv", "qrs_width",
             "q_depth", "s_depth", "p_amp", "p_ptp", "p_coherence", "t_amp", "t_ptp",
             "resid_p_rms", "resid_rms", "tmpl_snr", "pr_interval", "rt_interval_c", "qrs_half_width",
             "qrs_area", "p_beat_corr", "ectopic_corr", "ectopic_premature_frac",
             "normal_premature_frac"]
    beats, pre, rr_before = _beats(x, r_peaks, fs)
    if len(beats) < 3:
        return dict.fromkeys(names, np.nan)
    template = np.median(beats, axis=0)
    base = np.median(template)
    r_amp = max(template[pre] - base, 1e-6)
    centred = beats - beats.mean(axis=1, keepdims=True)
    t_centred = template - template.mean()
    corr = centred @ t_centred / (np.linalg.norm(centred, axis=1) * np.linalg.norm(t_centred) + 1e-12)
    n = len(template)
    qrs = _window(n, pre, fs, (-QRS_HALF_S, QRS_HALF_S))
    slope = np.abs(np.diff(template[qrs]))
    p_win = _window(n, pre, fs, P_WINDOW_S)
    t_win = _window(n, pre, fs, T_WINDOW_S)
    t_seg = template[t_win] - base
    residual = beats - template[None, :]
    beat_p_var = np.var(beats[:, p_win], axis=1).mean()
    return {
        "tmpl_corr_median": float(np.median(corr)),
        "tmpl_corr_p10": float(np.percentile(corr, 10)),
        "tmpl_low_corr_frac": float(np.mean(corr < 0.8)),
        "r_amp_cv": float(np.std(beats[:, pre]) / (abs(np.mean(beats[:, pre])) + 1e-12)),
        "qrs_width": float(np.sum(slope > 0.15 * slope.max()) / fs),
        "q_depth": float((base - template[_window(n, pre, fs, (-0.06, 0.0))].min()) / r_amp),
        "s_depth": float((base - template[_window(n, pre, fs, (0.0, QRS_HALF_S))].min()) / r_amp),
        "p_amp": float((template[p_win].max() - base) / r_amp),
        "p_ptp": float(np.ptp(template[p_win]) / r_amp),
        "p_coherence": float(np.var(template[p_win]) / (beat_p_var + 1e-12)),
        "t_amp": float(t_seg[np.argmax(np.abs(t_seg))] / r_amp),
        "t_ptp": float(np.ptp(t_seg) / r_amp),
        "resid_p_rms": float(np.sqrt(np.mean(residual[:, p_win] ** 2)) / r_amp),
        "resid_rms": float(np.sqrt(np.mean(residual ** 2)) / r_amp),
        "tmpl_snr": float(r_amp / (np.median(np.abs(residual)) + 1e-12)),
        "pr_interval": float((pre - (p_win.start + np.argmax(template[p_win]))) / fs),
        "rt_interval_c": float((t_win.start + np.argmax(np.abs(t_seg)) - pre) / fs
                               / np.sqrt(np.median(np.diff(r_peaks)) / fs)),
        "qrs_half_width": float(np.sum(template[qrs] - base > 0.5 * r_amp) / fs),
        "qrs_area": float(np.abs(template[qrs] - base).sum() / (r_amp * fs)),
        "p_beat_corr": _median_row_correlation(beats[:, p_win], template[p_win]),
        **_ectopy(beats, corr, rr_before),
    }


def _qrst_cancelled(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> np.ndarray:
    """The signal with each beat's QRS-T replaced by zero: what remains is atrial activity and noise."""
    keep = np.ones(len(x), dtype=bool)
    before, after = int(0.1 * fs), int(0.4 * fs)
    for p in r_peaks:
        keep[max(p - before, 0):p + after] = False
    return x[keep]


def spectral_features(x: np.ndarray, r_peaks: np.ndarray, fs: float) -> dict[str, float]:
    """Band powers of the whole signal and of the QRS-T-free remainder (f waves: 4-9 Hz)."""
    freqs, power = sps.welch(x, fs=fs, nperseg=min(len(x), 1024))
    total = power.sum() + 1e-12
    p_norm = power / total
    out = {f"band_{lo}_{hi}": float(power[(freqs >= lo) & (freqs < hi)].sum() / total)
           for lo, hi in ((0.5, 4), (4, 10), (10, 20), (20, 40))}
    out["spectral_entropy"] = float(-(p_norm[p_norm > 0] * np.log(p_norm[p_norm > 0])).sum())
    out["peak_freq"] = float(freqs[np.argmax(power)])
    rest = _qrst_cancelled(x, r_peaks, fs)
    if len(rest) >= int(2 * fs):
        f2, p2 = sps.welch(rest, fs=fs, nperseg=min(len(rest), 512))
        band = (f2 >= 3) & (f2 < 30)
        atrial = (f2 >= 4) & (f2 < 9)
        out["fwave_power"] = float(p2[atrial].sum() / (p2[band].sum() + 1e-12))
        out["fwave_peak"] = float(f2[band][np.argmax(p2[band])])
        out["rest_rms"] = float(np.sqrt(np.mean(rest ** 2)))
        peak = np.argmax(np.where(atrial, p2, 0))
        out["fwave_concentration"] = float(p2[max(peak - 2, 0):peak + 3].sum() / (p2[band].sum() + 1e-12))
    else:
        out.update(fwave_power=np.nan, fwave_peak=np.nan, rest_rms=np.nan, fwave_concentration=np.nan)
    return out


def window_features(raw: np.ndarray, cleaned: np.ndarray, r_peaks: np.ndarray,
                    fs: float) -> dict[str, float]:
    """All features of one window: ``raw`` unfiltered and ``cleaned`` band-passed+oriented, at ``fs``."""
    feats = rr_features(r_peaks, fs)
    feats.update(morphology_features(cleaned, r_peaks, fs))
    feats.update(spectral_features(cleaned, r_peaks, fs))
    feats.update(quality_indices(raw, cleaned, r_peaks, fs))
    return feats
