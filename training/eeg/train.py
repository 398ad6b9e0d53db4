"""Train the EEG model on the training side of the Bonn split and write it to classifier/models/eeg/.

    OMP_NUM_THREADS=1 python -m training.eeg.train

1. Window features of all 500 segments (cached under data/cache/), split by segment: 20% of each
   set held out (fixed seed); training never sees those segments.
2. Grouped 5-fold cross-validation on the training side (a segment's windows stay in one fold)
   compares logistic regression, LightGBM without and with the seizure class weight, and LightGBM
   without the waveform-shape features, and prints them all: the measurement behind the choice
   (the last column says whether a lower seizure threshold can recover every seizure segment).
3. LightGBM's out-of-fold scores fix the temperature (log loss of segment probabilities, each the
   softmax of the segment's mean window score, as classifier.eeg.analysis pools) and the seizure
   threshold (the highest, on a 0.05 grid, that still catches SEIZURE_SENSITIVITY_GOAL of the
   training side's seizure segments out of fold).
4. Out-of-fold segment probabilities from folds grouped by correlated segments (near-copies,
   ``bonn.correlated_groups``, never on both sides of a fold) calibrate the Mondrian cross-conformal
   prediction sets (CONFORMAL_ALPHA; classifier/conformal.py): the fold boosters are kept, and a
   new recording's set compares each fold booster's score of it with the out-of-fold scores of
   the segments that booster did not see (a new person's recording has no near-copy in the
   training data, so calibrating on scores that had one would promise more than the sets hold).
   ``python -m training.eeg.conformal_check`` is the training-side measurement behind this choice
   over class-conditional thresholds applied to the final booster. Out-of-fold
   Mahalanobis distances of the windows from the other folds'
   training windows, averaged per segment, set the out-of-distribution threshold (OOD_QUANTILE).
5. The final booster and distance are fitted on all training windows and saved with the fold
   boosters, the calibration scores, their metadata and the split.

Every LightGBM fit (cross-validation folds and the final booster) also learns from AUGMENT_DRAWS
scalp-like versions of each of its training segments (``training.eeg.shift.scalp_like``: band
limits, sampling rate, a 4-5.12 s stretch, units, mains hum / muscle / blink / electrode pop),
drawn with AUGMENT_SEED, not the shift test's seed. Normal (scalp) and interictal/seizure
(intracranial) segments get the same conditions, so none of them marks a class. A fold's augmented
windows come only from that fold's training segments; out-of-fold scores, the calibration and the
OOD distance use the original windows only. Held-out segments are never augmented.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from datetime import date

import lightgbm as lgb
import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classifier import conformal
from classifier.calibration import softmax
from classifier.eeg import features, model, preprocess
from training.eeg import bonn, shift

SEED = 0
N_FOLDS = 5
SEIZURE_SENSITIVITY_GOAL = 0.99
CONFORMAL_ALPHA = 0.1  # 90% prediction sets
AUGMENT_DRAWS = 4  # scalp-like versions of each training segment
AUGMENT_SEED = 2121  # the shift test draws with shift.SHIFT_SEED
OOD_QUANTILE = 0.99  # 1% of the training side's segments lie beyond the OOD threshold out of fold
# A seizure window counts twice in the loss: a missed seizure is the costliest error, and in the
# grouped cross-validation below the weight raises the lowest seizure probability of a seizure
# segment and the segment accuracy (compare "LightGBM, no weight").
SEIZURE_WEIGHT = 2.0
LGBM_PARAMS = dict(
    n_estimators=300,
    learning_rate=0.05,
    num_leaves=15,
    subsample=0.8,
    subsample_freq=1,
    colsample_bytree=0.8,
    num_threads=1,
    verbose=-1,
    random_state=SEED,
)
# the first feature group, before the waveform-shape features were added
BASE_FEATURES = features.FEATURE_NAMES.index("autocorrelation_50ms")


def lightgbm(seizure_weight: float = SEIZURE_WEIGHT) -> lgb.LGBMClassifier:
    weights = {k: (seizure_weight if k == model.SEIZURE else 1.0) for k in range(len(model.CLASSES))}
    return lgb.LGBMClassifier(**LGBM_PARAMS, class_weight=weights)


def logistic_regression():
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))


def segment_means(values: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(segment ids, mean of ``values`` over each segment's windows)."""
    ids, inverse = np.unique(owners, return_inverse=True)
    sums = np.zeros((len(ids), values.shape[1]))
    np.add.at(sums, inverse, values)
    return ids, sums / np.bincount(inverse)[:, None]


