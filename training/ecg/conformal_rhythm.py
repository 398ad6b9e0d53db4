"""Would the EEG model's conformal prediction sets serve the ECG rhythm model? Their coverage on CinC 2017.

    OMP_NUM_THREADS=1 python -m training.ecg.conformal_rhythm   # after train_rhythm (reads its out-of-fold cache)

The rhythm model pools a LightGBM feature model (refitted on train+val) with a CNN (trained on the
train split), with a weight and temperature fitted on the validation split. The calibration items
are the validation records, scored as the pool's weight and temperature were fitted: the LightGBM
side out of fold (``train_rhythm``'s cache), the CNN on records it did not train on. Mondrian
split-conformal 90% sets (``classifier.conformal`` with one fold; the cross-conformal form the EEG
model uses needs fold models of both parts, which are not kept) are then measured on the test
split, each record through ``analyze_ecg`` as the service runs it. Prints coverage overall and per
class, the set sizes, the share of records whose set is not exactly the finding's label (the
records an abstention rule like the EEG model's would report inconclusive) and the accuracy of the
others, beside the accuracy of as many of the most confident findings, and the same two figures
for the service's rule today (``classifier.inconclusive.inconclusive_reason``) and for both rules
together. The test records are read only here and by ``evaluate_rhythm``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from classifier import conformal
from classifier.calibration import calibrated
from classifier.ecg import analyze_ecg
from classifier.ecg.rhythm_model import MODEL_DIR, RhythmEnsemble, pooled_scores
from classifier.finding import Finding
from classifier.inconclusive import inconclusive_reason
from classifier.paths import data_dir
from training.ecg import cinc2017
from training.ecg.train_rhythm import out_of_fold_scores
from training.ecg.train_rhythm_cnn import record_inputs

ALPHA = 0.1  # 90% sets, as the EEG model's


def calibration_probabilities(ensemble: RhythmEnsemble, val_ids: list[str], inputs: list[np.ndarray]) -> np.ndarray:
    """The validation records' pooled probabilities with the LightGBM side out of fold."""
    lightgbm = calibrated(out_of_fold_scores(val_ids), ensemble.features.temperature)
    return calibrated(pooled_scores(lightgbm, ensemble.cnn.logits(inputs), ensemble.cnn_weight), ensemble.temperature)


def report(labels: np.ndarray, findings: list[Finding], sets: np.ndarray, classes: list[str]) -> dict:
    """Coverage, set sizes and what an abstention on sets other than the label would leave."""
    covered = sets[np.arange(len(labels)), labels]
    predicted = np.array([classes.index(f.label) for f in findings])
    right = predicted == labels
    in_set = (sets.sum(axis=1) == 1) & sets[np.arange(len(labels)), predicted]
    reportable = np.array([inconclusive_reason(f) is None for f in findings])
    # a confidence rule that reports as many records as the sets do, for comparison
    most_confident = np.argsort([-f.confidence for f in findings], kind="stable")[: int(in_set.sum())]
    return {
        "n_records": int(len(labels)),
        "coverage_90": round(float(covered.mean()), 4),
        "coverage_by_class": {c: round(float(covered[labels == k].mean()), 4) for k, c in enumerate(classes)},
        "set_sizes": {str(k): int(v) for k, v in enumerate(np.bincount(sets.sum(axis=1), minlength=len(classes) + 1))},
        "accuracy": round(float(right.mean()), 4),
        "set_not_the_label": round(float(1.0 - in_set.mean()), 4),
        "accuracy_where_set_is_the_label": round(float(right[in_set].mean()), 4),
        "inconclusive_today": round(float(1.0 - reportable.mean()), 4),
        "accuracy_where_reported_today": round(float(right[reportable].mean()), 4),
        "accuracy_of_the_most_confident_as_many": round(float(right[most_confident].mean()), 4),
        "inconclusive_with_both": round(float(1.0 - np.mean(in_set & reportable)), 4),
        "accuracy_where_both_report": round(float(right[in_set & reportable].mean()), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=data_dir() / "training2017")
    args = parser.parse_args(argv)
    reference = cinc2017.read_reference(args.data)
    ids = sorted(reference)
    row = {record_id: n for n, record_id in enumerate(ids)}
    split = json.loads((MODEL_DIR / "split.json").read_text())
    ensemble = RhythmEnsemble.load(MODEL_DIR)
    inputs = record_inputs(args.data, ids)
    val = [row[i] for i in split["val"]]
    y = np.array([ensemble.classes.index(reference[i]) for i in ids])

    p_val = calibration_probabilities(ensemble, split["val"], [inputs[i] for i in val])
    items = conformal.Calibration(1.0 - p_val[np.arange(len(val)), y[val]], y[val], np.zeros(len(val), dtype=int))
    findings = [analyze_ecg(cinc2017.read_signal(args.data, i), cinc2017.FS) for i in split["test"]]
    p_test = np.array([[f.probabilities[c] for c in ensemble.classes] for f in findings])
    sets = conformal.prediction_sets(conformal.p_values(items, p_test[None]), ALPHA)
    result = report(np.array([y[row[i]] for i in split["test"]]), findings, sets, ensemble.classes)
    print(f"Mondrian split-conformal {1 - ALPHA:.0%} sets, calibrated on {len(val)} validation records:")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
