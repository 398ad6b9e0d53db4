"""AF windows, episodes and burden on MIT-BIH DS1 against its rhythm annotations.

    python -m training.ecg.evaluate_af [--write-threshold]   # writes ecg_rhythm/af_metrics.json

Each DS1 record (MLII, 30 min) goes through the rhythm pipeline as ``classify_rhythm`` runs it:
consecutive 30 s windows. Three ways of labelling a window AF are scored in the same run: the
rhythm model alone (its likeliest class), the trivial RR rule (``msd_norm`` of all RR intervals
at or above the threshold ``train_rr_af`` chose on the CinC development records) and the served
combination (``af_evidence.combine``: the model with strong RR evidence on the normal-to-normal
intervals joined in, the RR model fitted on CinC), each window as ``analyze_ecg`` computes it.
The combination's one choice, the threshold of strong RR evidence, is made leaving one record
out: each record is scored with the threshold ``choose_threshold`` picks on the other 21.
``--write-threshold`` then picks one on all 22 by the same rule (``rr_af.json``).

Reference: the annotated rhythm intervals ``(AFIB`` and ``(AFL``. A window is an AF window when it
lies wholly inside them and a non-AF window when it does not touch them (mixed windows are left out
of window Se/Sp). Reference episodes are the AF intervals with gaps under one window (30 s: the
1-4 s runs of ventricular tachycardia inside 203's AF) closed; an episode is found when a
predicted episode overlaps it. Burden error: |predicted - annotated share of the recording in
AF|, in percentage points, per record.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import numpy as np
import wfdb

from classifier.ecg import rhythm_and_beats
from classifier.ecg.af_evidence import RR_FILE, combine
from classifier.ecg.rhythm import AF, WINDOW_S, af_burden, af_episodes, load_model
from classifier.paths import MODELS_DIR
from training.ecg.mitdb import DS1, load_record, record_dir

AF_RHYTHMS = ("(AFIB", "(AFL")
METHODS = ("model", "rr_rule", "combined")
THRESHOLDS = tuple(np.round(np.arange(0.50, 1.0, 0.01), 2)) + (1.0,)
MAX_FALSE_AF_WINDOWS = 0.01
OUT_FILE = MODELS_DIR / "ecg_rhythm" / "af_metrics.json"


def reference_af(name: str) -> tuple[list[tuple[float, float]], float]:
    """The record's annotated AF intervals in seconds, and its duration."""
    path = str(record_dir() / name)
    header = wfdb.rdheader(path)
    ann = wfdb.rdann(path, "atr")
    duration = header.sig_len / header.fs
    changes = [
        (ann.sample[i] / header.fs, ann.aux_note[i].strip("\x00"))
        for i, symbol in enumerate(ann.symbol)
        if symbol == "+"
    ]
    ends = [t for t, _ in changes[1:]] + [duration]
    return [(start, end) for (start, label), end in zip(changes, ends) if label in AF_RHYTHMS], duration


def overlap(a: tuple[float, float], intervals: list[tuple[float, float]]) -> float:
    return sum(max(0.0, min(a[1], e) - max(a[0], s)) for s, e in intervals)


def close_gaps(intervals: list[tuple[float, float]], gap_s: float) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in intervals:
        if merged and start - merged[-1][1] < gap_s:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class RecordWindows:
    """One record's 30 s windows (seconds), their annotated AF share, the rhythm model's
    probabilities, the RR model's AF probability and the trivial rule's feature."""

    name: str
    duration: float
    reference: list[tuple[float, float]]
    windows: list[tuple[float, float]]
    share: np.ndarray
    proba: np.ndarray
    rr_af: np.ndarray
    baseline_value: np.ndarray


def record_windows(name: str) -> RecordWindows:
    reference, duration = reference_af(name)
    record = load_record(name)
    analysed, _, _, rr_af = rhythm_and_beats(record.signal, record.sampling_rate)
    windows = analysed.bounds_s
    return RecordWindows(
        name,
        duration,
        reference,
        windows,
        np.array([overlap(w, reference) / (w[1] - w[0]) for w in windows]),
        analysed.probabilities,
        rr_af,
        np.array([f[rr_model_baseline()["feature"]] for f in analysed.features], dtype=np.float64),
    )


def called_af(r: RecordWindows, method: str, threshold: float) -> np.ndarray:
    classes = load_model().classes
    if method == "rr_rule":
        return np.nan_to_num(r.baseline_value) >= rr_model_baseline()["threshold"]
    proba = r.proba if method == "model" else combine(r.proba, r.rr_af, classes, threshold)
    return proba.argmax(axis=1) == classes.index(AF)


def choose_threshold(records: list[RecordWindows]) -> float:
    """The lowest RR-evidence threshold (0.50-0.99, or 1.0: never) at which the combination calls
    AF on at most ``MAX_FALSE_AF_WINDOWS`` of these records' windows that do not touch AF."""
    for threshold in THRESHOLDS:
        false = np.concatenate([called_af(r, "combined", threshold)[r.share == 0] for r in records])
        if np.mean(false) <= MAX_FALSE_AF_WINDOWS:
            return float(threshold)
    return 1.0