def augmented_windows(
    segments: list[bonn.Segment], ids: list[str], draws: int = AUGMENT_DRAWS, seed: int = AUGMENT_SEED
) -> dict[str, np.ndarray]:
    """Usable window features of ``draws`` scalp-like draws of each segment in ``ids``, as
    :func:`bonn.window_table` lays them out (X, y, segment = the source segment's id), and the
    draw (0 ... draws - 1) each window comes from."""
    rng = np.random.default_rng(seed)
    wanted = set(ids)
    rows, labels, owners, draw_of = [], [], [], []
    for seg in segments:
        if seg.segment_id not in wanted:
            continue
        for draw in range(draws):
            x, rate, _ = shift.scalp_like(seg.signal, bonn.SAMPLING_RATE, rng)
            X, usable, _ = features.recording_features(x, rate)
            rows.append(X[usable])
            labels += [seg.label] * int(usable.sum())
            owners += [seg.segment_id] * int(usable.sum())
            draw_of += [draw] * int(usable.sum())
    return {"X": np.vstack(rows), "y": np.asarray(labels), "segment": np.asarray(owners), "draw": np.asarray(draw_of)}


def out_of_fold(
    make,
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    raw: bool,
    seed: int = SEED,
    owners: np.ndarray | None = None,
    extra: dict[str, np.ndarray] | None = None,
    fitted: list | None = None,
) -> np.ndarray:
    """Out-of-fold class scores (LightGBM raw scores when ``raw``, else the logistic regression's
    decision function; softmax of either gives the probabilities) from grouped, stratified folds
    drawn with ``seed``. ``extra`` windows (augmented, with the id of their source segment) join
    a fold's fit when their segment (``owners``: segment per row of X, default ``groups``) does,
    and, for mixtures, their ``background`` segment too.
    Each fold's (fitted model, rows of X it scored) is appended to ``fitted`` when given."""
    out = np.zeros((len(y), len(model.CLASSES)))
    owners = groups if owners is None else owners
    folds = StratifiedGroupKFold(N_FOLDS, shuffle=True, random_state=seed)
    for fit_idx, pred_idx in folds.split(X, y, groups):
        X_fit, y_fit = X[fit_idx], y[fit_idx]
        if extra is not None:
            joins = np.isin(extra["segment"], owners[fit_idx])
            if "background" in extra:  # a mixture joins only when both of its segments do
                joins &= np.isin(extra["background"], owners[fit_idx])
            X_fit = np.vstack([X_fit, extra["X"][joins]])
            y_fit = np.r_[y_fit, extra["y"][joins]]
        fold = make().fit(X_fit, y_fit)
        out[pred_idx] = fold.predict(X[pred_idx], raw_score=True) if raw else fold.decision_function(X[pred_idx])
        if fitted is not None:
            fitted.append((fold, pred_idx))
    return out


