"""Evaluate the committed EEG model on the held-out Bonn segments (never seen in training).

    OMP_NUM_THREADS=1 python -m training.eeg.evaluate

Each held-out 23.6 s segment goes through the same path as a request (classifier.eeg.analyze_eeg at
173.61 Hz). Prints accuracy, per-class sensitivity and specificity, the confusion matrix and the
expected calibration error (ECE, 10 equal-width confidence bins), and the accuracy on held-out
segments with and without a correlated training segment (bonn.correlated_groups), and what the
abstention does (coverage of the 90% conformal sets, set sizes, inconclusive share, seizures
reported as seizure or inconclusive), and writes them to classifier/models/eeg/metrics.json.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from sklearn.metrics import confusion_matrix

import inference
from classifier.calibration import calibration_error
from classifier.eeg import model
from classifier.eeg.analysis import analyze
from classifier.finding import Finding
from training.eeg import bonn


def metrics(y_true: np.ndarray, y_pred: np.ndarray, confidence: np.ndarray) -> dict:
    cm = confusion_matrix(y_true, y_pred, labels=range(len(model.CLASSES)))
    per_class = {}
    for k, name in enumerate(model.CLASSES):
        tp, fn = cm[k, k], cm[k].sum() - cm[k, k]
        fp = cm[:, k].sum() - cm[k, k]
        tn = cm.sum() - tp - fn - fp
        per_class[name] = {
            "sensitivity": round(float(tp / (tp + fn)), 4),
            "specificity": round(float(tn / (tn + fp)), 4),
            "n": int(cm[k].sum()),
        }
    return {
        "n_segments": int(len(y_true)),
        "accuracy": round(float(np.mean(y_true == y_pred)), 4),
        "per_class": per_class,
        "confusion_matrix": {"classes": list(model.CLASSES), "rows_true_cols_predicted": cm.tolist()},
        "ece": round(calibration_error(confidence, y_true == y_pred), 4),
    }


def abstention(y_true: np.ndarray, findings: list[Finding]) -> dict:
    """Coverage and sizes of the conformal sets, and what the inconclusive rule makes of them."""
    true_names = [model.CLASSES[k] for k in y_true]
    sets = [f.windows["prediction_set"] for f in findings]
    inconclusive = np.array([inference.is_inconclusive(f) for f in findings])
    seizure = y_true == model.SEIZURE
    called_seizure = np.array([f.label == model.CLASSES[model.SEIZURE] for f in findings])
    return {
        "coverage_90": round(float(np.mean([t in s for t, s in zip(true_names, sets)])), 4),
        "set_sizes": {str(k): int(v) for k, v in enumerate(np.bincount([len(s) for s in sets], minlength=4))},
        "out_of_distribution": int(sum(f.windows["ood_score"] > f.windows["ood_threshold"] for f in findings)),
        "inconclusive": round(float(inconclusive.mean()), 4),
        "seizure_or_inconclusive": round(float(np.mean((called_seizure | inconclusive)[seizure])), 4),
        "conclusive_accuracy": round(
            float(np.mean([f.label == t for f, t, i in zip(findings, true_names, inconclusive) if not i])), 4
        ),
    }


def with_training_partner(corr: np.ndarray, every: list[bonn.Segment], held_out: set[str]) -> dict[str, bool]:
    """Held-out id -> whether some training segment correlates with it above CORRELATED_ABOVE
    (``corr`` from bonn.correlations(every); see bonn.correlated_groups): such a segment is less
    new to the model than its id suggests."""
    train = np.array([s.segment_id not in held_out for s in every])
    return {
        s.segment_id: bool(corr[i, train].max() > bonn.CORRELATED_ABOVE)
        for i, s in enumerate(every)
        if s.segment_id in held_out
    }


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    held_out = set(model.held_out_ids())
    eeg_model = model.load_model()
    every = bonn.load_segments()
    segments = [s for s in every if s.segment_id in held_out]
    findings = [analyze(s.signal, bonn.SAMPLING_RATE, eeg_model) for s in segments]
    corr = bonn.correlations(every)
    row = {s.segment_id: i for i, s in enumerate(every)}
    y_true = np.array([s.label for s in segments])
    y_pred = np.array([model.CLASSES.index(f.label) for f in findings])
    confidence = np.array([f.confidence for f in findings])
    result = {
        "model_version": eeg_model.version,
        "split": "held-out segments (split.json)",
        **metrics(y_true, y_pred, confidence),
        "misclassified": [
            {
                "segment": s.segment_id,
                "true": model.CLASSES[t],
                "predicted": f.label,
                "confidence": round(f.confidence, 4),
                "most_correlated": every[int(corr[row[s.segment_id]].argmax())].segment_id,
                "correlation": round(float(corr[row[s.segment_id]].max()), 2),
            }
            for s, t, f in zip(segments, y_true, findings)
            if f.label != model.CLASSES[t]
        ],
    }
    result["abstention"] = abstention(y_true, findings)
    partner = with_training_partner(corr, every, held_out)
    has_partner = np.array([partner[s.segment_id] for s in segments])
    correct = y_true == y_pred
    result["by_training_partner"] = {
        name: {"n": int(np.sum(mask)), "accuracy": round(float(correct[mask].mean()), 4)}
        for name, mask in [("with", has_partner), ("without", ~has_partner)]
    }

    print(f"model {result['model_version']} on {result['n_segments']} held-out segments")
    print(f"accuracy {result['accuracy']:.4f}   ECE {result['ece']:.4f}")
    print(f"{'class':<34}{'sensitivity':>12}{'specificity':>12}{'n':>5}")
    for name, m in result["per_class"].items():
        print(f"{name:<34}{m['sensitivity']:>12.4f}{m['specificity']:>12.4f}{m['n']:>5}")
    print("confusion matrix (rows true, columns predicted; order as above):")
    for row in result["confusion_matrix"]["rows_true_cols_predicted"]:
        print("  " + " ".join(f"{v:>4}" for v in row))
    for miss in result["misclassified"]:
        print(
            f"  missed {miss['segment']}: {miss['true']} -> {miss['predicted']} "
            f"({miss['confidence']:.2f}); most correlated segment {miss['most_correlated']} "
            f"({miss['correlation']:.2f})"
        )
    for name, m in result["by_training_partner"].items():
        print(f"  {m['n']} held-out segments {name} a correlated training segment: accuracy {m['accuracy']:.4f}")
    a = result["abstention"]
    print(
        f"90% conformal sets: coverage {a['coverage_90']:.4f}, sizes {a['set_sizes']}; "
        f"{a['out_of_distribution']} out of distribution; inconclusive {a['inconclusive']:.4f}; "
        f"seizures reported as seizure or inconclusive {a['seizure_or_inconclusive']:.4f}; "
        f"conclusive accuracy {a['conclusive_accuracy']:.4f}"
    )
    (model.MODEL_DIR / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