def rr_model_baseline() -> dict:
    return json.loads(RR_FILE.read_text())["baseline"]


def evaluate(records: list[RecordWindows]) -> dict:
    """Leave one record out: each record is scored with the threshold chosen on the others."""
    totals = {
        m: {
            "af_windows": 0,
            "af_found": 0,
            "non_af_windows": 0,
            "non_af_kept": 0,
            "episodes": 0,
            "episodes_found": 0,
            "predicted_episodes": 0,
            "predicted_true": 0,
            "burden_error_pp": {},
        }
        for m in METHODS
    }
    reference_burden, thresholds = {}, {}
    for r in records:
        threshold = choose_threshold([o for o in records if o.name != r.name])
        thresholds[r.name] = threshold
        episodes_ref = close_gaps(r.reference, WINDOW_S)
        reference_burden[r.name] = round(100 * sum(e - s for s, e in r.reference) / r.duration, 2)
        for method in METHODS:
            is_af = called_af(r, method, threshold)
            t = totals[method]
            whole, none = r.share > 0.999, r.share == 0
            t["af_windows"] += int(whole.sum())
            t["af_found"] += int((whole & is_af).sum())
            t["non_af_windows"] += int(none.sum())
            t["non_af_kept"] += int((none & ~is_af).sum())
            items = [{"start_s": a, "end_s": b, "label": AF if f else ""} for (a, b), f in zip(r.windows, is_af)]
            predicted = [(e["start_s"], e["end_s"]) for e in af_episodes(items)]
            t["episodes"] += len(episodes_ref)
            t["episodes_found"] += int(sum(overlap(e, predicted) > 0 for e in episodes_ref))
            t["predicted_episodes"] += len(predicted)
            t["predicted_true"] += int(sum(overlap(p, r.reference) > 0 for p in predicted))
            burden = 100 * af_burden([{"start_s": a, "end_s": b} for a, b in predicted], r.duration)
            t["burden_error_pp"][r.name] = round(abs(burden - reference_burden[r.name]), 2)
    for t in totals.values():
        t["window_se"] = round(t["af_found"] / max(t["af_windows"], 1), 4)
        t["window_sp"] = round(t["non_af_kept"] / max(t["non_af_windows"], 1), 4)
        t["episode_se"] = round(t["episodes_found"] / max(t["episodes"], 1), 4)
        t["episode_ppv"] = round(t["predicted_true"] / max(t["predicted_episodes"], 1), 4)
        errors = t["burden_error_pp"]
        t["burden_error_pp_max_af_records"] = max((errors[n] for n in errors if reference_burden[n] > 0), default=0.0)
        t["burden_error_pp_max"] = max(errors.values())
    classes = load_model().classes
    whole_record = {
        r.name: classes[int(np.argmax(combine(r.proba, r.rr_af, classes, thresholds[r.name]).mean(axis=0)))]
        for r in records
    }
    return {
        "records": [r.name for r in records],
        "reference_burden_pct": reference_burden,
        "whole_record_label": whole_record,
        "thresholds_leave_one_record_out": thresholds,
        "methods": totals,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write-threshold", action="store_true", help="also choose the threshold on all DS1 records (rr_af.json)"
    )
    args = parser.parse_args()
    records = []
    for name in DS1:
        records.append(record_windows(name))
        print(name, "annotated AF windows", int((records[-1].share > 0.999).sum()), flush=True)
    result = evaluate(records)
    print(
        "whole-record label (served combination, mean over windows) of the records with annotated AF, and "
        "of those without AF called AF:",
        {
            n: label
            for n, label in result["whole_record_label"].items()
            if result["reference_burden_pct"][n] > 0 or label == AF
        },
    )
    print("thresholds (leave one record out):", sorted(set(result["thresholds_leave_one_record_out"].values())))
    print(
        f"{'method':10s} {'win Se':>7s} {'win Sp':>7s} {'ep Se':>6s} {'ep PPV':>6s} "
        f"{'burden err AF rec (pp)':>22s} {'max any rec':>11s}"
    )
    for method, t in result["methods"].items():
        print(
            f"{method:10s} {t['window_se']:7.3f} {t['window_sp']:7.3f} {t['episode_se']:6.2f} "
            f"{t['episode_ppv']:6.2f} {t['burden_error_pp_max_af_records']:22.2f} "
            f"{t['burden_error_pp_max']:11.2f}"
        )
        print(
            f"{'':10s} AF windows {t['af_found']}/{t['af_windows']}, non-AF kept "
            f"{t['non_af_kept']}/{t['non_af_windows']}, episodes {t['episodes_found']}/"
            f"{t['episodes']}, predicted episodes {t['predicted_true']}/{t['predicted_episodes']}"
        )
    OUT_FILE.write_text(json.dumps(result, indent=1) + "\n")
    if args.write_threshold:
        served = json.loads(RR_FILE.read_text())
        served["threshold"] = choose_threshold(records)
        RR_FILE.write_text(json.dumps(served, indent=1) + "\n")
        print("threshold (all DS1 records):", served["threshold"])


if __name__ == "__main__":
    main()
