"""Beat-by-beat AAMI classification (N, S, V, F, Q) with the MIT-BIH-trained LightGBM models."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from classifier.ecg.beat_features import (
    CLASS_MODEL_FEATURES,
    FEATURE_NAMES,
    beat_features_and_look_alikes,
    p_wave_presence,
    rr_irregularity,
)
from classifier.ecg.beat_peaks import drop_close_detections
from classifier.ecg.beat_supraventricular import SupraventricularModel
from classifier.ecg.qrs import detect_r_peaks
from classifier.loading import CommittedModel
from classifier.paths import MODELS_DIR
from classifier.signal_types import BEAT_CLASSES

MODEL_DIR = MODELS_DIR / "ecg_beats"
AAMI_CLASSES = BEAT_CLASSES
# A beat whose most probable class has less than this probability is counted as low-confidence in
# the summary, so a reader can tell a clear ectopy count from a guess.
LOW_CONFIDENCE = 0.6
_N, _S, _V, _F, _Q = (AAMI_CLASSES.index(c) for c in "NSVFQ")
_NOT_Q = np.arange(len(AAMI_CLASSES)) != _Q
CLASS_COLUMNS = np.array([FEATURE_NAMES.index(name) for name in CLASS_MODEL_FEATURES])
_PRE_RATIO, _PRE_MEDIAN, _POST_PRE, _CORR_P = (
    FEATURE_NAMES.index(name) for name in ("pre_ratio", "pre_median", "post_pre", "corr_p")
)
# A beat right after an S call continues a supraventricular run when both arrive faster than 0.8
# of the recording's median RR: a run of SVT keeps the rate its first premature beat set, and
# once the local rhythm is fast only the recording-level RR still marks its beats as early.
RUN_RR_RATIO = 0.8
# A beat is on time when the RR before it is within 10% of the median of the 11 surrounding RR and
# the RR after it within 10% of the one before: neither premature nor followed by a pause.
ON_TIME_TOLERANCE = 0.1


@dataclass(frozen=True)
class BeatModel:
    """Two boosters, the linear S model and the two limits of the atrial-fibrillation rule.

    ``classes`` gives N S V F Q probabilities from ``CLASS_MODEL_FEATURES`` (nothing absolute);
    learning Q keeps paced-looking training beats from distorting N, S, V and F, but its Q column
    is not used. A beat is V or F where that is the likeliest of N, S, V and F once its
    probabilities are pooled with its look-alikes' (``pool_over_look_alikes``),
    otherwise N. ``paced`` is the same five-class model over all features, the
    absolute window included; a beat is Q where Q is its most probable class, since only absolute
    shape tells a paced recording's dominant beat. A beat still N becomes S where
    ``supraventricular`` says S (the trees' own S probability is not used: S against N is the
    linear model's alone). The two S rules apply where training kept them (``s_runs``,
    ``s_af_rule``; ``train_beats.choose_s_recipe``): a beat that continues a fast run started by
    an S call becomes S (``continue_supraventricular_runs``), and no S stays where the rhythm is
    irregular and without P waves (``suppress_s_in_atrial_fibrillation``). Finally no V stays on a
    beat that arrives on time behind the recording's own P wave (``veto_v_for_conducted_beats``).
    """

    classes: lgb.Booster
    paced: lgb.Booster
    supraventricular: SupraventricularModel
    s_irregularity_limit: float
    s_p_wave_limit: float
    v_p_wave_limit: float
    s_runs: bool = True
    s_af_rule: bool = True

    def predict(
        self, features: np.ndarray, irregularity: np.ndarray, look_alikes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Class indices into ``AAMI_CLASSES`` and the class model's probabilities, per beat."""
        if len(features) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(AAMI_CLASSES)))
        probabilities = self.classes.predict(features[:, CLASS_COLUMNS])
        pooled = pool_over_look_alikes(probabilities, look_alikes)
        predicted = np.full(len(features), _N, dtype=np.int64)
        likeliest = np.argmax(np.where(_NOT_Q, pooled, -1.0), axis=1)
        ventricular = (likeliest == _V) | (likeliest == _F)
        predicted[ventricular] = likeliest[ventricular]
        predicted[np.argmax(self.paced.predict(features), axis=1) == _Q] = _Q
        predicted[(predicted == _N) & self.supraventricular.is_s(features)] = _S
        predicted = apply_s_rules(
            predicted,
            features,
            irregularity,
            self.s_runs,
            self.s_irregularity_limit if self.s_af_rule else np.inf,
            self.s_p_wave_limit,
        )
        return veto_v_for_conducted_beats(predicted, features, self.v_p_wave_limit), probabilities


