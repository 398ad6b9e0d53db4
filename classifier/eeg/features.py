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

import neurokit2 as nk
import numpy as np
import pywt
from scipy import signal as sps
from scipy import stats

from classifier import signals
from classifier.eeg import preprocess

BANDS_HZ = {"delta": (0.5, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0),
            "beta": (13.0, 30.0), "gamma": (30.0, 40.0)}
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
    + ["spectral_edge_50_hz", "spectral_edge_90_hz", "peak_frequency_hz", "spectral_entropy",
       "log_peak_prominence"]
    + [f"log_wavelet_energy_{name}" for name in
       ["a5"] + [f"d{level}" for level in range(WAVELET_LEVELS, 0, -1)]]
    + ["autocorrelation_peak", "hjorth_mobility", "hjorth_complexity", "line_length",
       "std_over_iqr", "skewness", "kurtosis", "extrema_per_second", "permutation_entropy",
       "sample_entropy", "petrosian_fd"]
    + [f"autocorrelation_{int(lag * 1000)}ms" for lag in ACF_LAGS_S]
    + ["p99_p1_over_iqr", "p95_p5_over_iqr", "peak_over_iqr", "fraction_beyond_3_iqr",
       "fraction_beyond_2_iqr", "mad_over_iqr", "zero_crossings_per_second", "envelope_cv",
       "envelope_p90_over_median", "dfa_alpha", "higuchi_fd", "katz_fd", "slope_skewness",
       "slope_kurtosis"]
)


