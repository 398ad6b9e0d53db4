"""ECG rhythm classification (CinC 2017 classes): ``classify_rhythm(signal, sampling_rate) -> Finding``.

Pipeline: resample to 300 Hz and scale -> band-pass -> R peaks -> polarity -> per window (at most
61 s, the longest training record; longer recordings are cut into consecutive 30 s windows, the
last one aligned to the end): features -> LightGBM, and the cleaned signal at 100 Hz -> 1-D
residual CNN -> log-linear pool of the two -> temperature scaling.

Long recordings: each window's label is its likeliest class; the AF episodes are the runs of
windows labelled AF and the AF burden is the share of the recording inside them. The recording's
probabilities are the mean of its windows' and its label the likeliest of those, so a recording is
called AF when AF dominates it, and AF in part of it shows as burden and episodes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from classifier.ecg import preprocess
from classifier.ecg.features import window_features
from classifier.ecg.qrs import detect_r_peaks, heart_rate_bpm
from classifier.ecg.quality import is_unreadable
from classifier.ecg.rhythm_cnn import cnn_input
from classifier.ecg.rhythm_model import MODEL_DIR, RhythmEnsemble
from classifier.finding import QUALITY_OK, QUALITY_POOR, Finding, window_item, windows_summary
from classifier.limits import SignalError
from classifier.loading import CommittedModel
from classifier.signal_types import NOISY_RECORDING
from classifier.signals import as_float_array, sliding_windows

AF, NOISY = "Atrial Fibrillation", NOISY_RECORDING
MAX_WINDOW_S, WINDOW_S, STEP_S = 61.0, 30.0, 30.0
# The shortest CinC 2017 training record; shorter inputs (down to the 5 s limit) get a note.
TRAINED_MIN_S = 9.0


@dataclass(frozen=True)
class Prepared:
    """One recording at the model rate: unfiltered-scaled, cleaned-oriented, and its R peaks."""

    raw: np.ndarray
    cleaned: np.ndarray
    r_peaks: np.ndarray


def prepare(signal: np.ndarray, sampling_rate: float) -> Prepared:
    """Resample, scale, band-pass, detect R peaks and orient the recording (see module docstring)."""
    fs = preprocess.MODEL_RATE
    raw = preprocess.to_model_rate(signal, sampling_rate)
    cleaned = preprocess.clean(raw, fs)
    peaks = detect_r_peaks(cleaned, fs)
    cleaned, peaks = preprocess.orient(cleaned, peaks, fs)
    return Prepared(raw=raw, cleaned=cleaned, r_peaks=peaks)


def window_bounds(n_samples: int) -> list[tuple[int, int]]:
    """Analysis windows at the model rate: the whole recording when it is short enough."""
    fs = preprocess.MODEL_RATE
    if n_samples <= MAX_WINDOW_S * fs:
        return [(0, n_samples)]
    return sliding_windows(n_samples, int(WINDOW_S * fs), int(STEP_S * fs))


def cnn_inputs_per_window(prepared: Prepared) -> list[np.ndarray]:
    """The CNN input of each analysis window."""
    fs = preprocess.MODEL_RATE
    return [cnn_input(prepared.cleaned[start:stop], fs) for start, stop in window_bounds(len(prepared.raw))]


def features_per_window(prepared: Prepared) -> list[dict[str, float]]:
    """The feature dict of each analysis window."""
    fs = preprocess.MODEL_RATE
    out = []
    for start, stop in window_bounds(len(prepared.raw)):
        peaks = prepared.r_peaks[(prepared.r_peaks >= start) & (prepared.r_peaks < stop)] - start
        out.append(window_features(prepared.raw[start:stop], prepared.cleaned[start:stop], peaks, fs))
    return out


COMMITTED = CommittedModel(RhythmEnsemble.load, MODEL_DIR)


def load_model() -> RhythmEnsemble:
    """The committed rhythm model (loaded once per process)."""
    return COMMITTED.get()


def window_probabilities(prepared: Prepared) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Per analysis window: the calibrated probabilities and the window's features."""
    model = load_model()
    feats = features_per_window(prepared)
    matrix = np.array([[f[name] for name in model.feature_names] for f in feats], dtype=np.float64)
    return model.predict_proba(matrix, cnn_inputs_per_window(prepared)), feats


def af_episodes(items: Sequence[Mapping]) -> list[dict[str, float]]:
    """Runs of consecutive windows labelled AF, as ``{"start_s", "end_s"}`` (windows may overlap)."""
    episodes: list[dict[str, float]] = []
    for item in items:
        if item["label"] != AF:
            continue
        if episodes and item["start_s"] <= episodes[-1]["end_s"]:
            episodes[-1]["end_s"] = max(episodes[-1]["end_s"], item["end_s"])
        else:
            episodes.append({"start_s": item["start_s"], "end_s": item["end_s"]})
    return episodes


def af_burden(episodes: Sequence[Mapping[str, float]], duration_s: float) -> float:
    """The share (0-1) of the recording inside AF episodes."""
    if duration_s <= 0:
        return 0.0
    return min(1.0, sum(e["end_s"] - e["start_s"] for e in episodes) / duration_s)


