"""Can the seizure decision be kept from leaning on Bonn's scalp-versus-intracranial difference?
Measured on the training side only.

    OMP_NUM_THREADS=1 python -m training.eeg.montage_check   # ~7 min on one core

In Bonn, Normal (sets Z, O) is the only class recorded on the scalp; Interictal (N, F) and Seizure
(S) are intracranial. A seizure decision fitted on all three can lean on that difference: "looks
like scalp EEG, so not a seizure", which a seizure recorded on the scalp elsewhere would fail. Two
ways to rule that out, each as two stages (a seizure stage, then Normal against Interictal for what
is not seizure; :class:`TwoStage`):

- "intracranial only": the seizure stage is fitted on S against N and F and never sees a scalp
  recording;
- "AUC within d": it is fitted on every class but sees only the features that hardly tell Normal
  from Interictal windows on their own (ROC AUC within d of 0.5, chosen inside each fold).

Both are compared with the served three-class booster under the same recipe (the scalp-like
augmentation of each fold's own segments, the seizure class weight, the temperature and seizure
threshold of ``training.eeg.train``), out of fold on the 400 training segments, with folds grouped
by segment and by near-copies (``bonn.correlated_groups``), and on SHIFTED_DRAWS scalp-like draws
of every training segment (SHIFTED_SEED, neither the augmentation's nor the shift test's seed)
scored by the fold model that did not see the segment. The held-out segments are never read.
"Normal called seizure" counts scalp Normal segments (or their shifted draws) decided seizure.
"""

from __future__ import annotations

import argparse
import sys

import lightgbm as lgb
import numpy as np
from sklearn.metrics import roc_auc_score

from classifier.eeg import features, model
from training.eeg import bonn, train

NORMAL, INTERICTAL = model.CLASSES.index("Normal EEG"), model.CLASSES.index("Interictal Epileptiform Activity")
SEIZURE = model.SEIZURE
SHIFTED_DRAWS = 2
SHIFTED_SEED = 4242
INVARIANT_BELOW = (0.2, 0.3)  # both tried; see TwoStage
# fast-activity features whose per-window AUCs show where Bonn's seizures lie (printed first)
SHOWN_FEATURES = ("hjorth_mobility", "spectral_edge_90_hz", "rel_power_beta")


class TwoStage:
    """A seizure stage, then Normal against Interictal on the windows that are not seizure;
    ``predict(raw_score=True)`` gives the three classes' log-probabilities, which pool and scale as
    the three-class booster's raw scores do.

    The seizure stage never sees what tells Bonn's scalp recordings from its intracranial ones:
    with ``invariant_below`` None it is fitted on the intracranial windows only (seizure against
    interictal); otherwise on every window, but only on the features whose ROC AUC for Normal
    against Interictal, on the windows it is fitted on, lies within ``invariant_below`` of 0.5.
    """

    def __init__(self, invariant_below: float | None = None):
        self.invariant_below = invariant_below

    def fit(self, X: np.ndarray, y: np.ndarray) -> "TwoStage":
        quiet = y != SEIZURE
        if self.invariant_below is None:
            rows, self.columns = y != NORMAL, np.arange(X.shape[1])
        else:
            auc = np.array([roc_auc_score(y[quiet] == NORMAL, column) for column in X[quiet].T])
            rows, self.columns = np.ones(len(y), dtype=bool), np.flatnonzero(np.abs(auc - 0.5) < self.invariant_below)
        weights = {0: 1.0, 1: train.SEIZURE_WEIGHT}
        self.seizure = lgb.LGBMClassifier(**train.LGBM_PARAMS, class_weight=weights)
        self.seizure.fit(X[rows][:, self.columns], (y[rows] == SEIZURE).astype(int))
        self.normal = lgb.LGBMClassifier(**train.LGBM_PARAMS).fit(X[quiet], (y[quiet] == NORMAL).astype(int))
        return self

    def predict(self, X: np.ndarray, raw_score: bool = True) -> np.ndarray:
        seizure = self.seizure.predict(X[:, self.columns], raw_score=True)
        normal = self.normal.predict(X, raw_score=True)
        not_seizure = -np.logaddexp(0.0, seizure)
        return np.c_[
            not_seizure - np.logaddexp(0.0, -normal),
            not_seizure - np.logaddexp(0.0, normal),
            -np.logaddexp(0.0, -seizure),
        ]


