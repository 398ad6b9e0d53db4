"""Evaluate the committed rhythm model on the held-out CinC 2017 split through the full pipeline.

    OMP_NUM_THREADS=1 python -m training.ecg.evaluate_rhythm            # test split, writes metrics.json

Each record goes through ``analyze_ecg`` exactly as the service calls it (the rhythm model with the
RR evidence of ``af_evidence`` joined in, the beats, the quality gate), so the per-record time is
the end-to-end time on one thread. The rhythm model alone (``classify_rhythm``) is scored in the
same run (``model_alone``), so what the RR evidence adds or costs is visible. Only the
test split is evaluated: the served LightGBM model is fitted on train+val, so a validation figure
would be in-sample (the out-of-fold and validation selection figures are logged by the training
scripts and stored in meta.json / ensemble.json).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix

from classifier.calibration import expected_calibration_error
from classifier.ecg import analyze_ecg
from classifier.ecg.rhythm import classify_rhythm, load_model
from classifier.ecg.rhythm_model import MODEL_DIR
from classifier.paths import data_dir
from training.ecg import cinc2017

SHORT = {"Normal Sinus Rhythm": "N", "Atrial Fibrillation": "A", "Other Rhythm": "O", "Noisy Recording": "~"}


def evaluate(folder: Path) -> dict:
    """Metrics of the served pipeline on the test part of ``split.json``."""
    split = "test"
    model = load_model()
    classes = model.classes
    reference = cinc2017.read_reference(folder)
    ids = json.loads((MODEL_DIR / "split.json").read_text())[split]
    truth, predicted, alone, probs, seconds = [], [], [], [], []
    for record_id in ids:
        signal = cinc2017.read_signal(folder, record_id)
        start = time.perf_counter()
        finding = analyze_ecg(signal, cinc2017.FS)
        seconds.append(time.perf_counter() - start)
        truth.append(classes.index(reference[record_id]))
        predicted.append(classes.index(finding.label))
        alone.append(classes.index(classify_rhythm(signal, cinc2017.FS).label))
        probs.append([finding.probabilities[c] for c in classes])
    truth, predicted, alone = np.array(truth), np.array(predicted), np.array(alone)
    f1, f1_alone = cinc2017.f1_per_class(truth, predicted), cinc2017.f1_per_class(truth, alone)
    ms = 1000 * np.array(seconds)
    return {
        "split": split,
        "n_records": len(ids),
        "model_version": model.version,
        "f1": {SHORT[c]: round(float(v), 4) for c, v in zip(classes, f1)},
        "challenge_score": round(cinc2017.challenge_score(f1), 4),
        "accuracy": round(float(np.mean(truth == predicted)), 4),
        "confusion_matrix": {
            "rows_true_cols_predicted": [SHORT[c] for c in classes],
            "counts": confusion_matrix(truth, predicted, labels=range(len(classes))).tolist(),
        },
        "ece": round(expected_calibration_error(np.array(probs), truth), 4),
        "model_alone": {
            "f1": {SHORT[c]: round(float(v), 4) for c, v in zip(classes, f1_alone)},
            "challenge_score": round(cinc2017.challenge_score(f1_alone), 4),
            "records_changed_by_rr_evidence": int(np.sum(alone != predicted)),
        },
        "ms_per_record": {
            "mean": round(float(ms.mean()), 1),
            "median": round(float(np.median(ms)), 1),
            "p95": round(float(np.percentile(ms, 95)), 1),
        },
    }


def report(metrics: dict) -> str:
    names = metrics["confusion_matrix"]["rows_true_cols_predicted"]
    lines = [
        f"model {metrics['model_version']} on the {metrics['split']} split ({metrics['n_records']} records)",
        "F1: " + "  ".join(f"{k} {v:.3f}" for k, v in metrics["f1"].items()),
        f"challenge score (mean F1 of N, A, O): {metrics['challenge_score']:.3f}",
        f"accuracy: {metrics['accuracy']:.3f}   ECE (15 bins): {metrics['ece']:.4f}",
        "confusion matrix (rows true, columns predicted):",
        "      " + "".join(f"{n:>6}" for n in names),
    ]
    for name, row in zip(names, metrics["confusion_matrix"]["counts"]):
        lines.append(f"{name:>6}" + "".join(f"{v:>6}" for v in row))
    alone = metrics["model_alone"]
    lines.append(
        f"rhythm model alone: challenge score {alone['challenge_score']:.3f}, F1 "
        + "  ".join(f"{k} {v:.3f}" for k, v in alone["f1"].items())
        + f"; records whose label the RR evidence changed: {alone['records_changed_by_rr_evidence']}"
    )
    t = metrics["ms_per_record"]
    lines.append(
        f"inference per record (1 thread, end to end): mean {t['mean']} ms, median {t['median']} ms, p95 {t['p95']} ms"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=data_dir() / "training2017")
    args = parser.parse_args(argv)
    metrics = evaluate(args.data)
    print(report(metrics))
    (MODEL_DIR / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")


if __name__ == "__main__":
    main()
