"""Train the beat classifier on all of MIT-BIH DS1 (plus the paced records' Q beats) and save it.

    OMP_NUM_THREADS=1 python -m training.ecg.train_beats

Writes ``classifier/models/ecg_beats/model.txt`` (the beat class model), ``paced_gate.txt`` (paced
beat or not) and ``meta.json`` (with the linear S model and the thresholds).
"""
from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import lightgbm as lgb
import numpy as np
from sklearn.model_selection import GroupKFold

from classifier.ecg.beat_features import CLASS_MODEL_FEATURES, FEATURE_NAMES, p_wave_presence
from classifier.ecg.beat_supraventricular import fit_s_model
from classifier.ecg.beats import AAMI_CLASSES, CLASS_COLUMNS, ON_TIME_TOLERANCE, RUN_RR_RATIO, BeatModel, on_time
from classifier.paths import MODELS_DIR
from training.ecg.beat_dataset import RecordBeats, record_beats
from training.ecg.mitdb import DS1, PACED

log = logging.getLogger(__name__)

MODEL_DIR = MODELS_DIR / "ecg_beats"
MODEL_VERSION = "ecg-beats-lgbm-8"
# Small trees with many beats per leaf: what generalises to unseen patients is coarse (premature
# and wide), and larger trees learn the training patients' idiosyncrasies instead.
PARAMS = {
    "objective": "multiclass",
    "num_class": len(AAMI_CLASSES),
    "learning_rate": 0.1,
    "num_leaves": 7,
    "min_data_in_leaf": 300,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.7,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "seed": 7,
    "verbose": -1,
}
ROUNDS = 150
IRREGULARITY_PERCENTILE = 90.0
P_WAVE_PERCENTILE = 10.0
V_P_WAVE_PERCENTILE = 90.0
# The S model's threshold: the one with the highest S sensitivity among those whose S positive
# predictivity is at least MIN_S_PPV in an inner cross-validation over the training records
# (the target is 50%; the margin is for the step from the inner folds to unseen patients).
S_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.30, 0.96, 0.05))
MIN_S_PPV = 60.0
INNER_FOLDS = 5
_N, _S = AAMI_CLASSES.index("N"), AAMI_CLASSES.index("S")


def training_set(records: Sequence[str], paced: Sequence[str] = PACED) -> tuple[np.ndarray, np.ndarray]:
    """Features and class indices of the matched beats of ``records`` and the Q beats of ``paced``.

    Paced records teach only the paced class: their other beats are paced-rhythm context that the
    inter-patient protocol does not allow into the N/S/V/F classes.
    """
    xs, ys = [], []
    for name in list(records) + list(paced):
        beats = record_beats(name)
        keep = beats.labels == "Q" if name in paced else beats.labels != ""
        xs.append(beats.features[keep])
        ys.append(class_indices(beats.labels[keep]))
    return np.vstack(xs), np.concatenate(ys)


def class_indices(labels: np.ndarray) -> np.ndarray:
    """AAMI class letters to indices into ``AAMI_CLASSES``."""
    lookup = {c: i for i, c in enumerate(AAMI_CLASSES)}
    return np.array([lookup[c] for c in labels], dtype=np.int64)


def class_weights(y: np.ndarray) -> np.ndarray:
    """Per-sample weights that give every class the same total weight (balanced).

    Without them the booster rarely calls the S and F classes, which are 2% and 1% of DS1 beats.
    """
    counts = np.bincount(y, minlength=len(AAMI_CLASSES)).astype(float)
    per_class = counts.max() / np.maximum(counts, 1.0)
    return per_class[y]


def irregularity_limit(records: Sequence[str]) -> float:
    """The RR irregularity above which S calls are dropped: the 90th percentile over the S beats
    of ``records``: a tenth of their true S beats sit in a rhythm at least this irregular, traded
    for the many normal beats of atrial fibrillation that the model would call S."""
    return _percentile(records, lambda b: b.irregularity[b.labels == "S"], IRREGULARITY_PERCENTILE)


def p_wave_limit(records: Sequence[str]) -> float:
    """The P-wave presence under which an irregular rhythm counts as atrial fibrillation: the 10th
    percentile over the S beats of ``records`` (``beat_features.p_wave_presence``), so nine in ten
    training S beats sit where P waves are at least this clear."""
    return _percentile(records, lambda b: p_wave_presence(b.features)[b.labels == "S"],
                       P_WAVE_PERCENTILE)


def v_p_wave_limit(records: Sequence[str]) -> float:
    """The P-wave correlation above which an on-time beat is not V
    (``beats.veto_v_for_conducted_beats``): the 90th percentile over the on-time V beats of
    ``records``, so nine in ten of them keep their V."""
    corr_p = FEATURE_NAMES.index("corr_p")
    return _percentile(records, lambda b: b.features[on_time(b.features) & (b.labels == "V"), corr_p],
                       V_P_WAVE_PERCENTILE)


def _percentile(records: Sequence[str], values_of: Callable[[RecordBeats], np.ndarray],
                percentile: float) -> float:
    """The percentile of the values ``values_of`` picks from each record's beats, pooled."""
    values = np.concatenate([values_of(b) for b in map(record_beats, records)])
    return float(np.percentile(values, percentile))


