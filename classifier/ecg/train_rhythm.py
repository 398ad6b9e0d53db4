"""Train the CinC 2017 rhythm model: features -> LightGBM -> temperature scaling on validation.

    OMP_NUM_THREADS=1 python -m classifier.ecg.train_rhythm

Features of every record are cached under ``data/cache/`` (keyed by FEATURE_VERSION) so that
re-training does not re-read the 8,528 records. Writes classifier/models/ecg_rhythm/{model.txt,
meta.json,split.json}; evaluate with ``python -m classifier.ecg.evaluate_rhythm``.
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import logging
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np

from classifier import signals
from classifier.ecg import cinc2017, features, preprocess, qrs, quality
from classifier.ecg.calibration import calibrated, expected_calibration_error, fit_temperature
from classifier.ecg.rhythm import features_per_window, prepare
from classifier.ecg.rhythm_model import MODEL_DIR, RhythmModel
from classifier.paths import data_dir

log = logging.getLogger("train_rhythm")

FEATURE_VERSION = "f3"
MODEL_VERSION = "lgbm-1"
PARAMS = {
    "objective": "multiclass", "num_class": len(cinc2017.CLASSES), "learning_rate": 0.03,
    "num_leaves": 31, "min_data_in_leaf": 20, "feature_fraction": 0.7, "bagging_fraction": 0.8,
    "bagging_freq": 1, "lambda_l2": 1.0, "num_threads": 1, "seed": 7, "verbose": -1,
}


def pipeline_fingerprint() -> str:
    """Hash of the source of every module the features depend on (the shared QRS detector too).

    Stored with the model and in the feature cache's name: a change to any of them (e.g. a new
    R-peak detector in qrs.py) invalidates the cache and shows that the model must be retrained.
    """
    digest = hashlib.sha1()
    for module in (signals, preprocess, qrs, quality, features):
        digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()[:12]


def record_features(folder: Path, ids: list[str]) -> tuple[np.ndarray, list[str]]:
    """Feature matrix (one row per record) through the serving pipeline; cached on disk."""
    cache = data_dir() / "cache" / f"cinc2017_rhythm_{FEATURE_VERSION}_{pipeline_fingerprint()}.npz"
    if cache.exists():
        stored = np.load(cache, allow_pickle=False)
        if list(stored["ids"]) == ids:
            return stored["x"], list(stored["names"])
    rows, names, start = [], None, time.perf_counter()
    for n, record_id in enumerate(ids, 1):
        feats = features_per_window(prepare(cinc2017.read_signal(folder, record_id), cinc2017.FS))[0]
        names = names or list(feats)
        rows.append([feats[k] for k in names])
        if n % 1000 == 0:
            log.info("features: %d/%d records, %.0f s", n, len(ids), time.perf_counter() - start)
    x = np.asarray(rows, dtype=np.float64)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, ids=np.array(ids), x=x, names=np.array(names))
    return x, names


def class_weights(y: np.ndarray, power: float) -> np.ndarray:
    """Per-sample weights (class frequency)^-power, normalised to mean 1."""
    counts = np.bincount(y, minlength=len(cinc2017.CLASSES)).astype(float)
    w = (counts.max() / counts) ** power
    return w[y] / w[y].mean()


def train(folder: Path, weight_power: float = 1.0,
          max_rounds: int = 2000) -> tuple[RhythmModel, dict[str, list[str]]]:
    """The model (best early-stopping iteration, temperature fitted on validation) and the split."""
    reference = cinc2017.read_reference(folder)
    ids = sorted(reference)
    x, names = record_features(folder, ids)
    y = np.array([cinc2017.CLASSES.index(reference[i]) for i in ids])
    row = {record_id: n for n, record_id in enumerate(ids)}
    split = cinc2017.split_ids(reference)
    tr, va = (np.array([row[i] for i in split[part]]) for part in ("train", "val"))
    dtrain = lgb.Dataset(x[tr], y[tr], weight=class_weights(y[tr], weight_power), feature_name=names)
    dval = lgb.Dataset(x[va], y[va], reference=dtrain)
    booster = lgb.train(PARAMS, dtrain, num_boost_round=max_rounds, valid_sets=[dval],
                        callbacks=[lgb.early_stopping(100, verbose=False)])
    logits = booster.predict(x[va], raw_score=True, num_iteration=booster.best_iteration)
    temperature = fit_temperature(logits, y[va])
    ece_before = expected_calibration_error(calibrated(logits, 1.0), y[va])
    ece_after = expected_calibration_error(calibrated(logits, temperature), y[va])
    log.info("best iteration %d, temperature %.3f, validation ECE %.4f -> %.4f",
             booster.best_iteration, temperature, ece_before, ece_after)
    best = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
    model = RhythmModel(booster=best, feature_names=names, classes=list(cinc2017.CLASSES),
                        temperature=temperature, version=f"{MODEL_VERSION}+{FEATURE_VERSION}",
                        meta={"params": PARAMS, "weight_power": weight_power,
                              "pipeline_fingerprint": pipeline_fingerprint(),
                              "best_iteration": booster.best_iteration, "split_seed": cinc2017.SPLIT_SEED,
                              "n_train": len(tr), "n_val": len(va)})
    return model, split


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=data_dir() / "training2017")
    parser.add_argument("--weight-power", type=float, default=1.0,
                        help="class weights (frequency)^-power on the training set")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args()
    model, split = train(args.data, args.weight_power)
    model.save(args.out)
    (args.out / "split.json").write_text(json.dumps(split) + "\n")
    log.info("saved %s to %s", model.version, args.out)


if __name__ == "__main__":
    main()
