"""Scale-free features of one robust-scaled EEG window: spectral shape (clinical bands, 2 Hz bins,
edges, peak), wavelet sub-band energies, Hjorth parameters, line length, rhythmicity, amplitude
distribution and entropies.

Every feature is unchanged when the window is multiplied by a constant, so the units a user sends
(microvolts, millivolts, raw counts) do not matter. The 2 Hz bins, autocorrelation peak, spectral
peak prominence and wavelet energies were added after grouped cross-validation on the training
split showed they lower the window error. The waveform-shape group (tails of the amplitude
distribution relative to the IQR, zero crossings, autocorrelation at fixed lags, envelope
steadiness, DFA / Higuchi / Katz fractal measures, skewness and kurtosis of the slope) stands in
for the absolute amplitude that scale-freedom throws away: spiky, rhythmic, high-voltage seizure
activity has heavy tails, a steady envelope and long-range correlation whatever its units. Added
after grouped cross-validation on the training split raised the lowest out-of-fold seizure
probability of a seizure segment (see the model card).
"""

from __future__ import annotations

import math

import numpy as np
import pywt
from scipy import signal as sps
from scipy import stats

from classifier.eeg import preprocess

BANDS_HZ = {"delta": (0.5, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 40.0)}
BIN_EDGES_HZ = tuple(range(0, 40, 2))  # 2 Hz bins [0, 2) ... [38, 40)
WAVELET, WAVELET_LEVELS = "db4", 5
RHYTHM_LAGS_S = (0.08, 1.0)  # autocorrelation lags searched for rhythmicity: 1-12.5 Hz
ACF_LAGS_S = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75)  # fixed lags at which the autocorrelation is a feature
TAIL_PERCENTILES = (1, 5, 95, 99)
DFA_SCALES_S = (1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)  # detrended fluctuation analysis box lengths
_FLOOR = 1e-6  # keeps the logarithm of an empty bin finite

FEATURE_NAMES = tuple(
    [f"rel_power_{band}" for band in BANDS_HZ]
    + [f"log_rel_power_{lo}_{lo + 2}hz" for lo in BIN_EDGES_HZ]
    + ["spectral_edge_50_hz", "spectral_edge_90_hz", "peak_frequency_hz", "spectral_entropy", "log_peak_prominence"]
    + [f"log_wavelet_energy_{name}" for name in ["a5"] + [f"d{level}" for level in range(WAVELET_LEVELS, 0, -1)]]
    + [
        "autocorrelation_peak",
        "hjorth_mobility",
        "hjorth_complexity",
        "line_length",
        "std_over_iqr",
        "skewness",
        "kurtosis",
        "extrema_per_second",
        "permutation_entropy",
        "sample_entropy",
        "petrosian_fd",
    ]
    + [f"autocorrelation_{int(lag * 1000)}ms" for lag in ACF_LAGS_S]
    + [
        "p99_p1_over_iqr",
        "p95_p5_over_iqr",
        "peak_over_iqr",
        "fraction_beyond_3_iqr",
        "fraction_beyond_2_iqr",
        "mad_over_iqr",
        "zero_crossings_per_second",
        "envelope_cv",
        "envelope_p90_over_median",
        "dfa_alpha",
        "higuchi_fd",
        "katz_fd",
        "slope_skewness",
        "slope_kurtosis",
    ]
)


# Every function below takes a 2-D array, one robust-scaled window per row, and returns one column
# per feature: all windows of a recording are computed at once. The entropies and fractal measures
# are NeuroKit2's definitions (entropy_permutation, entropy_sample, fractal_petrosian, fractal_dfa,
# fractal_higuchi, fractal_katz with the parameters named at each), written over rows.


