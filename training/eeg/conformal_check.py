"""Which calibration of the 90% prediction sets holds its coverage on a held-out side drawn like the
real one: measured on the training side only.

    OMP_NUM_THREADS=1 python -m training.eeg.conformal_check [--repeats 8]   # ~1 min a repeat

Each repeat splits the 400 training segments as ``bonn.split_ids`` splits all 500 (20% of each
set, by segment; seeds 100, 101, ...) into a pseudo-training and a pseudo-held-out side, runs the
recipe of ``training.eeg.train`` on the pseudo-training side (temperature from segment-grouped
out-of-fold scores, fold boosters over folds grouped by near-copies with their out-of-fold scores,
the final booster on all its windows, each fit with the same scalp-like augmented windows of its
own segments) and scores the pseudo-held-out segments as the service pools a Bonn segment. Two
calibrations of the sets from the same out-of-fold scores:

- "final booster + class thresholds": the final booster's probabilities against class-conditional
  split-conformal thresholds (the model before this check, ``eeg-bonn-lightgbm-c8eb1f2b``);
- "cross-conformal": each fold booster's probabilities against the out-of-fold scores of the
  segments it did not see (``classifier.conformal.p_values``; the served model).

Prints, per repeat and as the mean (min-max) over repeats: coverage of all pseudo-held-out
segments and of each class, and the share of sets that are not exactly one class. The real
held-out segments' labels and scores are never used.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from sklearn.model_selection import train_test_split

from classifier import conformal
from classifier.eeg import model
from training.eeg import bonn, train

FIRST_SEED = 100
METHODS = ("final booster + class thresholds", "cross-conformal")


def pseudo_split(segments: list[bonn.Segment], train_ids: list[str], seed: int) -> tuple[list[str], list[str]]:
    """(pseudo-training ids, pseudo-held-out ids) of the training side, drawn as bonn.split_ids."""
    letters = {s.segment_id: s.set_letter for s in segments}
    fit, test = train_test_split(
        train_ids, test_size=bonn.HELD_OUT_FRACTION, random_state=seed, stratify=[letters[i] for i in train_ids]
    )
    return sorted(fit), sorted(test)


def subset(arrays: dict[str, np.ndarray], ids: list[str]) -> dict[str, np.ndarray]:
    keep = np.isin(arrays["segment"], ids)
    return {key: value[keep] for key, value in arrays.items()}


def one_repeat(
    table: dict[str, np.ndarray],
    augmented: dict[str, np.ndarray],
    segments: list[bonn.Segment],
    fit_ids: list[str],
    test_ids: list[str],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(pseudo-held-out classes, each method's membership matrix of their 90% sets)."""
    fit, test, extra = subset(table, fit_ids), subset(table, test_ids), subset(augmented, fit_ids)
    X, y, groups = fit["X"], fit["y"], fit["segment"]
    temperature = train.fit_temperature(train.out_of_fold(train.lightgbm, X, y, groups, True, extra=extra), y, groups)
    calibration, fold_models = train.cross_conformal(X, y, groups, segments, extra, temperature)
    final = train.lightgbm().fit(np.vstack([X, extra["X"]]), np.r_[y, extra["y"]])

    def probabilities(booster) -> np.ndarray:
        return train.segment_probabilities(booster.predict(test["X"], raw_score=True), test["segment"], temperature)

    one_fold = conformal.Calibration(calibration.scores, calibration.labels, np.zeros_like(calibration.folds))
    p = {
        METHODS[0]: conformal.p_values(one_fold, probabilities(final)[None]),
        METHODS[1]: conformal.p_values(calibration, np.stack([probabilities(m) for m in fold_models])),
    }
    labels = train.segment_means(test["y"][:, None].astype(float), test["segment"])[1][:, 0].astype(int)
    return labels, {name: conformal.prediction_sets(values, train.CONFORMAL_ALPHA) for name, values in p.items()}


def figures(labels: np.ndarray, sets: np.ndarray) -> list[float]:
    """[coverage, coverage of each class, share of sets not exactly one class]."""
    covered = sets[np.arange(len(labels)), labels]
    per_class = [covered[labels == k].mean() for k in range(len(model.CLASSES))]
    return [covered.mean(), *per_class, np.mean(sets.sum(axis=1) != 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=8, help="pseudo-held-out draws")
    args = parser.parse_args(argv)
    segments = bonn.load_segments()
    train_ids, _ = bonn.split_ids(segments)
    table = subset(bonn.window_table(segments), train_ids)
    augmented = train.augmented_windows(segments, train_ids)
    header = ["coverage", "Normal", "Interictal", "Seizure", "not one class"]
    print(f"{'repeat':<8}{'method':<34}" + "".join(f"{h:>15}" for h in header))
    results: dict[str, list[list[float]]] = {name: [] for name in METHODS}
    for r in range(args.repeats):
        fit_ids, test_ids = pseudo_split(segments, train_ids, FIRST_SEED + r)
        labels, sets = one_repeat(table, augmented, segments, fit_ids, test_ids)
        for name in METHODS:
            results[name].append(figures(labels, sets[name]))
            print(f"{r:<8}{name:<34}" + "".join(f"{v:>15.4f}" for v in results[name][-1]), flush=True)
    print(f"\nmean (min-max) over {args.repeats} pseudo-held-out draws of {len(test_ids)} segments")
    for name in METHODS:
        v = np.array(results[name])
        print(
            f"{name:<42}"
            + "".join(f"{m:>8.4f} ({lo:.3f}-{hi:.3f})" for m, lo, hi in zip(v.mean(0), v.min(0), v.max(0)))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
