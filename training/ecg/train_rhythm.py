"""Train the CinC 2017 rhythm feature model: features -> LightGBM (k-fold CV on train+val) -> temperature.

    OMP_NUM_THREADS=1 python -m training.ecg.train_rhythm

The train and validation parts of the split (7,675 records) are one development set: 5-fold
stratified cross-validation on it chooses the number of boosting rounds (the candidate in ROUNDS
with the best out-of-fold challenge score) and gives out-of-fold scores for every development
record; the temperature is fitted on those, and the served booster is refitted on the whole
development set with the chosen rounds. The test part is never read. Features of every record are
cached under ``data/cache/`` (keyed by FEATURE_VERSION and the pipeline fingerprint), the
out-of-fold scores too: the CNN script pools them with the CNN on the validation part. Writes
classifier/models/ecg_rhythm/{model.txt,meta.json,split.json}; evaluate with
``python -m training.ecg.evaluate_rhythm``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
from sklearn.model_selection import StratifiedKFold

from classifier import signals
from classifier.calibration import calibrated, expected_calibration_error, fit_temperature
from classifier.ecg import features, preprocess, qrs, quality
from classifier.ecg.rhythm import features_per_window, prepare
from classifier.ecg.rhythm_model import MODEL_DIR, RhythmModel
from classifier.paths import data_dir
from training.cache import cache_file, cached_arrays, source_digest
from training.ecg import cinc2017

log = logging.getLogger("train_rhythm")

FEATURE_VERSION = "f3"
MODEL_VERSION = "lgbm-2"
PARAMS = {
    "objective": "multiclass",
    "num_class": len(cinc2017.CLASSES),
    "learning_rate": 0.03,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "seed": 7,
    "verbose": -1,
}
FOLDS, CV_SEED = 5, 2017
# Candidate boosting rounds. No more than 400: the text model grows ~3.5 kB a tree (4 per round), and
# the committed weights must stay a few MB (500 rounds: 7 MB).
ROUNDS = (100, 200, 300, 400)


def pipeline_fingerprint() -> str:
    """Hash of the source of every module the features depend on (the shared QRS detector too).

    Stored with the model and in the feature cache's name: a change to any of them (e.g. a new
    R-peak detector in qrs.py) invalidates the cache and shows that the model must be retrained.
    """
    return source_digest(signals, preprocess, qrs, quality, features)


def record_features(folder: Path, ids: list[str]) -> tuple[np.ndarray, list[str]]:
    """Feature matrix (one row per record) through the serving pipeline; cached on disk."""

    def compute() -> dict[str, np.ndarray]:
        rows, names, start = [], None, time.perf_counter()
        for n, record_id in enumerate(ids, 1):
            feats = features_per_window(prepare(cinc2017.read_signal(folder, record_id), cinc2017.FS))[0]
            names = names or list(feats)
            rows.append([feats[k] for k in names])
            if n % 1000 == 0:
                log.info("features: %d/%d records, %.0f s", n, len(ids), time.perf_counter() - start)
        return {"ids": np.array(ids), "x": np.asarray(rows, dtype=np.float64), "names": np.array(names)}

    stored = cached_arrays(
        f"cinc2017_rhythm_{FEATURE_VERSION}_{pipeline_fingerprint()}.npz",
        compute,
        lambda stored: list(stored["ids"]) == ids,
    )
    return stored["x"], [str(name) for name in stored["names"]]


def class_weights(y: np.ndarray, power: float) -> np.ndarray:
    """Per-sample weights (class frequency)^-power, normalised to mean 1."""
    counts = np.bincount(y, minlength=len(cinc2017.CLASSES)).astype(float)
    w = (counts.max() / counts) ** power
    return w[y] / w[y].mean()


def oof_cache(fingerprint: str) -> Path:
    """Where the out-of-fold scores of the development records are kept for the CNN script."""
    return cache_file(f"cinc2017_rhythm_oof_{MODEL_VERSION}_{fingerprint}.npz")


def out_of_fold_scores(ids: list[str]) -> np.ndarray:
    """The stored out-of-fold raw scores of development records ``ids`` (from the last training run)."""
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    cache = oof_cache(meta["pipeline_fingerprint"])
    if not cache.exists():
        raise FileNotFoundError(f"{cache} is missing: run python -m training.ecg.train_rhythm first")
    stored = np.load(cache, allow_pickle=False)
    row = {record_id: n for n, record_id in enumerate(stored["ids"])}
    return stored["scores"][[row[i] for i in ids]]


def cross_validate(x: np.ndarray, y: np.ndarray, names: list[str], weight_power: float) -> tuple[int, np.ndarray]:
    """Boosting rounds with the best out-of-fold challenge score, and the out-of-fold raw scores.

    The rounds are chosen on the challenge score, not the log-loss: with class weights the
    out-of-fold log-loss is lowest after ~100 rounds while the F1 of A and O still improve.
    """
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=CV_SEED).split(x, y))
    data = lgb.Dataset(x, y, weight=class_weights(y, weight_power), feature_name=names, free_raw_data=False)
    boosters = lgb.cv(PARAMS, data, num_boost_round=max(ROUNDS), folds=folds, return_cvbooster=True)[
        "cvbooster"
    ].boosters
    best = (-1.0, 0, None)
    for rounds in ROUNDS:
        scores = np.zeros((len(y), len(cinc2017.CLASSES)))
        for booster, (_, held) in zip(boosters, folds):
            scores[held] = booster.predict(x[held], raw_score=True, num_iteration=rounds)
        score = cv_summary(y, scores)["challenge_score"]
        log.info("CV: %d rounds, challenge score %.4f", rounds, score)
        if score > best[0]:
            best = (score, rounds, scores)
    return best[1], best[2]


def cv_summary(y: np.ndarray, scores: np.ndarray) -> dict:
    """Out-of-fold F1 per class and challenge score (mean F1 of N, A, O) of the arg-max class."""
    f1 = cinc2017.f1_per_class(y, scores.argmax(axis=1))
    return {
        "f1": {c: round(float(v), 4) for c, v in zip("NAO~", f1)},
        "challenge_score": round(cinc2017.challenge_score(f1), 4),
    }


def train(folder: Path, weight_power: float = 1.0) -> tuple[RhythmModel, dict[str, list[str]]]:
    """The model refitted on train+val with the CV-chosen rounds, its temperature fitted out of fold."""
    reference = cinc2017.read_reference(folder)
    ids = sorted(reference)
    x, names = record_features(folder, ids)
    y = np.array([cinc2017.CLASSES.index(reference[i]) for i in ids])
    row = {record_id: n for n, record_id in enumerate(ids)}
    split = cinc2017.split_ids(reference)
    dev_ids = sorted(split["train"] + split["val"])
    dev = np.array([row[i] for i in dev_ids])
    rounds, scores = cross_validate(x[dev], y[dev], names, weight_power)
    cv = dict(cv_summary(y[dev], scores), folds=FOLDS, seed=CV_SEED, rounds=rounds)
    fingerprint = pipeline_fingerprint()
    np.savez(oof_cache(fingerprint), ids=np.array(dev_ids), scores=scores)
    temperature = fit_temperature(scores, y[dev])
    log.info(
        "CV on %d records: %d rounds, challenge score %.4f, F1 %s; temperature %.3f, out-of-fold ECE %.4f -> %.4f",
        len(dev),
        rounds,
        cv["challenge_score"],
        cv["f1"],
        temperature,
        expected_calibration_error(calibrated(scores, 1.0), y[dev]),
        expected_calibration_error(calibrated(scores, temperature), y[dev]),
    )
    booster = lgb.train(
        PARAMS,
        lgb.Dataset(x[dev], y[dev], weight=class_weights(y[dev], weight_power), feature_name=names),
        num_boost_round=rounds,
    )
    model = RhythmModel(
        booster=booster,
        feature_names=names,
        classes=list(cinc2017.CLASSES),
        temperature=temperature,
        version=f"{MODEL_VERSION}+{FEATURE_VERSION}",
        meta={
            "params": PARAMS,
            "weight_power": weight_power,
            "pipeline_fingerprint": fingerprint,
            "cv": cv,
            "split_seed": cinc2017.SPLIT_SEED,
            "n_train": len(dev),
        },
    )
    return model, split


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=data_dir() / "training2017")
    parser.add_argument(
        "--weight-power", type=float, default=1.0, help="class weights (frequency)^-power on the training set"
    )
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    model, split = train(args.data, args.weight_power)
    model.save(args.out)
    (args.out / "split.json").write_text(json.dumps(split) + "\n")
    log.info("saved %s to %s", model.version, args.out)


if __name__ == "__main__":
    main()