def _spectral_features(windows: np.ndarray, rate: float) -> list[np.ndarray]:
    """Welch power spectrum restricted to 0.5-40 Hz and normalised to sum to 1, then its shape."""
    freqs, power = sps.welch(windows, fs=rate, nperseg=min(windows.shape[1], int(2 * rate)), axis=-1)
    keep = (freqs >= 0.5) & (freqs <= 40.0)
    freqs, power = freqs[keep], power[:, keep]
    total = power.sum(axis=1, keepdims=True)
    density = np.where(total > 0, power / np.where(total > 0, total, 1.0), 1.0 / len(freqs))

    def share(lo: float, hi: float) -> np.ndarray:
        return density[:, (freqs >= lo) & (freqs < hi)].sum(axis=1)

    cumulative = np.cumsum(density, axis=1)

    def edge(fraction: float) -> np.ndarray:  # np.searchsorted(cumulative, fraction) per row
        return freqs[np.minimum((cumulative < fraction).sum(axis=1), len(freqs) - 1)]

    entropy = -(density * np.log(density + 1e-12)).sum(axis=1) / np.log(len(freqs))
    prominence = np.log(density.max(axis=1) / np.maximum(np.median(density, axis=1), 1e-12))
    return (
        [share(lo, hi) for lo, hi in BANDS_HZ.values()]
        + [np.log(share(lo, lo + 2) + _FLOOR) for lo in BIN_EDGES_HZ]
        + [edge(0.5), edge(0.9), freqs[np.argmax(density, axis=1)], entropy, prominence]
    )


def _wavelet_energies(windows: np.ndarray) -> list[np.ndarray]:
    """Log relative energy of each discrete-wavelet sub-band (a5, d5 ... d1)."""
    energy = np.stack(
        [np.sum(c**2, axis=1) for c in pywt.wavedec(windows, WAVELET, level=WAVELET_LEVELS, axis=-1)], axis=1
    )
    total = energy.sum(axis=1, keepdims=True)
    relative = np.where(total > 0, energy / np.where(total > 0, total, 1.0), 0.0)
    return list(np.log(relative + _FLOOR).T)


def _autocorrelation_features(windows: np.ndarray, rate: float) -> list[np.ndarray]:
    """Highest normalised autocorrelation at lags of 0.08-1 s (how rhythmic the window is), then the
    autocorrelation at each of ACF_LAGS_S."""
    n = windows.shape[1]
    centred = windows - windows.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=2 * n, axis=1)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), n=2 * n, axis=1)[:, :n]
    positive = acf[:, :1] > 0
    acf = np.where(positive, acf / np.where(positive, acf[:, :1], 1.0), 0.0)
    lo, hi = (int(s * rate) for s in RHYTHM_LAGS_S)
    return [acf[:, lo:hi].max(axis=1)] + [acf[:, int(lag * rate)] for lag in ACF_LAGS_S]


def _permutation_entropy(windows: np.ndarray, dimension: int = 4) -> np.ndarray:
    """NeuroKit2 ``entropy_permutation(delay=1, dimension=4, corrected=True)``."""
    order = np.lib.stride_tricks.sliding_window_view(windows, dimension, axis=1).argsort(kind="quicksort")
    codes = order @ (dimension ** np.arange(dimension))
    counts = np.stack([np.bincount(row, minlength=dimension**dimension) for row in codes])
    p = counts / counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=1)
    return entropy / np.log2(math.factorial(dimension))


def _sample_entropy(windows: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """NeuroKit2 ``entropy_sample(delay=1, dimension=2, tolerance)``: ordered pairs of the n-2
    templates of length 2 and of length 3 within ``tolerance`` in every sample (Chebyshev), self-pairs
    excluded. The templates are sorted by their first sample, so only near pairs are compared."""
    out = np.empty(len(windows))
    templates = windows.shape[1] - 2
    after = np.arange(1, templates + 1)
    for i, (window, r) in enumerate(zip(windows, tolerance)):
        order = np.argsort(window[:-2], kind="stable")
        first, second, third = window[:-2][order], window[1:-1][order], window[2:][order]
        # each unordered pair once: from every template to those after it in sorted order up to
        # r above it (a little wider; the exact test below decides), counted twice at the end
        reach = np.searchsorted(first, first + r + (r * 1e-9 + 1e-300), "right")
        counts = np.maximum(reach - after, 0)
        anchor = np.repeat(np.arange(templates), counts)
        position = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts - after, counts)
        two = (first[position] - first[anchor] <= r) & (np.abs(second[anchor] - second[position]) <= r)
        three = two & (np.abs(third[anchor] - third[position]) <= r)
        phi = 2 * np.array([np.count_nonzero(two), np.count_nonzero(three)]) / (templates * (templates - 1))
        # NeuroKit2's _phi_divide; np.isclose(x, 0) is |x| <= 1e-8
        if abs(phi[0]) <= 1e-8:
            out[i] = -np.inf
        elif abs(phi[1] / phi[0]) <= 1e-8:
            out[i] = np.inf
        else:
            out[i] = -np.log(phi[1] / phi[0])
    return out