def apply_s_rules(
    predicted: np.ndarray,
    features: np.ndarray,
    irregularity: np.ndarray,
    runs: bool,
    irregularity_limit: float,
    p_wave_limit: float,
) -> np.ndarray:
    """The S rules on class indices: runs continued where ``runs``, then S dropped in atrial
    fibrillation (an infinite ``irregularity_limit`` turns that rule off)."""
    if runs:
        predicted = continue_supraventricular_runs(predicted, features[:, _PRE_RATIO])
    return suppress_s_in_atrial_fibrillation(
        predicted, irregularity, irregularity_limit, p_wave_presence(features), p_wave_limit
    )


def pool_over_look_alikes(probabilities: np.ndarray, look_alikes: np.ndarray) -> np.ndarray:
    """Each beat's class probabilities averaged half and half with the mean of its look-alikes'.

    A PVC's look-alikes are the recording's other PVCs: a late PVC, or one whose own features are
    ambiguous, is recognised by the company it keeps (the gain in cross-validation is in the model
    card, classifier/models/ecg_beats/README.md). S is left to the beat's own probabilities: an atrial
    premature beat looks like the normal beats, so its look-alikes are normal.
    """
    return 0.5 * probabilities + 0.5 * probabilities[look_alikes].mean(axis=1)


def load(directory: Path = MODEL_DIR) -> tuple[BeatModel, dict]:
    """The model in ``directory`` and its metadata (classes, feature names, version)."""
    meta = json.loads((directory / "meta.json").read_text())
    if tuple(meta["features"]) != FEATURE_NAMES:
        raise RuntimeError(
            "ecg_beats model was trained on other features; retrain it with python -m training.ecg.train_beats"
        )
    model = BeatModel(
        lgb.Booster(model_file=str(directory / "model.txt")),
        lgb.Booster(model_file=str(directory / "paced_gate.txt")),
        SupraventricularModel.from_dict(meta["s_model"]),
        meta["s_irregularity_limit"],
        meta["s_p_wave_limit"],
        meta["v_p_wave_limit"],
        meta["s_rules"]["runs"],
        meta["s_rules"]["af"],
    )
    return model, meta


COMMITTED = CommittedModel(load, MODEL_DIR)


def load_model() -> tuple[BeatModel, dict]:
    """The committed model and its metadata, loaded once per process."""
    return COMMITTED.get()


def model_info() -> dict:
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    return {
        "name": "ecg_beats",
        "version": meta["version"],
        "classes": meta["classes"],
        "trained_on": "MIT-BIH Arrhythmia Database DS1 (de Chazal 2004 split) + paced records",
        "loaded": COMMITTED.loaded,
    }


def classify_beats(
    signal: np.ndarray, sampling_rate: float, r_peaks: np.ndarray | None = None
) -> tuple[list[dict], dict]:
    """Each beat's AAMI class and a summary of counts and rates.

    ``r_peaks`` (indices in ``signal``'s frame) are detected when not given. Returns
    ``(beats, beat_summary)``: beats are ``{"sample", "time_s", "class"}``; the summary has the
    recording's ``duration_s``, ``total_beats``, and per class ``counts``, ``per_minute`` and
    ``per_hour``, plus ``low_confidence_beats`` and the ``model_version``.
    """
    x = np.asarray(signal, dtype=np.float64)
    peaks = detect_r_peaks(x, sampling_rate) if r_peaks is None else np.asarray(r_peaks, np.int64)
    peaks = drop_close_detections(x, sampling_rate, peaks)
    model, meta = load_model()
    classes = meta["classes"]
    features, look_alikes = beat_features_and_look_alikes(x, sampling_rate, peaks)
    if len(features) == 0:  # fewer than two beats: nothing to compare a beat with
        peaks = peaks[:0]
    predicted, probabilities = model.predict(features, rr_irregularity(peaks, sampling_rate), look_alikes)
    low_confidence = int(np.count_nonzero(probabilities.max(axis=1) < LOW_CONFIDENCE))
    beats = [
        {"sample": int(p), "time_s": round(float(p) / sampling_rate, 3), "class": classes[c]}
        for p, c in zip(peaks, predicted)
    ]
    return beats, _summary(predicted, classes, len(x) / sampling_rate, low_confidence, meta["version"])


def continue_supraventricular_runs(predicted: np.ndarray, pre_ratio: np.ndarray) -> np.ndarray:
    """Class indices with N beats turned into S where they continue a run of S calls.

    A beat continues the run when the beat before it is S and both came sooner than
    ``RUN_RR_RATIO`` of the recording's median RR (``pre_ratio``). A run of supraventricular
    tachycardia (MIT-BIH 209, 207, 124) speeds up the surrounding RR median, so after its first
    beats the per-beat models see a fast regular rhythm and call its beats N.
    """
    predicted = predicted.copy()
    fast = pre_ratio < RUN_RR_RATIO
    for i in np.flatnonzero(fast[1:] & fast[:-1]) + 1:
        if predicted[i] == _N and predicted[i - 1] == _S:
            predicted[i] = _S
    return predicted


