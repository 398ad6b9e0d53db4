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
from classifier.ecg.beat_supraventricular import FEATURE_SETS, fit_s_model, select
from classifier.ecg.beats import (
    AAMI_CLASSES,
    CLASS_COLUMNS,
    ON_TIME_TOLERANCE,
    RUN_RR_RATIO,
    BeatModel,
    continue_supraventricular_runs,
    on_time,
)
from classifier.paths import MODELS_DIR
from training.ecg.beat_dataset import RecordBeats, in_rhythm_af, record_beats
from training.ecg.mitdb import DS1, PACED

log = logging.getLogger(__name__)

MODEL_DIR = MODELS_DIR / "ecg_beats"
MODEL_VERSION = "ecg-beats-lgbm-9"
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
S_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.30, 0.96, 0.05)) + (0.97, 0.98, 0.99)
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
    return _percentile(records, lambda b: p_wave_presence(b.features)[b.labels == "S"], P_WAVE_PERCENTILE)


def v_p_wave_limit(records: Sequence[str]) -> float:
    """The P-wave correlation above which an on-time beat is not V
    (``beats.veto_v_for_conducted_beats``): the 90th percentile over the on-time V beats of
    ``records``, so nine in ten of them keep their V."""
    corr_p = FEATURE_NAMES.index("corr_p")
    return _percentile(
        records, lambda b: b.features[on_time(b.features) & (b.labels == "V"), corr_p], V_P_WAVE_PERCENTILE
    )


def _percentile(records: Sequence[str], values_of: Callable[[RecordBeats], np.ndarray], percentile: float) -> float:
    """The percentile of the values ``values_of`` picks from each record's beats, pooled."""
    values = np.concatenate([values_of(b) for b in map(record_beats, records)])
    return float(np.percentile(values, percentile))


# The S rules whose place is decided inside the training records (``choose_s_recipe``): continuing
# a fast run started by an S call, and dropping S in an irregular rhythm without P waves.
S_RULES = ("runs", "af")
# A rule stays only where, in the inner cross-validation, it raises (correct S - false S) in at
# least this many held-out records, and in more records than it lowers it.
MIN_RECORDS_HELPED = 3
_COMBOS = tuple(dict(zip(S_RULES, on)) for on in ((False, False), (True, False), (False, True), (True, True)))