def segment_probabilities(scores: np.ndarray, groups: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Per segment (in sorted id order): softmax of the mean window score, as the service pools."""
    return softmax(segment_means(scores, groups)[1] / temperature)


def segment_decisions(
    raw: np.ndarray, y: np.ndarray, owners: np.ndarray, temperature: float, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(class per owner, decided class per owner) of the windows' raw scores pooled per owner, in
    sorted owner order, with the service's seizure rule."""
    labels = segment_means(y[:, None].astype(float), owners)[1][:, 0].astype(int)
    return labels, model.decide(segment_probabilities(raw, owners, temperature), model.SEIZURE, threshold)


def fit_temperature(raw: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Temperature minimising the log loss of segment-level (score-averaged) probabilities."""
    seg_labels = segment_means(y[:, None].astype(float), groups)[1][:, 0].astype(int)

    def loss(log_t: float) -> float:
        seg_p = segment_probabilities(raw, groups, np.exp(log_t))
        return log_loss(seg_labels, np.clip(seg_p, 1e-12, 1), labels=range(len(model.CLASSES)))

    return float(np.exp(minimize_scalar(loss, bounds=(-3, 3), method="bounded").x))


def seizure_threshold(seizure_probs: np.ndarray) -> float:
    """Highest threshold on a 0.05 grid (at most 0.5) that flags SEIZURE_SENSITIVITY_GOAL of these."""
    for threshold in np.arange(0.5, 0.0, -0.05):
        if np.mean(seizure_probs >= threshold) >= SEIZURE_SENSITIVITY_GOAL:
            return round(float(threshold), 2)
    return 0.05


def calibration(raw: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    """(temperature, seizure threshold) from out-of-fold window scores ``raw`` (step 3 of the
    recipe): the temperature of the segment-level log loss, then the threshold from the temperature-
    scaled segment probabilities of the seizure segments. ``groups`` is the segment per window."""
    temperature = fit_temperature(raw, y, groups)
    seg_labels = segment_means(y[:, None].astype(float), groups)[1][:, 0].astype(int)
    seg_p = segment_probabilities(raw, groups, temperature)
    return temperature, seizure_threshold(seg_p[seg_labels == model.SEIZURE, model.SEIZURE])


def cross_conformal(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    segments: list[bonn.Segment],
    augmented: dict[str, np.ndarray],
    temperature: float,
) -> tuple[conformal.Calibration, list[lgb.LGBMClassifier]]:
    """(calibration items, fold boosters) of the cross-conformal sets (step 4 of the recipe):
    LightGBM out of fold over folds grouped by near-copies, ``groups`` the segment per window; the
    items are the segments in sorted id order."""
    near_copies = bonn.correlated_groups(segments)
    fitted: list = []
    raw = out_of_fold(
        lightgbm, X, y, np.array([near_copies[g] for g in groups]), True, owners=groups, extra=augmented, fitted=fitted
    )
    window_fold = np.zeros(len(y))
    for k, (_, rows) in enumerate(fitted):
        window_fold[rows] = k
    per_segment = segment_means(np.c_[y, window_fold], groups)[1].astype(int)  # one fold per segment
    labels, folds = per_segment[:, 0], per_segment[:, 1]
    p = segment_probabilities(raw, groups, temperature)
    return conformal.Calibration(1.0 - p[np.arange(len(labels)), labels], labels, folds), [f for f, _ in fitted]


def ood_out_of_fold(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per segment (sorted id order): the mean Mahalanobis distance of its windows from the
    training windows of the other folds (the same grouped folds as :func:`out_of_fold`)."""
    distances = np.zeros(len(y))
    folds = StratifiedGroupKFold(N_FOLDS, shuffle=True, random_state=SEED)
    for fit_idx, pred_idx in folds.split(X, y, groups):
        distances[pred_idx] = conformal.Mahalanobis.fit(X[fit_idx]).distances(X[pred_idx])
    return segment_means(distances[:, None], groups)[1][:, 0]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    segments = bonn.load_segments()
    train_ids, held_out_ids = bonn.split_ids(segments)
    table = bonn.window_table(segments)
    on_train = np.isin(table["segment"], train_ids)
    X, y, groups = table["X"][on_train], table["y"][on_train], table["segment"][on_train]
    augmented = augmented_windows(segments, train_ids)
    print(
        f"training side: {len(train_ids)} segments, {len(y)} windows of "
        f"{preprocess.WINDOW_SECONDS:g} s, {len(augmented['y'])} augmented windows of "
        f"{AUGMENT_DRAWS} scalp-like draws a segment; held out: {len(held_out_ids)} segments"
    )

    print(
        f"\ngrouped {N_FOLDS}-fold cross-validation on the training side (argmax decisions;\n"
        "a segment is the softmax of its windows' mean score):"
    )
    print(
        f"{'model':<22}{'window acc':>11}{'window logloss':>15}{'segment acc':>12}"
        f"{'seizure sens':>13}{'min P(seizure) of S':>21}"
    )
    seg_labels = segment_means(y[:, None].astype(float), groups)[1][:, 0].astype(int)
    every, base = slice(None), slice(0, BASE_FEATURES)
    candidates = [
        ("logistic regression", logistic_regression, False, every),
        ("LightGBM, no weight", lambda: lightgbm(1.0), True, every),
        ("LightGBM, no shape", lightgbm, True, base),
        ("LightGBM (chosen)", lightgbm, True, every),
    ]
    for name, make, raw, columns in candidates:
        extra = {"X": augmented["X"][:, columns], "y": augmented["y"], "segment": augmented["segment"]} if raw else None
        scores = out_of_fold(make, X[:, columns], y, groups, raw, extra=extra)
        probs = softmax(scores)
        seg_p = segment_probabilities(scores, groups)
        seg_pred = seg_p.argmax(axis=1)
        print(
            f"{name:<22}{np.mean(probs.argmax(1) == y):>11.4f}{log_loss(y, probs):>15.4f}"
            f"{np.mean(seg_pred == seg_labels):>12.4f}"
            f"{np.mean(seg_pred[seg_labels == model.SEIZURE] == model.SEIZURE):>13.4f}"
            f"{seg_p[seg_labels == model.SEIZURE, model.SEIZURE].min():>21.3f}"
        )
    chosen_raw = scores  # the last candidate is the chosen one

    temperature, threshold = calibration(chosen_raw, y, groups)
    seg_p = segment_probabilities(chosen_raw, groups, temperature)
    decided = model.decide(seg_p, model.SEIZURE, threshold)
    print(
        f"\nLightGBM chosen; temperature {temperature:.3f}, seizure threshold {threshold:.2f}: "
        f"out-of-fold segment accuracy {np.mean(decided == seg_labels):.4f}, seizure sensitivity "
        f"{np.mean(decided[seg_labels == model.SEIZURE] == model.SEIZURE):.4f}"
    )

    calibration_items, fold_boosters = cross_conformal(X, y, groups, segments, augmented, temperature)
    ood_threshold = float(np.quantile(ood_out_of_fold(X, y, groups), OOD_QUANTILE))
    print(
        f"cross-conformal {1 - CONFORMAL_ALPHA:.0%} sets calibrated on {len(calibration_items.labels)} segments "
        f"out of fold ({N_FOLDS} folds grouped by near-copies); OOD threshold {ood_threshold:.3f}"
    )

    final = lightgbm().fit(np.vstack([X, augmented["X"]]), np.r_[y, augmented["y"]])
    text = final.booster_.model_to_string()
    meta = {
        # the booster and the calibration that turns its scores into the finding
        "version": "eeg-bonn-lightgbm-"
        + hashlib.sha256(
            f"{text}{temperature:.4f}{threshold}{calibration_items.scores.tobytes()}{ood_threshold:.4f}".encode()
        ).hexdigest()[:8],
        "trained": date.today().isoformat(),
        "classes": list(model.CLASSES),
        "feature_names": list(features.FEATURE_NAMES),
        "temperature": round(temperature, 4),
        "seizure_threshold": threshold,
        "target_rate_hz": preprocess.TARGET_RATE,
        "band_hz": list(preprocess.BAND_HZ),
        "window_seconds": preprocess.WINDOW_SECONDS,
        "step_seconds": preprocess.STEP_SECONDS,
        "training_windows": int(len(y)),
        "augmented_windows": int(len(augmented["y"])),
        "augmentation": {"draws": AUGMENT_DRAWS, "seed": AUGMENT_SEED, "transform": "training.eeg.shift.scalp_like"},
        "lightgbm_params": LGBM_PARAMS,
        "seizure_class_weight": SEIZURE_WEIGHT,
        "conformal": {"alpha": CONFORMAL_ALPHA, "method": "Mondrian cross-conformal", "folds": N_FOLDS},
        "ood": {"quantile": OOD_QUANTILE, "threshold": round(ood_threshold, 4)},
        "train_command": "OMP_NUM_THREADS=1 python -m training.eeg.train",
    }
    split = {
        "seed": bonn.SPLIT_SEED,
        "held_out_fraction": bonn.HELD_OUT_FRACTION,
        "held_out": held_out_ids,
        "train": train_ids,
    }
    model.save(
        model.MODEL_DIR,
        final.booster_,
        [f.booster_ for f in fold_boosters],
        calibration_items,
        meta,
        split,
        conformal.Mahalanobis.fit(X),
    )
    print(f"saved {meta['version']} to {model.MODEL_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
