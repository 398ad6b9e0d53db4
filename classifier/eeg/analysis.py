"""From a recording to a Finding: windows, per-window probabilities, and their summary.

A recording is cut into overlapping windows; each usable window gets calibrated probabilities. The
recording's probabilities are the mean over windows, where an unusable (flat or saturated) window
counts as the uninformative uniform distribution, so a mostly unusable recording can never come out
confident. A recording longer than one Bonn segment (23.6 s, the unit the model was evaluated on)
is scanned segment-length stretch by stretch: if any stretch is judged seizure, the finding is that
stretch's (the most seizure-like one); otherwise it is the whole recording's.
"""
from __future__ import annotations

import numpy as np

from classifier.eeg import features, preprocess
from classifier.eeg.model import EEGModel, load_model
from classifier.finding import QUALITY_OK, QUALITY_POOR, Finding
from classifier.limits import SignalError

MIN_USABLE_FRACTION = 0.5  # below this, quality is "poor"
UNUSABLE = "unusable"


def filled_probabilities(window_probs: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """One row per window: the model's probabilities, or uniform where the window is unusable.

    ``window_probs`` holds rows for the usable windows only, in order.
    """
    n_classes = window_probs.shape[1]
    filled = np.full((len(usable), n_classes), 1.0 / n_classes)
    filled[usable] = window_probs
    return filled


def _span_windows() -> int:
    """How many analysis windows one Bonn segment holds."""
    n = int(round(preprocess.SEGMENT_SECONDS * preprocess.TARGET_RATE))
    return len(preprocess.window_bounds(n, preprocess.TARGET_RATE))


def _seizure_ranges(bounds: list[tuple[int, int]], is_seizure: np.ndarray) -> list[list[float]]:
    """Merged ``[start_s, end_s]`` ranges covered by seizure windows."""
    ranges: list[list[float]] = []
    for (start, stop), seizure in zip(bounds, is_seizure):
        if not seizure:
            continue
        start_s, stop_s = start / preprocess.TARGET_RATE, stop / preprocess.TARGET_RATE
        if ranges and start_s <= ranges[-1][1]:
            ranges[-1][1] = stop_s
        else:
            ranges.append([start_s, stop_s])
    return [[round(a, 2), round(b, 2)] for a, b in ranges]


def summarise(model: EEGModel, window_probs: np.ndarray, usable: np.ndarray,
              bounds: list[tuple[int, int]]) -> tuple[np.ndarray, dict, bool]:
    """(recording probabilities, the ``windows`` summary, whether a seizure stretch decided it)."""
    seizure = model.classes.index("Seizure Activity")
    labels = np.full(len(bounds), -1)
    if usable.any():
        labels[usable] = model.decide(window_probs)
    filled = filled_probabilities(window_probs, usable)
    span = min(_span_windows(), len(bounds))
    stretches = [filled[i:i + span].mean(axis=0) for i in range(len(bounds) - span + 1)]
    best = max(stretches, key=lambda p: p[seizure])
    if model.decide(best)[0] == seizure:
        probabilities, from_stretch = best, len(stretches) > 1
    else:
        probabilities, from_stretch = filled.mean(axis=0), False
    n_usable = int(usable.sum())
    is_seizure = labels == seizure
    windows = {
        "window_seconds": preprocess.WINDOW_SECONDS,
        "step_seconds": preprocess.STEP_SECONDS,
        "n_windows": len(bounds),
        "n_unusable": len(bounds) - n_usable,
        "seizure_fraction": round(float(is_seizure.sum() / n_usable), 4) if n_usable else 0.0,
        "seizure_ranges_s": _seizure_ranges(bounds, is_seizure),
        "per_window": [model.classes[k] if k >= 0 else UNUSABLE for k in labels],
    }
    return probabilities, windows, from_stretch


def analyze(signal: np.ndarray, sampling_rate: float, model: EEGModel | None = None) -> Finding:
    """The EEG finding for one single-channel recording (any rate the limits allow, any units).

    Raises SignalError when no window can be analysed (a flat line, a saturated signal).
    """
    model = model or load_model()
    X, usable, bounds = features.recording_features(signal, sampling_rate)
    if not usable.any():
        raise SignalError("EEG signal is flat or saturated throughout: nothing can be analysed")
    window_probs = model.window_probabilities(X[usable])
    probabilities, windows, from_stretch = summarise(model, window_probs, usable, bounds)
    label = int(model.decide(probabilities)[0])
    usable_fraction = float(usable.mean())
    notes = []
    if usable_fraction < 1.0:
        notes.append(f"{windows['n_unusable']} of {len(bounds)} windows are flat or saturated and "
                     "carry no evidence")
    if from_stretch:
        notes.append("seizure activity in part of the recording: the finding is that of its most "
                     "seizure-like 23.6 s stretch")
    return Finding(
        signal_type="EEG",
        label=model.classes[label],
        confidence=float(probabilities[label]),
        probabilities={c: float(p) for c, p in zip(model.classes, probabilities)},
        quality=QUALITY_OK if usable_fraction >= MIN_USABLE_FRACTION else QUALITY_POOR,
        windows=windows,
        model_version=model.version,
        notes=tuple(notes),
    )