def s_training_set(records: Sequence[str], names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The S model's features (``beat_supraventricular.select``, over each whole recording) of the
    normal and S beats of ``records``, and whether each is S."""
    xs, ys = [], []
    for beats in map(record_beats, records):
        keep = np.isin(beats.labels, ["N", "S"])
        xs.append(select(beats.features, names)[keep])
        ys.append(beats.labels[keep] == "S")
    return np.vstack(xs), np.concatenate(ys)


def choose_s_recipe(records: Sequence[str]) -> tuple[str, float, dict[str, bool], dict]:
    """The S model's feature set and threshold and which S rules stay, from ``records`` alone
    (nested), with the inner figures that chose them.

    Inner GroupKFold over ``records``: for each of ``FEATURE_SETS`` the S model and the rules'
    limits are fitted on the others, and every held-out record's beats are called with each
    threshold and each on/off combination of ``S_RULES``. The ventricular, fusion and
    unclassifiable beats are given their reference class (V is the trees' job and is not chosen
    here), and the normal and S beats are scored outside the rhythm model's atrial fibrillation
    (``beat_dataset.in_rhythm_af``: ``/classify`` counts no S there). With both rules on, the
    feature set and threshold that score best (``best_s_threshold``); then a rule stays where, at
    that threshold, turning it on raises (correct S - false S) in at least
    ``MIN_RECORDS_HELPED`` held-out records and in more records than it lowers it; then the
    threshold again for the rules kept.
    """
    records = np.asarray(records)
    counts = {name: _inner_counts(records, names) for name, names in FEATURE_SETS.items()}
    both = len(_COMBOS) - 1
    scores = {
        name: best_s_threshold(h[:, both].sum(axis=0), c[:, both].sum(axis=0), r.sum())
        for name, (h, c, r) in counts.items()
    }
    feature_set = max(scores, key=lambda name: scores[name][1])
    hits, calls, reference = counts[feature_set]
    first = scores[feature_set][0]
    net = 2 * hits[:, :, first] - calls[:, :, first]  # correct S - false S, per record and combo
    kept, by_rule = {}, {}
    for rule in S_RULES:
        gain = net[:, both] - net[:, _COMBOS.index({**_COMBOS[both], rule: False})]
        by_rule[rule] = {"helped": int(np.sum(gain > 0)), "hurt": int(np.sum(gain < 0))}
        kept[rule] = by_rule[rule]["helped"] >= MIN_RECORDS_HELPED and by_rule[rule]["helped"] > by_rule[rule]["hurt"]
    chosen = _COMBOS.index(kept)
    best, _ = best_s_threshold(hits[:, chosen].sum(axis=0), calls[:, chosen].sum(axis=0), reference.sum())
    se = 100 * hits[:, chosen, best].sum() / max(reference.sum(), 1)
    ppv = 100 * hits[:, chosen, best].sum() / max(calls[:, chosen, best].sum(), 1)
    return (
        feature_set,
        float(S_THRESHOLDS[best]),
        kept,
        {"inner_Se": round(float(se), 2), "inner_+P": round(float(ppv), 2), "inner_records_by_rule": by_rule},
    )


def _inner_counts(records: np.ndarray, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inner cross-validation of one S feature set: per held-out record, correct S calls and S
    calls per (rule combination, threshold), and its reference S beats."""
    thresholds = np.array(S_THRESHOLDS)
    hits, calls, reference = [], [], []
    for train, test in GroupKFold(n_splits=INNER_FOLDS).split(records, groups=records):
        model = fit_s_model(*s_training_set(records[train], names), threshold=0.5, names=names)
        limit, p_limit = irregularity_limit(records[train]), p_wave_limit(records[train])
        for beats in map(record_beats, records[test]):
            scored = np.isin(beats.labels, ["N", "S"]) & ~in_rhythm_af(beats.name)
            is_s = beats.labels == "S"
            p = model.probability(beats.features)
            base = np.full(len(p), _N)
            other = np.isin(beats.labels, ["V", "F", "Q"])
            base[other] = class_indices(beats.labels[other])
            fibrillation = (beats.irregularity > limit) & (p_wave_presence(beats.features) < p_limit)
            pre_ratio = beats.features[:, FEATURE_NAMES.index("pre_ratio")]
            h, c = np.zeros((len(_COMBOS), len(thresholds))), np.zeros((len(_COMBOS), len(thresholds)))
            for j, t in enumerate(thresholds):
                single = np.where((base == _N) & (p > t), _S, base) == _S
                with_runs = continue_supraventricular_runs(np.where(single, _S, base), pre_ratio) == _S
                for i, combo in enumerate(_COMBOS):
                    s_call = (with_runs if combo["runs"] else single) & scored
                    if combo["af"]:
                        s_call &= ~fibrillation
                    h[i, j], c[i, j] = np.sum(s_call & is_s), np.sum(s_call)
            hits.append(h)
            calls.append(c)
            reference.append(int(np.sum(is_s & scored)))
    return np.array(hits), np.array(calls), np.array(reference)


def best_s_threshold(hits: np.ndarray, calls: np.ndarray, reference: int) -> tuple[int, float]:
    """Index of the threshold with the highest S Se among those with +P >= ``MIN_S_PPV``, or of the
    one with the highest +P where none reaches it; and a score that ranks such choices (Se above
    100 where +P reaches ``MIN_S_PPV``, else +P - 100)."""
    se = 100 * hits / max(reference, 1)
    ppv = 100 * hits / np.maximum(calls, 1)
    ok = ppv >= MIN_S_PPV
    if ok.any():
        best = int(np.argmax(np.where(ok, se, -1.0)))
        return best, 100.0 + float(se[best])
    best = int(np.argmax(ppv))
    return best, float(ppv[best]) - 100.0


def without_s_in_rhythm_af(predicted: np.ndarray, name: str) -> np.ndarray:
    """Class indices of ``record_beats(name)`` with S turned into N inside the rhythm model's
    atrial fibrillation, as ``/classify`` counts them (``beats.without_s_in_atrial_fibrillation``)."""
    return np.where((predicted == _S) & in_rhythm_af(name), _N, predicted)


def train_model(records: Sequence[str]) -> tuple[BeatModel, dict]:
    """The beat model trained on ``records`` (and the paced records' Q beats), every choice made
    from ``records`` alone, and those choices (S feature set, threshold and rules, the limits).

    The class model over ``CLASS_MODEL_FEATURES`` and the paced gate, the same model over all
    features (``BeatModel``); balanced class weights, one thread each. A binary paced-or-not gate
    was tried first: with or without class weights it called hundreds of normal beats of unseen
    patients paced in cross-validation.
    """
    records = list(records)
    feature_set, threshold, rules, inner = choose_s_recipe(records)
    names = FEATURE_SETS[feature_set]
    x, y = training_set(records)
    model = BeatModel(
        _train(x[:, CLASS_COLUMNS], y, CLASS_MODEL_FEATURES),
        _train(x, y, FEATURE_NAMES),
        fit_s_model(*s_training_set(records, names), threshold, names),
        irregularity_limit(records),
        p_wave_limit(records),
        v_p_wave_limit(records),
        rules["runs"],
        rules["af"],
    )
    choices = {
        "s_feature_set": feature_set,
        "s_threshold": threshold,
        "s_rules": rules,
        "s_irregularity_limit": round(model.s_irregularity_limit, 4),
        "s_p_wave_limit": round(model.s_p_wave_limit, 4),
        "v_p_wave_limit": round(model.v_p_wave_limit, 4),
    } | inner
    return model, choices


def _train(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> lgb.Booster:
    data = lgb.Dataset(x, label=y, weight=class_weights(y), feature_name=list(names), free_raw_data=True)
    return lgb.train(PARAMS, data, num_boost_round=ROUNDS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    model, choices = train_model(DS1)
    counts = Counter(AAMI_CLASSES[i] for i in training_set(DS1)[1])
    log.info("trained on %s beats; choices %s", dict(counts), choices)
    args.out.mkdir(parents=True, exist_ok=True)
    model.classes.save_model(str(args.out / "model.txt"))
    model.paced.save_model(str(args.out / "paced_gate.txt"))
    meta = {
        "version": MODEL_VERSION,
        "classes": list(AAMI_CLASSES),
        "features": list(FEATURE_NAMES),
        "class_model_features": list(CLASS_MODEL_FEATURES),
        "trained_on": {"records": list(DS1), "paced_q_only": list(PACED)},
        "beats_per_class": {c: counts.get(c, 0) for c in AAMI_CLASSES},
        "params": PARAMS,
        "rounds": ROUNDS,
        "s_irregularity_limit": model.s_irregularity_limit,
        "s_irregularity_percentile": IRREGULARITY_PERCENTILE,
        "s_p_wave_limit": model.s_p_wave_limit,
        "s_p_wave_percentile": P_WAVE_PERCENTILE,
        "s_run_rr_ratio": RUN_RR_RATIO,
        "s_rules": choices["s_rules"],
        "s_feature_set": choices["s_feature_set"],
        "v_p_wave_limit": model.v_p_wave_limit,
        "v_p_wave_percentile": V_P_WAVE_PERCENTILE,
        "on_time_tolerance": ON_TIME_TOLERANCE,
        "s_model": model.supraventricular.to_dict()
        | {k: choices[k] for k in ("inner_Se", "inner_+P", "inner_records_by_rule")}
        | {"min_inner_ppv": MIN_S_PPV, "min_records_helped": MIN_RECORDS_HELPED},
    }
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    log.info("saved %s", args.out / "model.txt")


if __name__ == "__main__":
    main()
