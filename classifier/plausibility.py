"""Is this signal at all what it is declared to be? Pure functions of ``(signal, sampling_rate)``.

A model trained on ECG or EEG answers with one of its classes whatever it is given: white noise,
mains hum, a test tone or an ECG sent as EEG would come back as a confident finding. Before any
finding is reported, four measurements of the recording are checked, in this order:

- **mains hum**: the share of power within 1 Hz of 50, 60, 100 or 120 Hz.
- **pure tone**: the share of power within 1 Hz of the spectral peak (a sine wave has all of it).
- **noise**: spectral flatness (geometric over arithmetic mean of the power spectrum) over 1-40 Hz.
  White noise is flat (about 0.96); EEG and ECG fall off with frequency or peak at their rhythms.
- **QRS train**: ECG puts its 8-40 Hz energy into short, regularly repeating QRS complexes. The
  share of that energy within 60 ms of its peaks (``qrs_concentration``), the kurtosis of the
  8-40 Hz signal, the rate and the regularity of those peaks tell an ECG from an EEG.

Thresholds were set from ``python -m training.plausibility_eval`` (distributions over the Bonn EEG
segments, CinC 2017 and MIT-BIH DS1 ECG records, and synthetic noise, hum and tones); the same
command prints the false-alarm and detection rates quoted in the model cards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
from scipy import signal as sps
from scipy import stats

from classifier import signals

NOISE_FLATNESS = 0.85  # white noise ~0.96; the flattest real recording measured 0.71
MAINS_HZ = (50.0, 60.0, 100.0, 120.0)
MAINS_SHARE = 0.5  # real recordings measured at most 0.05
TONE_SHARE = 0.95  # share within 1 Hz of the peak; real recordings measured at most 0.90
QRS_BAND_HZ = (8.0, 40.0)
QRS_HALF_WIDTH_S = 0.06
QRS_MIN_SPACING_S = 0.3  # at most 200 peaks a minute
# ECG-like: QRS energy concentrated in regular, spiky complexes at a heart rate
ECG_CONCENTRATION = 0.8
ECG_KURTOSIS = 5.0
ECG_RATE_BPM = (30.0, 200.0)
ECG_MAX_RR_CV = 0.2  # a less regular train must be more concentrated still (AF is irregular)
ECG_IRREGULAR_CONCENTRATION = 0.9
# EEG-like, for a signal sent as ECG: no spiky, concentrated QRS energy at all
EEG_MAX_KURTOSIS = 3.0
EEG_MAX_CONCENTRATION = 0.6


@dataclass(frozen=True)
class Measures:
    """What the check measures (all scale-free: units do not matter)."""

    flatness: float
    mains_share: float
    tone_share: float
    peak_hz: float
    qrs_concentration: float
    qrs_kurtosis: float
    qrs_rate_bpm: float
    qrs_rr_cv: float


def _spectrum(x: np.ndarray, sampling_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectrum from 0.5 Hz up (4 s segments).

    No per-segment detrending: through the periodic Hann window a segment's mean reaches only the
    bins below 0.5 Hz (0 and 0.25 Hz; every recording checked is at least 4 s long), which are
    dropped, so the result is the same to rounding and a 10-minute recording's spectrum takes a third
    less time."""
    freqs, power = sps.welch(x, fs=sampling_rate, nperseg=min(len(x), int(4 * sampling_rate)), detrend=False)
    keep = freqs >= 0.5
    return freqs[keep], power[keep]


def _qrs_train(x: np.ndarray, sampling_rate: float) -> tuple[float, float, float, float]:
    """(energy share near peaks, kurtosis, rate in bpm, coefficient of variation of intervals) of
    the signal's 8-40 Hz band."""
    y = signals.bandpass(x, sampling_rate, *QRS_BAND_HZ, order=3)
    energy = y**2
    width = max(1, int(0.05 * sampling_rate))
    smooth = np.convolve(energy, np.ones(width) / width, "same")
    peaks, _ = sps.find_peaks(
        smooth, distance=int(QRS_MIN_SPACING_S * sampling_rate), height=0.3 * np.percentile(smooth, 99)
    )
    half = int(QRS_HALF_WIDTH_S * sampling_rate)
    near = np.zeros(len(x), dtype=bool)
    for p in peaks:
        near[max(0, p - half) : p + half] = True
    total = energy.sum()
    concentration = float(energy[near].sum() / total) if total > 0 else 0.0
    intervals = np.diff(peaks) / sampling_rate
    rate = float(60.0 / np.median(intervals)) if len(intervals) else 0.0
    cv = float(intervals.std() / intervals.mean()) if len(intervals) > 1 else float("inf")
    return concentration, float(stats.kurtosis(y)), rate, cv


