"""From a recording to a Finding: windows, per-window probabilities, and their summary.

A recording is cut into overlapping windows; each usable window gets calibrated class scores. The
recording's probabilities are the softmax of the mean score over its usable windows, mixed with the
uninformative uniform distribution in the proportion of unusable (flat or saturated) windows, so a
mostly unusable recording can never come out confident. A recording longer than one Bonn segment
(23.6 s, the unit the model was evaluated on) is scanned segment-length stretch by stretch: if any
stretch is judged seizure, the finding is that stretch's (the most seizure-like one); otherwise it
is the whole recording's.

The finding abstains (``Finding.abstain_reason``) when the model's 90% conformal prediction set is
not exactly its label, or when its windows lie outside the training data (see
classifier/eeg/model.py); ``windows`` carries the set and the distance for the record. The set is
computed from the cross-validation fold models' probabilities of the same windows, pooled the same
way.
"""

from __future__ import annotations

import numpy as np

from classifier.calibration import softmax
from classifier.eeg import features, preprocess
from classifier.eeg.model import EEGModel, load_model
from classifier.finding import QUALITY_OK, QUALITY_POOR, Finding, window_item, windows_summary
from classifier.limits import SignalError

MIN_USABLE_FRACTION = 0.5  # below this, quality is "poor"
UNUSABLE = "unusable"


def pooled_probabilities(window_scores: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Class probabilities of a run of windows: softmax of the usable windows' mean score, weighted
    by the usable fraction, the rest of the weight on the uniform distribution.

    ``window_scores`` has one row per window; rows of unusable windows are ignored.
    """
    return stretch_probabilities(window_scores, usable, len(window_scores))[0]


def stretch_probabilities(window_scores: np.ndarray, usable: np.ndarray, span: int) -> np.ndarray:
    """``pooled_probabilities`` of every run of ``span`` consecutive windows (row i: the run that
    starts at window i), all runs at once. The usable rows are summed in order, as ``np.mean`` over
    one run sums them, so each row is the same to the last bit as pooling that run alone."""
    n_runs, n_classes = len(window_scores) - span + 1, window_scores.shape[1]
    total, count = np.zeros((n_runs, n_classes)), np.zeros(n_runs)
    for offset in range(span):
        kept = usable[offset : offset + n_runs]
        total = total + np.where(kept[:, None], window_scores[offset : offset + n_runs], 0.0)
        count = count + kept
    some = count > 0
    evidence = softmax(total / np.where(some, count, 1.0)[:, None])
    fraction = (count / span)[:, None]
    pooled = fraction * evidence + (1.0 - fraction) * np.full(n_classes, 1.0 / n_classes)
    return np.where(some[:, None], pooled, 1.0 / n_classes)


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


def every_window(window_scores: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """The usable windows' score rows placed among all windows (rows of unusable windows unread)."""
    scores = np.zeros((len(usable), window_scores.shape[1]))
    scores[usable] = window_scores
    return scores


def summarise(
    model: EEGModel, window_scores: np.ndarray, usable: np.ndarray, bounds: list[tuple[int, int]]
) -> tuple[np.ndarray, dict, slice]:
    """(recording probabilities, the ``windows`` summary, the windows they were pooled from: the
    most seizure-like stretch when it is judged seizure, else all).

    ``window_scores`` holds rows for the usable windows only, in order.
    """
    seizure = model.classes.index("Seizure Activity")
    labels = np.full(len(bounds), -1)
    label_probability = np.full(len(bounds), np.nan)
    if usable.any():
        window_probabilities = softmax(window_scores)
        labels[usable] = model.decide(window_probabilities)
        label_probability[usable] = window_probabilities[np.arange(len(window_scores)), labels[usable]]
    scores = every_window(window_scores, usable)
    span = min(_span_windows(), len(bounds))
    stretches = stretch_probabilities(scores, usable, span)
    best = int(np.argmax(stretches[:, seizure]))
    if model.decide(stretches[best])[0] == seizure:
        pooled, probabilities = slice(best, best + span), stretches[best]
    else:
        pooled, probabilities = slice(0, len(bounds)), pooled_probabilities(scores, usable)
    n_usable = int(usable.sum())
    is_seizure = labels == seizure
    rate = preprocess.TARGET_RATE
    items = [
        window_item(start / rate, stop / rate, model.classes[k] if k >= 0 else UNUSABLE, None if k < 0 else p)
        for (start, stop), k, p in zip(bounds, labels, label_probability)
    ]
    windows = windows_summary(
        preprocess.WINDOW_SECONDS,
        preprocess.STEP_SECONDS,
        items,
        n_unusable=len(bounds) - n_usable,
        seizure_fraction=round(float(is_seizure.sum() / n_usable), 4) if n_usable else 0.0,
        seizure_ranges_s=_seizure_ranges(bounds, is_seizure),
    )
    return probabilities, windows, pooled


def analyze(signal: np.ndarray, sampling_rate: float, model: EEGModel | None = None) -> Finding:
    """The EEG finding for one single-channel recording (any rate the limits allow, any units).

    Raises SignalError when no window can be analysed (a flat line, a saturated signal).
    """
    model = model or load_model()
    X, usable, bounds = features.recording_features(signal, sampling_rate)
    if not usable.any():
        raise SignalError("EEG signal is flat or saturated throughout: nothing can be analysed")
    window_scores = model.window_scores(X[usable])
    probabilities, windows, pooled = summarise(model, window_scores, usable, bounds)
    from_stretch = pooled != slice(0, len(bounds))
    label = int(model.decide(probabilities)[0])
    fold_probabilities = np.array(
        [
            pooled_probabilities(every_window(scores, usable)[pooled], usable[pooled])
            for scores in model.fold_window_scores(X[usable])
        ]
    )
    prediction_set = model.prediction_set(fold_probabilities)
    windows["prediction_set"] = list(prediction_set)
    windows["ood_score"] = round(model.ood_score(X[usable]), 3)
    windows["ood_threshold"] = model.ood_threshold
    usable_fraction = float(usable.mean())
    notes = []
    if usable_fraction < 1.0:
        notes.append(f"{windows['n_unusable']} of {len(bounds)} windows are flat or saturated and carry no evidence")
    if from_stretch:
        notes.append(
            "seizure activity in part of the recording: the finding is that of its most seizure-like 23.6 s stretch"
        )
    return Finding(
        signal_type="EEG",
        label=model.classes[label],
        confidence=float(probabilities[label]),
        probabilities={c: float(p) for c, p in zip(model.classes, probabilities)},
        quality=QUALITY_OK if usable_fraction >= MIN_USABLE_FRACTION else QUALITY_POOR,
        windows=windows,
        model_version=model.version,
        notes=tuple(notes),
        abstain_reason=model.abstain_reason(model.classes[label], prediction_set, X[usable]),
    )
