"""Fit the RR evidence of atrial fibrillation (``af_evidence.RrAfModel``) on the CinC development records.

    python -m training.ecg.train_rr_af      # writes classifier/models/ecg_rhythm/rr_af.json

Development = the train and validation parts of the rhythm model's split (the test part is never
read). Per record: the rhythm pipeline's R peaks (``rhythm.prepare``) and the RR features of
``features.rr_features`` less the three heart-rate ones (irregularity, not rate). A standardised
logistic regression, AF against every other class, is refitted on all development records. Its
out-of-fold scores (5-fold stratified) give a first threshold of "strong evidence" (the lowest of
0.50, 0.51, ..., 0.99 at which it calls AF on at most 1% of the development's Normal and Other
records, stored as ``cinc_threshold``); the served ``threshold`` is then chosen on MIT-BIH DS1 by
``python -m training.ecg.evaluate_af --write-threshold``, whose recordings carry the frequent
ectopy CinC's short records rarely do. The trivial baseline of ``evaluate_af`` (one feature,
``msd_norm``: the median absolute successive RR change over the median RR) gets its threshold here
too: the one with the best AF F1 on the development records.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from classifier.ecg import preprocess
from classifier.ecg.af_evidence import RR_FILE, RrAfModel
from classifier.ecg.features import rr_features
from classifier.ecg.rhythm import AF, prepare
from classifier.paths import data_dir
from training.ecg import cinc2017

RATE_FEATURES = ("hr_mean", "hr_local_max", "hr_local_min")
MAX_FALSE_AF = 0.01
BASELINE_FEATURE = "msd_norm"
SEED = 2017


def record_rr_features(folder, record_ids: list[str]) -> list[dict[str, float]]:
    """The RR features of each record, from the rhythm pipeline's own R peaks."""
    out = []
    for record_id in record_ids:
        prepared = prepare(cinc2017.read_signal(folder, record_id), cinc2017.FS)
        out.append(rr_features(prepared.r_peaks, preprocess.MODEL_RATE))
    return out


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
    mean, scale = np.nanmean(x, axis=0), np.nanstd(x, axis=0) + 1e-9
    z = np.clip(np.nan_to_num((x - mean) / scale, nan=0.0, posinf=20.0, neginf=-20.0), -20, 20)
    return mean, scale, LogisticRegression(C=1.0, max_iter=2000).fit(z, y)


def as_model(names, mean, scale, regression, threshold) -> RrAfModel:
    return RrAfModel(tuple(names), mean, scale, regression.coef_[0], float(regression.intercept_[0]), threshold)


def strong_evidence_threshold(probability: np.ndarray, non_af: np.ndarray) -> float:
    """The lowest threshold (0.50-0.99) calling AF on at most ``MAX_FALSE_AF`` of ``non_af``."""
    for threshold in np.round(np.arange(0.50, 1.0, 0.01), 2):
        if np.mean(probability[non_af] >= threshold) <= MAX_FALSE_AF:
            return float(threshold)
    return 0.99


def baseline_threshold(values: np.ndarray, is_af: np.ndarray) -> float:
    """The ``BASELINE_FEATURE`` threshold with the best AF F1 (AF where the value reaches it)."""
    grid = np.round(np.arange(0.02, 0.60, 0.01), 2)
    scores = [f1_score(is_af, np.nan_to_num(values, nan=0.0) >= t) for t in grid]
    return float(grid[int(np.argmax(scores))])


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    folder = data_dir() / "training2017"
    reference = cinc2017.read_reference(folder)
    split = cinc2017.split_ids(reference)
    ids = sorted(split["train"] + split["val"])
    feats = record_rr_features(folder, ids)
    names = [n for n in feats[0] if n not in RATE_FEATURES]
    x = np.array([[f[n] for n in names] for f in feats], dtype=np.float64)
    labels = np.array([reference[i] for i in ids])
    y = labels == AF
    non_af = (labels == "Normal Sinus Rhythm") | (labels == "Other Rhythm")
    oof = np.zeros(len(ids))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, labels):
        mean, scale, regression = fit(x[train], y[train])
        oof[test] = as_model(names, mean, scale, regression, 1.0).af_probability(
            [dict(zip(names, row)) for row in x[test]]
        )
    threshold = strong_evidence_threshold(oof, non_af)
    strong = oof >= threshold
    mean, scale, regression = fit(x, y)
    baseline = baseline_threshold(x[:, names.index(BASELINE_FEATURE)], y)
    data = as_model(names, mean, scale, regression, threshold).to_dict()
    data["cinc_threshold"] = threshold
    data["baseline"] = {"feature": BASELINE_FEATURE, "threshold": baseline}
    data["development"] = {
        "records": len(ids),
        "af_records": int(y.sum()),
        "out_of_fold_strong_af_se": round(float(strong[y].mean()), 4),
        "out_of_fold_strong_false_af_normal_other": round(float(strong[non_af].mean()), 4),
        "out_of_fold_f1_at_0.5": round(float(f1_score(y, oof >= 0.5)), 4),
    }
    RR_FILE.write_text(json.dumps(data, indent=1) + "\n")
    print(json.dumps({k: data[k] for k in ("cinc_threshold", "baseline", "development")}, indent=1))


if __name__ == "__main__":
    main()