def choose_s_threshold(records: Sequence[str], s_rule: bool = True) -> tuple[float, dict]:
    """The S model's threshold, from ``records`` alone, and its inner Se and +P (in %).

    Inner GroupKFold over ``records``: the S model is fitted on the others and scored on the normal
    and S beats of each held-out group, with the atrial-fibrillation rule of those others' limits
    (``s_rule``). Returns the threshold with the highest gross S Se among those with +P >=
    ``MIN_S_PPV``, or the one with the highest +P where none reaches it.
    """
    records = np.asarray(records)
    thresholds = np.array(S_THRESHOLDS)
    hits, calls, reference = np.zeros(len(thresholds)), np.zeros(len(thresholds)), 0
    for train, test in GroupKFold(n_splits=INNER_FOLDS).split(records, groups=records):
        x, y = training_set(records[train], paced=())
        normal_or_s = (y == _N) | (y == _S)
        model = fit_s_model(x[normal_or_s], y[normal_or_s] == _S, threshold=0.5)
        limit = irregularity_limit(records[train]) if s_rule else np.inf
        p_limit = p_wave_limit(records[train])
        for beats in map(record_beats, records[test]):
            keep = np.isin(beats.labels, ["N", "S"])
            p = model.probability(beats.features[keep])[:, None]
            fibrillation = ((beats.irregularity > limit)
                            & (p_wave_presence(beats.features) < p_limit))[keep]
            called = (p > thresholds) & ~fibrillation[:, None]
            is_s = (beats.labels[keep] == "S")[:, None]
            hits += np.sum(called & is_s, axis=0)
            calls += np.sum(called, axis=0)
            reference += int(is_s.sum())
    se = 100 * hits / max(reference, 1)
    ppv = 100 * hits / np.maximum(calls, 1)
    ok = ppv >= MIN_S_PPV
    best = int(np.argmax(np.where(ok, se, -1.0))) if ok.any() else int(np.argmax(ppv))
    return float(thresholds[best]), {"inner_Se": round(float(se[best]), 2),
                                     "inner_+P": round(float(ppv[best]), 2)}


def fit(x: np.ndarray, y: np.ndarray, s_irregularity_limit: float, s_p_wave_limit: float,
        s_threshold: float, v_p_wave_limit: float) -> BeatModel:
    """The class model over ``CLASS_MODEL_FEATURES`` and the paced gate, the same model over all
    features (``BeatModel``); balanced class weights, one thread each.

    A binary paced-or-not gate was tried first: with or without class weights it called hundreds
    of normal beats of unseen patients paced in cross-validation.
    """
    normal_or_s = (y == _N) | (y == _S)
    return BeatModel(_train(x[:, CLASS_COLUMNS], y, CLASS_MODEL_FEATURES),
                     _train(x, y, FEATURE_NAMES),
                     fit_s_model(x[normal_or_s], y[normal_or_s] == _S, s_threshold),
                     s_irregularity_limit, s_p_wave_limit, v_p_wave_limit)


def _train(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> lgb.Booster:
    data = lgb.Dataset(x, label=y, weight=class_weights(y), feature_name=list(names),
                       free_raw_data=True)
    return lgb.train(PARAMS, data, num_boost_round=ROUNDS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    x, y = training_set(DS1)
    counts = Counter(AAMI_CLASSES[i] for i in y)
    log.info("training on %d beats: %s", len(y), dict(counts))
    threshold, inner = choose_s_threshold(DS1)
    log.info("S model threshold %.2f (inner cross-validation S Se %.2f%%, +P %.2f%%)", threshold,
             inner["inner_Se"], inner["inner_+P"])
    model = fit(x, y, irregularity_limit(DS1), p_wave_limit(DS1), threshold, v_p_wave_limit(DS1))
    args.out.mkdir(parents=True, exist_ok=True)
    model.classes.save_model(str(args.out / "model.txt"))
    model.paced.save_model(str(args.out / "paced_gate.txt"))
    meta = {"version": MODEL_VERSION, "classes": list(AAMI_CLASSES), "features": list(FEATURE_NAMES),
            "class_model_features": list(CLASS_MODEL_FEATURES),
            "trained_on": {"records": list(DS1), "paced_q_only": list(PACED)},
            "beats_per_class": {c: counts.get(c, 0) for c in AAMI_CLASSES},
            "params": PARAMS, "rounds": ROUNDS,
            "s_irregularity_limit": model.s_irregularity_limit,
            "s_irregularity_percentile": IRREGULARITY_PERCENTILE,
            "s_p_wave_limit": model.s_p_wave_limit, "s_p_wave_percentile": P_WAVE_PERCENTILE,
            "s_run_rr_ratio": RUN_RR_RATIO,
            "v_p_wave_limit": model.v_p_wave_limit, "v_p_wave_percentile": V_P_WAVE_PERCENTILE,
            "on_time_tolerance": ON_TIME_TOLERANCE,
            "s_model": model.supraventricular.to_dict() | inner | {"min_inner_ppv": MIN_S_PPV}}
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    log.info("saved %s", args.out / "model.txt")


if __name__ == "__main__":
    main()