def shifted_scores(fitted: list, groups: np.ndarray, shifted: dict[str, np.ndarray]) -> np.ndarray:
    """Raw scores of the shifted windows, each from the fold model that did not see its source segment."""
    scores = np.zeros((len(shifted["y"]), len(model.CLASSES)))
    for fold_model, rows in fitted:
        mine = np.isin(shifted["segment"], np.unique(groups[rows]))
        scores[mine] = fold_model.predict(shifted["X"][mine], raw_score=True)
    return scores


def where_seizures_lie(X: np.ndarray, y: np.ndarray) -> None:
    """Print, for SHOWN_FEATURES, the window-level ROC AUC of one class against another."""
    pairs = {"Normal vs Interictal": (NORMAL, INTERICTAL), "Seizure vs Interictal": (SEIZURE, INTERICTAL)}
    pairs["Seizure vs Normal"] = (SEIZURE, NORMAL)
    print("ROC AUC of single features on the training windows (above 0.5: larger in the first class)")
    print(f"{'feature':<22}" + "".join(f"{name:>24}" for name in pairs))
    for feature in SHOWN_FEATURES:
        column = X[:, features.FEATURE_NAMES.index(feature)]
        cells = []
        for first, second in pairs.values():
            rows = (y == first) | (y == second)
            cells.append(f"{roc_auc_score(y[rows] == first, column[rows]):>24.2f}")
        print(f"{feature:<22}" + "".join(cells))
    print()


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    segments = bonn.load_segments()
    train_ids, _ = bonn.split_ids(segments)
    table = bonn.window_table(segments)
    on_train = np.isin(table["segment"], train_ids)
    X, y, groups = table["X"][on_train], table["y"][on_train], table["segment"][on_train]
    where_seizures_lie(X, y)
    augmented = train.augmented_windows(segments, train_ids)
    shifted = train.augmented_windows(segments, train_ids, SHIFTED_DRAWS, SHIFTED_SEED)
    shifted_owners = np.char.add(np.char.add(shifted["segment"], "#"), shifted["draw"].astype(str))
    near = bonn.correlated_groups(segments)
    groupings = {"segment": groups, "near-copy": np.array([near[g] for g in groups])}
    print(
        f"{'seizure stage':<22}{'folds':<11}{'accuracy':>9}{'seizure sens':>13}{'Normal called seizure':>23}"
        f"{'shifted: accuracy':>19}{'seizure sens':>13}{'Normal called seizure':>23}"
    )
    designs = [("three-class (served)", train.lightgbm), ("intracranial only", TwoStage)]
    designs += [(f"AUC within {d:g}", lambda d=d: TwoStage(d)) for d in INVARIANT_BELOW]
    for name, make in designs:
        for grouping, fold_groups in groupings.items():
            fitted: list = []
            raw = train.out_of_fold(make, X, y, fold_groups, True, owners=groups, extra=augmented, fitted=fitted)
            temperature, threshold = train.calibration(raw, y, groups)
            cells = []
            for labels, decided in (
                train.segment_decisions(raw, y, groups, temperature, threshold),
                train.segment_decisions(
                    shifted_scores(fitted, groups, shifted), shifted["y"], shifted_owners, temperature, threshold
                ),
            ):
                normal = labels == NORMAL
                cells += [
                    f"{np.mean(decided == labels):>9.4f}",
                    f"{np.mean(decided[labels == SEIZURE] == SEIZURE):>13.4f}",
                    f"{int(np.sum(decided[normal] == SEIZURE)):>13} of {int(normal.sum()):<6}",
                ]
            print(f"{name:<22}{grouping:<11}" + "".join(cells[:3]) + "          " + "".join(cells[3:]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