def suppress_s_in_atrial_fibrillation(
    predicted: np.ndarray, irregularity: np.ndarray, irregularity_limit: float, p_wave: np.ndarray, p_wave_limit: float
) -> np.ndarray:
    """Class indices with S calls turned into N where the rhythm looks like atrial fibrillation.

    That is where the RR irregularity around the beat exceeds ``irregularity_limit`` and the P-wave
    presence around it (``beat_features.p_wave_presence``) is under ``p_wave_limit``. In atrial
    fibrillation normal beats arrive early all the time, and the model calls them S (it did for
    hundreds of beats of records 201 and 203); frequent atrial premature beats make a rhythm
    irregular too, but its beats keep their P waves. Both limits are set at training from the
    training records' own S beats (``train_beats``), never from test data.
    """
    predicted = predicted.copy()
    predicted[(predicted == _S) & (irregularity > irregularity_limit) & (p_wave < p_wave_limit)] = _N
    return predicted


def on_time(features: np.ndarray) -> np.ndarray:
    """Per beat of a ``FEATURE_NAMES`` matrix: neither premature nor followed by a pause
    (``ON_TIME_TOLERANCE``)."""
    return (np.abs(features[:, _PRE_MEDIAN] - 1.0) < ON_TIME_TOLERANCE) & (
        np.abs(features[:, _POST_PRE] - 1.0) < ON_TIME_TOLERANCE
    )


def conducted(features: np.ndarray, p_wave_limit: float) -> np.ndarray:
    """Per beat of a ``FEATURE_NAMES`` matrix: on time (``on_time``) with a P wave like the
    recording's dominant beat's before it (correlation over the P-wave region above
    ``p_wave_limit``)."""
    return on_time(features) & (features[:, _CORR_P] > p_wave_limit)


def veto_v_for_conducted_beats(predicted: np.ndarray, features: np.ndarray, p_wave_limit: float) -> np.ndarray:
    """Class indices with V calls turned into N on beats conducted from the atria (``conducted``).

    A ventricular ectopic beat is premature, or an escape after a pause, or part of a ventricular
    rhythm without the sinus P waves; a beat on time behind a sinus P wave whose QRS has changed
    shape (record 108's last minutes, 109's widening QRS) is a conducted beat. ``p_wave_limit`` is
    set at training as the 90th percentile over the training records' on-time V beats
    (``train_beats``), so nine in ten of those (end-diastolic PVCs, accelerated idioventricular
    beats) keep their V.
    """
    predicted = predicted.copy()
    predicted[(predicted == _V) & conducted(features, p_wave_limit)] = _N
    return predicted


def without_s_in_atrial_fibrillation(
    beats: list[dict], summary: dict, spans_s: list[tuple[float, float]]
) -> tuple[list[dict], dict]:
    """Beats and summary with every S beat inside an AF span (seconds) counted as N instead.

    The spans are where the rhythm model calls atrial fibrillation: there is no sinus rhythm for a
    beat to come early against, so a supraventricular premature beat has no meaning (AAMI).
    """
    inside = inside_spans(np.array([b["time_s"] for b in beats], dtype=np.float64), spans_s)
    beats = [{**b, "class": "N"} if b["class"] == "S" and within else b for b, within in zip(beats, inside)]
    classes = list(summary["counts"])
    predicted = np.array([classes.index(b["class"]) for b in beats], dtype=np.int64)
    return beats, {
        **summary,
        **_summary(
            predicted, classes, summary["duration_s"], summary["low_confidence_beats"], summary["model_version"]
        ),
    }


def inside_spans(times_s: np.ndarray, spans_s: list[tuple[float, float]]) -> np.ndarray:
    """Per time (seconds): whether it lies in one of the spans (ends included)."""
    inside = np.zeros(len(times_s), dtype=bool)
    for start, end in spans_s:
        inside |= (times_s >= start) & (times_s <= end)
    return inside


def _summary(
    predicted: np.ndarray, classes: list[str], duration_s: float, low_confidence: int, version: str
) -> dict[str, Any]:
    counts = np.bincount(predicted, minlength=len(classes))
    minutes = duration_s / 60.0
    return {
        "duration_s": round(duration_s, 2),
        "total_beats": int(counts.sum()),
        "counts": {c: int(n) for c, n in zip(classes, counts)},
        "per_minute": {c: round(float(n) / minutes, 2) for c, n in zip(classes, counts)},
        "per_hour": {c: round(float(n) * 60.0 / minutes, 1) for c, n in zip(classes, counts)},
        "low_confidence_beats": low_confidence,
        "model_version": version,
    }