def measure(signal: np.ndarray, sampling_rate: float) -> Measures:
    """The plausibility measures of one single-channel recording."""
    x = signals.as_float_array(signal)
    x = x - np.median(x)
    freqs, power = _spectrum(x, sampling_rate)
    total = power.sum()
    if total <= 0 or not np.isfinite(total):
        return Measures(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, float("inf"))
    band = power[(freqs >= 1.0) & (freqs <= 40.0)] + total * 1e-12
    flatness = float(np.exp(np.mean(np.log(band))) / np.mean(band))
    mains = sum(power[np.abs(freqs - hz) < 1.0].sum() for hz in MAINS_HZ) / total
    peak = freqs[np.argmax(power)]
    tone = power[np.abs(freqs - peak) < 1.0].sum() / total
    return Measures(flatness, float(mains), float(tone), float(peak), *_qrs_train(x, sampling_rate))


def looks_like_ecg(m: Measures) -> bool:
    """A train of sharp, concentrated complexes at a heart rate."""
    regular_enough = m.qrs_rr_cv <= ECG_MAX_RR_CV or m.qrs_concentration >= ECG_IRREGULAR_CONCENTRATION
    return (
        m.qrs_concentration >= ECG_CONCENTRATION
        and m.qrs_kurtosis >= ECG_KURTOSIS
        and ECG_RATE_BPM[0] <= m.qrs_rate_bpm <= ECG_RATE_BPM[1]
        and regular_enough
    )


def looks_like_eeg_not_ecg(m: Measures) -> bool:
    """No QRS complexes at all: energy spread out in time, no spiky tails."""
    return m.qrs_kurtosis < EEG_MAX_KURTOSIS and m.qrs_concentration < EEG_MAX_CONCENTRATION


@dataclass(frozen=True)
class SignalCheck:
    plausible: bool
    looks_like: Optional[str]
    reason: Optional[str]

    def to_dict(self) -> dict:
        return asdict(self)


def judge(m: Measures, signal_type: str) -> SignalCheck:
    """The verdict on measures ``m`` of a recording declared as ``signal_type`` ("ECG" or "EEG")."""
    if m.mains_share >= MAINS_SHARE:
        return SignalCheck(
            False,
            "mains hum",
            f"the signal is mostly mains hum ({m.mains_share:.0%} "
            "of its power at 50/60 Hz): check the electrodes and the cables",
        )
    if m.tone_share >= TONE_SHARE:
        return SignalCheck(
            False,
            "pure tone",
            f"the signal is a single steady tone at {m.peak_hz:.1f} Hz, not an {signal_type} recording",
        )
    if m.flatness >= NOISE_FLATNESS:
        return SignalCheck(
            False,
            "noise",
            f"the signal looks like random noise, not {signal_type}: its power is spread evenly over all frequencies",
        )
    if signal_type == "EEG" and looks_like_ecg(m):
        return SignalCheck(
            False,
            "ECG",
            "the signal looks like an ECG (regular heartbeat "
            f"complexes at about {m.qrs_rate_bpm:.0f} per minute), not an EEG",
        )
    if signal_type == "ECG" and looks_like_eeg_not_ecg(m):
        return SignalCheck(
            False, "EEG", "the signal has no heartbeat complexes: it looks like an EEG or another signal, not an ECG"
        )
    return SignalCheck(True, signal_type, None)


def check(signal: np.ndarray, sampling_rate: float, signal_type: str) -> SignalCheck:
    """Whether ``signal`` is plausibly a recording of ``signal_type``, and if not what it looks like."""
    return judge(measure(signal, sampling_rate), signal_type.upper())