def _spectrum(window: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectrum restricted to 0.5-40 Hz, normalised to sum to 1."""
    freqs, power = sps.welch(window, fs=rate, nperseg=min(len(window), int(2 * rate)))
    keep = (freqs >= 0.5) & (freqs <= 40.0)
    freqs, power = freqs[keep], power[keep]
    total = power.sum()
    return freqs, (power / total if total > 0 else np.full_like(power, 1.0 / len(power)))


def _spectral_features(window: np.ndarray, rate: float) -> list[float]:
    freqs, density = _spectrum(window, rate)

    def share(lo: float, hi: float) -> float:
        return float(density[(freqs >= lo) & (freqs < hi)].sum())

    def edge(fraction: float) -> float:
        return float(freqs[min(np.searchsorted(np.cumsum(density), fraction), len(freqs) - 1)])

    return ([share(lo, hi) for lo, hi in BANDS_HZ.values()]
            + [np.log(share(lo, lo + 2) + _FLOOR) for lo in BIN_EDGES_HZ]
            + [edge(0.5), edge(0.9), float(freqs[np.argmax(density)]),
               float(-(density * np.log(density + 1e-12)).sum() / np.log(len(density))),
               float(np.log(density.max() / max(np.median(density), 1e-12)))])


def _wavelet_energies(window: np.ndarray) -> list[float]:
    """Log relative energy of each discrete-wavelet sub-band (a5, d5 ... d1)."""
    energy = np.array([np.sum(c ** 2) for c in pywt.wavedec(window, WAVELET, level=WAVELET_LEVELS)])
    total = energy.sum()
    return list(np.log(energy / total + _FLOOR) if total > 0 else np.log(np.full(len(energy), _FLOOR)))


def _autocorrelation_features(window: np.ndarray, rate: float) -> list[float]:
    """Highest normalised autocorrelation at lags of 0.08-1 s (how rhythmic the window is), then the
    autocorrelation at each of ACF_LAGS_S."""
    centred = window - window.mean()
    acf = np.correlate(centred, centred, "full")[len(centred) - 1:]
    if acf[0] <= 0:
        return [0.0] * (1 + len(ACF_LAGS_S))
    acf = acf / acf[0]
    lo, hi = (int(s * rate) for s in RHYTHM_LAGS_S)
    return [float(acf[lo:hi].max())] + [float(acf[int(lag * rate)]) for lag in ACF_LAGS_S]


def _shape_features(window: np.ndarray, rate: float, iqr: float) -> list[float]:
    """Amplitude-distribution tails and zero crossings (relative to the IQR), envelope steadiness,
    fractal measures and the slope's skewness and kurtosis."""
    centred = window - np.median(window)
    if iqr <= 0:
        iqr = max(float(np.abs(centred).max()), _FLOOR)
    p1, p5, p95, p99 = np.percentile(centred, TAIL_PERCENTILES)
    magnitude = np.abs(centred)
    envelope = np.abs(sps.hilbert(centred))
    slope = np.diff(window)
    scales = np.array([int(round(s * rate)) for s in DFA_SCALES_S])
    dfa = nk.fractal_dfa(centred, scale=scales)[0] if len(centred) >= 2 * scales[-1] else 1.0
    return [(p99 - p1) / iqr, (p95 - p5) / iqr, magnitude.max() / iqr,
            float(np.mean(magnitude > 3 * iqr)), float(np.mean(magnitude > 2 * iqr)),
            float(np.median(magnitude)) / iqr,
            np.count_nonzero(np.diff(np.sign(centred)) != 0) / (len(window) / rate),
            float(envelope.std() / envelope.mean()) if envelope.mean() > 0 else 0.0,
            float(np.percentile(envelope, 90) / max(np.median(envelope), _FLOOR)),
            float(dfa), float(nk.fractal_higuchi(centred, k_max=10)[0]),
            float(nk.fractal_katz(centred)[0]),
            float(stats.skew(slope)), float(stats.kurtosis(slope))]


def window_features(window: np.ndarray, rate: float) -> np.ndarray:
    """Feature vector (in FEATURE_NAMES order) of one robust-scaled window sampled at ``rate``."""
    d1, d2 = np.diff(window), np.diff(window, n=2)
    var0, var1, var2 = window.var(), d1.var(), d2.var()
    mobility = np.sqrt(var1 / var0) if var0 > 0 else 0.0
    complexity = np.sqrt(var2 / var1) / mobility if var1 > 0 and mobility > 0 else 0.0
    iqr = np.subtract(*np.percentile(window, [75, 25]))
    seconds = len(window) / rate
    extrema = np.count_nonzero(np.diff(np.sign(d1)) != 0)
    rhythm_peak, *lagged = _autocorrelation_features(window, rate)

    values = (
        _spectral_features(window, rate) + _wavelet_energies(window)
        + [rhythm_peak, mobility, complexity,
           float(np.abs(d1).sum() / (iqr * seconds)) if iqr > 0 else 0.0,
           float(window.std() / iqr) if iqr > 0 else 0.0,
           float(stats.skew(window)), float(stats.kurtosis(window)), extrema / seconds,
           nk.entropy_permutation(window, delay=1, dimension=4, corrected=True)[0],
           nk.entropy_sample(window, delay=1, dimension=2, tolerance=0.2 * window.std())[0],
           nk.fractal_petrosian(window)[0]]
        + lagged + _shape_features(window, rate, iqr)
    )
    return np.array(values, dtype=np.float64)


def recording_features(signal: np.ndarray, sampling_rate: float,
                       window_seconds: float = preprocess.WINDOW_SECONDS
                       ) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """(features of every window, which windows are usable, window bounds at TARGET_RATE).

    Rows of unusable (flat or saturated) windows are NaN: they are never computed.
    """
    prepared = preprocess.prepare(signal, sampling_rate)
    bounds = preprocess.window_bounds(len(prepared), preprocess.TARGET_RATE, window_seconds)
    usable = preprocess.usable_windows(signal, sampling_rate, bounds)
    X = np.full((len(bounds), len(FEATURE_NAMES)), np.nan)
    for i in np.flatnonzero(usable):
        start, stop = bounds[i]
        X[i] = window_features(signals.robust_scale(prepared[start:stop]), preprocess.TARGET_RATE)
    return X, usable, bounds