def window_summary(per_window: np.ndarray, classes: list[str], n_samples: int) -> dict:
    """``Finding.windows`` of a long recording (``n_samples`` at the model rate): each window's
    label and probability, the AF episodes and the AF burden, times in seconds."""
    fs = preprocess.MODEL_RATE
    items = [
        window_item(start / fs, stop / fs, classes[int(np.argmax(p))], float(np.max(p)))
        for (start, stop), p in zip(window_bounds(n_samples), per_window)
    ]
    episodes = af_episodes(items)
    return windows_summary(
        WINDOW_S, STEP_S, items, af_burden=round(af_burden(episodes, n_samples / fs), 4), af_episodes=episodes
    )


def af_spans_s(finding: Finding, duration_s: float) -> list[tuple[float, float]]:
    """Where a rhythm finding calls atrial fibrillation, in seconds: the whole recording when its
    label is AF, else its AF episodes (none for a recording of one window)."""
    if finding.label == AF:
        return [(0.0, duration_s)]
    return [(e["start_s"], e["end_s"]) for e in (finding.windows or {}).get("af_episodes", [])]


def model_info() -> dict:
    """Name, version, classes and the measured held-out metrics of the rhythm model."""
    model = load_model()
    metrics_file = MODEL_DIR / "metrics.json"
    metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    summary = {k: metrics[k] for k in ("challenge_score", "f1", "ece", "n_records") if k in metrics}
    return {
        "name": "ecg_rhythm",
        "version": model.version,
        "classes": list(model.classes),
        "trained_on": "PhysioNet/CinC Challenge 2017 training set",
        "metrics": summary,
        "loaded": COMMITTED.loaded,
    }


@dataclass(frozen=True)
class RhythmWindows:
    """One recording through the rhythm model, before its finding is made: the input, its prepared
    form, each analysis window's bounds (seconds), probabilities and features."""

    signal: np.ndarray
    sampling_rate: float
    prepared: Prepared
    bounds_s: list[tuple[float, float]]
    probabilities: np.ndarray
    features: list[dict[str, float]]


def analyse_windows(signal: np.ndarray, sampling_rate: float) -> RhythmWindows:
    """Validate, prepare and run the rhythm model on each analysis window.

    Raises SignalError for a recording without any usable content (non-finite values, a flat line).
    """
    x = as_float_array(signal)
    if not np.all(np.isfinite(x)):
        raise SignalError("ECG signal contains non-finite values (NaN or infinity)")
    if np.ptp(x) == 0:
        raise SignalError("ECG signal is a flat line: there is nothing to classify")
    prepared = prepare(x, sampling_rate)
    per_window, feats = window_probabilities(prepared)
    fs = preprocess.MODEL_RATE
    bounds = [(start / fs, stop / fs) for start, stop in window_bounds(len(prepared.raw))]
    return RhythmWindows(x, float(sampling_rate), prepared, bounds, per_window, feats)


def rhythm_finding(analysed: RhythmWindows, per_window: np.ndarray | None = None) -> Finding:
    """The rhythm finding of an analysed recording, from ``per_window`` probabilities (default: the
    model's own; ``af_evidence.combine`` passes them with RR evidence joined in).

    A recording in which no consistent heartbeat can be found is reported as a poor-quality
    "Noisy Recording", whatever the probabilities, which are still returned as measured.
    """
    model = load_model()
    per_window = analysed.probabilities if per_window is None else per_window
    x, sampling_rate, prepared = analysed.signal, analysed.sampling_rate, analysed.prepared
    probs = per_window.mean(axis=0)
    fs = preprocess.MODEL_RATE
    correlations = [f["tmpl_corr_median"] for f in analysed.features if np.isfinite(f["tmpl_corr_median"])]
    template_corr = float(np.median(correlations)) if correlations else float("nan")
    unreadable = is_unreadable(len(prepared.r_peaks), len(x) / sampling_rate, template_corr)
    label = NOISY if unreadable else model.classes[int(np.argmax(probs))]
    confidence = float(probs[model.classes.index(label)])
    notes = []
    if unreadable:
        notes.append("no consistent heartbeat was found: the rhythm could not be assessed")
    if len(x) / sampling_rate < TRAINED_MIN_S:
        notes.append(f"recording shorter than the {TRAINED_MIN_S:g} s the model was trained on")
    return Finding(
        signal_type="ECG",
        label=label,
        confidence=confidence,
        probabilities={c: float(p) for c, p in zip(model.classes, probs)},
        quality=QUALITY_POOR if label == NOISY else QUALITY_OK,
        heart_rate_bpm=None if unreadable else heart_rate_bpm(prepared.r_peaks, fs),
        r_peaks=tuple(int(i) for i in preprocess.to_input_frame(prepared.r_peaks, fs, sampling_rate, len(x))),
        windows=None if len(per_window) == 1 else window_summary(per_window, model.classes, len(prepared.raw)),
        model_version=model.version,
        notes=tuple(notes),
    )


def classify_rhythm(signal: np.ndarray, sampling_rate: float) -> Finding:
    """Rhythm finding for one single-lead ECG at any rate from 100 to 1000 Hz, in any amplitude unit,
    from the rhythm model alone (``classifier.ecg.analyze_ecg`` adds the beats and the RR evidence).

    Raises SignalError for a recording without any usable content (non-finite values, a flat line).
    """
    return rhythm_finding(analyse_windows(signal, sampling_rate))