def _petrosian_fd(windows: np.ndarray) -> np.ndarray:
    """NeuroKit2 ``fractal_petrosian`` (symbolised by the sign of the slope)."""
    symbolic = np.signbit(np.diff(windows, axis=1))
    inversions = (symbolic[:, 1:] != symbolic[:, :-1]).sum(axis=1)
    n = symbolic.shape[1]
    return np.log10(n) / (np.log10(n) + np.log10(n / (n + 0.4 * inversions)))


def _dfa_alpha(centred: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """NeuroKit2 ``fractal_dfa(scale=scales)``: integrated signal, half-overlapping boxes, linear
    detrending, q = 2."""
    n = centred.shape[1]
    profile = np.cumsum(centred - centred.mean(axis=1, keepdims=True), axis=1)
    fluctuation = np.empty((len(centred), len(scales)))
    for j, box in enumerate(scales):
        starts = np.arange(0, n - box, box // 2)
        segments = np.lib.stride_tricks.sliding_window_view(profile, box, axis=1)[:, starts]
        x = np.arange(box) - (box - 1) / 2
        slope = (segments @ x) / (x @ x)
        residual = segments - segments.mean(axis=2, keepdims=True) - slope[..., None] * x
        variance = (residual**2).mean(axis=2)
        kept = variance > 1e-8 * variance.max(axis=1, keepdims=True)
        fluctuation[:, j] = np.sqrt((variance * kept).sum(axis=1) / kept.sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.polyfit(np.log2(scales), np.log2(fluctuation).T, 1)[0]


def _higuchi_fd(windows: np.ndarray, k_max: int = 10) -> np.ndarray:
    """NeuroKit2 ``fractal_higuchi(k_max=10)``."""
    n = windows.shape[1]
    ks = np.arange(1, k_max + 1)
    lengths = np.empty((len(windows), k_max))
    for j, k in enumerate(ks):
        total = np.zeros(len(windows))
        for m in range(k):
            normalisation = (n - 1) / (((n - m - 1) // k) * k)
            total += np.abs(np.diff(windows[:, m::k], axis=1)).sum(axis=1) * normalisation / k
        lengths[:, j] = total / k
    return -np.polyfit(np.log(ks), np.log(lengths).T, 1)[0]


def _katz_fd(windows: np.ndarray) -> np.ndarray:
    """NeuroKit2 ``fractal_katz``."""
    steps = np.abs(np.diff(windows, axis=1))
    mean_step = steps.mean(axis=1)
    extent = np.abs(windows - windows[:, :1]).max(axis=1)
    return np.log10(steps.sum(axis=1) / mean_step) / np.log10(extent / mean_step)


def _shape_features(windows: np.ndarray, rate: float, iqr: np.ndarray) -> list[np.ndarray]:
    """Amplitude-distribution tails and zero crossings (relative to the IQR), envelope steadiness,
    fractal measures and the slope's skewness and kurtosis."""
    centred = windows - np.median(windows, axis=1, keepdims=True)
    magnitude = np.abs(centred)
    iqr = np.where(iqr > 0, iqr, np.maximum(magnitude.max(axis=1), _FLOOR))[:, None]
    p1, p5, p95, p99 = np.percentile(centred, TAIL_PERCENTILES, axis=1)[..., None]
    envelope = np.abs(sps.hilbert(centred, axis=1))
    envelope_mean = envelope.mean(axis=1)
    slope = np.diff(windows, axis=1)
    scales = np.array([int(round(s * rate)) for s in DFA_SCALES_S])
    dfa = _dfa_alpha(centred, scales) if centred.shape[1] >= 2 * scales[-1] else np.ones(len(windows))
    return [
        ((p99 - p1) / iqr)[:, 0],
        ((p95 - p5) / iqr)[:, 0],
        magnitude.max(axis=1) / iqr[:, 0],
        np.mean(magnitude > 3 * iqr, axis=1),
        np.mean(magnitude > 2 * iqr, axis=1),
        np.median(magnitude, axis=1) / iqr[:, 0],
        np.count_nonzero(np.diff(np.sign(centred), axis=1) != 0, axis=1) / (windows.shape[1] / rate),
        np.where(envelope_mean > 0, envelope.std(axis=1) / np.where(envelope_mean > 0, envelope_mean, 1.0), 0.0),
        np.percentile(envelope, 90, axis=1) / np.maximum(np.median(envelope, axis=1), _FLOOR),
        dfa,
        _higuchi_fd(centred),
        _katz_fd(centred),
        stats.skew(slope, axis=1),
        stats.kurtosis(slope, axis=1),
    ]


def windows_features(windows: np.ndarray, rate: float) -> np.ndarray:
    """Feature matrix (rows: windows; columns: FEATURE_NAMES) of robust-scaled windows at ``rate``."""
    d1, d2 = np.diff(windows, axis=1), np.diff(windows, n=2, axis=1)
    var0, var1, var2 = windows.var(axis=1), d1.var(axis=1), d2.var(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mobility = np.where(var0 > 0, np.sqrt(var1 / var0), 0.0)
        complexity = np.where((var1 > 0) & (mobility > 0), np.sqrt(var2 / var1) / mobility, 0.0)
        q75, q25 = np.percentile(windows, [75, 25], axis=1)
        iqr = q75 - q25
        seconds = windows.shape[1] / rate
        line_length = np.where(iqr > 0, np.abs(d1).sum(axis=1) / (iqr * seconds), 0.0)
        std_over_iqr = np.where(iqr > 0, windows.std(axis=1) / iqr, 0.0)
    extrema = np.count_nonzero(np.diff(np.sign(d1), axis=1) != 0, axis=1)
    rhythm_peak, *lagged = _autocorrelation_features(windows, rate)

    columns = (
        _spectral_features(windows, rate)
        + _wavelet_energies(windows)
        + [
            rhythm_peak,
            mobility,
            complexity,
            line_length,
            std_over_iqr,
            stats.skew(windows, axis=1),
            stats.kurtosis(windows, axis=1),
            extrema / seconds,
            _permutation_entropy(windows),
            _sample_entropy(windows, 0.2 * windows.std(axis=1)),
            _petrosian_fd(windows),
        ]
        + lagged
        + _shape_features(windows, rate, iqr)
    )
    return np.column_stack(columns).astype(np.float64)


def recording_features(
    signal: np.ndarray, sampling_rate: float, window_seconds: float = preprocess.WINDOW_SECONDS
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """(features of every window, which windows are usable, window bounds at TARGET_RATE).

    Rows of unusable (flat or saturated) windows are NaN: they are never computed.
    """
    prepared = preprocess.prepare(signal, sampling_rate)
    bounds = preprocess.window_bounds(len(prepared), preprocess.TARGET_RATE, window_seconds)
    usable = preprocess.usable_windows(signal, sampling_rate, bounds)
    X = np.full((len(bounds), len(FEATURE_NAMES)), np.nan)
    rows = np.flatnonzero(usable)
    if len(rows):
        windows = preprocess.scaled_windows(prepared, [bounds[i] for i in rows])
        X[rows] = windows_features(windows, preprocess.TARGET_RATE)
    return X, usable, bounds
