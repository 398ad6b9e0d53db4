"""Inter-patient evaluation of QRS detection and beat classification on MIT-BIH DS1 (AAMI EC57).

    OMP_NUM_THREADS=1 python -m training.ecg.evaluate_beats            # cross-validation
    OMP_NUM_THREADS=1 python -m training.ecg.evaluate_beats --qrs-only # detector alone

Leave-one-record-out cross-validation (GroupKFold over the 22 DS1 records, 22 folds by default),
grouped by record so that no patient is in both the training and the test part of a fold; each
fold's model also learns the Q class from the paced records, which are never evaluated. Every
choice is made inside the fold from its training records alone: the atrial-fibrillation and
V-veto limits, and, by an inner cross-validation (nested), the S model's threshold and which S
rules stay (``train_beats.choose_s_recipe``). As ``/classify`` does, no beat inside the rhythm
model's atrial fibrillation (CinC-trained, so it has seen no MIT-BIH record) counts as S.
Statistics are gross: one confusion matrix summed over all folds. A detection matches a
reference beat within 150 ms; a missed reference beat counts against its class's sensitivity, a
detection with no reference beat against its predicted class's positive predictivity. As EC57
prescribes (and PhysioNet's reference comparator ``bxb`` computes), ventricular flutter episodes
are excluded, fusion and unclassifiable beats called V do not count against V +P, and
unclassifiable beats called S not against S +P (``EC57_NOT_COUNTED``); ``+P_all`` counts every
false call.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import GroupKFold

from classifier.ecg.beat_features import ABSOLUTE_BIN_NAMES, FEATURE_NAMES
from classifier.ecg.beats import AAMI_CLASSES
from training.ecg.beat_dataset import RecordBeats, match_to_reference, record_beats
from training.ecg.mitdb import DS1, Record
from training.ecg.train_beats import MODEL_DIR, train_model, training_set, without_s_in_rhythm_af

MISSED = len(AAMI_CLASSES)  # confusion column: reference beat not detected
EXTRA = len(AAMI_CLASSES)  # confusion row: detection without a reference beat
# Reference classes whose beats, when called the key class, do not count against its +P (EC57;
# bxb: VEB +P = Vv / (Vv + Nv + Sv + Ov), SVEB +P = Ss / (Ss + Ns + Vs + Fs + Os)). A fusion beat
# is partly ventricular, and an unclassifiable beat has no class to be wrong about.
EC57_NOT_COUNTED = {"V": ("F", "Q"), "S": ("Q",)}


def confusion(beats: RecordBeats, predicted: np.ndarray) -> np.ndarray:
    """``(6, 6)`` counts: rows reference class or EXTRA, columns predicted class or MISSED."""
    return _confusion(beats.reference_classes, beats.matched_reference, predicted)


def detector_confusion(record: Record, detected: np.ndarray) -> np.ndarray:
    """``confusion`` of any R-peak detector's output on one record, every detection called N: what
    ``statistics(...)["qrs"]`` needs to score a detector (``--qrs-only``, the peers' benchmark)."""
    keep, _, reference_classes, matched = match_to_reference(record, np.asarray(detected, dtype=np.int64))
    return _confusion(reference_classes, matched, np.zeros(int(keep.sum()), dtype=np.int64))


def _confusion(reference_classes: np.ndarray, matched_reference: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    matrix = np.zeros((len(AAMI_CLASSES) + 1, len(AAMI_CLASSES) + 1), dtype=np.int64)
    ref = np.array([AAMI_CLASSES.index(c) for c in reference_classes], dtype=np.int64)
    hit = matched_reference >= 0
    np.add.at(matrix, (ref[hit], predicted[matched_reference[hit]]), 1)
    np.add.at(matrix, (ref[~hit], MISSED), 1)
    unmatched = np.ones(len(predicted), dtype=bool)
    unmatched[matched_reference[hit]] = False
    np.add.at(matrix, (EXTRA, predicted[unmatched]), 1)
    return matrix


def statistics(matrix: np.ndarray) -> dict:
    """QRS detection and per-class Se / +P (in %) from a gross confusion matrix."""
    detected_ref = matrix[:EXTRA, :MISSED].sum()
    stats = {
        "qrs": {
            "Se": 100 * detected_ref / matrix[:EXTRA].sum(),
            "+P": 100 * detected_ref / matrix[:, :MISSED].sum(),
            "reference_beats": int(matrix[:EXTRA].sum()),
            "missed": int(matrix[:EXTRA, MISSED].sum()),
            "false_detections": int(matrix[EXTRA, :MISSED].sum()),
        }
    }
    for i, name in enumerate(AAMI_CLASSES):
        row, col = matrix[i].sum(), matrix[:, i].sum()
        counted = col - sum(matrix[AAMI_CLASSES.index(c), i] for c in EC57_NOT_COUNTED.get(name, ()))
        stats[name] = {
            "Se": 100 * matrix[i, i] / row if row else None,
            "+P": 100 * matrix[i, i] / counted if counted else None,
            "+P_all": 100 * matrix[i, i] / col if col else None,
            "reference_beats": int(row),
            "predicted_beats": int(col),
        }
    return stats


def cross_validate(folds: int) -> tuple[dict[str, np.ndarray], list[dict]]:
    """Per held-out record, its confusion matrix under the fold model that never saw it, and what
    each fold chose from its own training records (S threshold, S rules kept, V limit)."""
    records = np.array(DS1)
    per_record = {}
    splits = []
    for k, (train, test) in enumerate(GroupKFold(n_splits=folds).split(records, groups=records)):
        model, choices = train_model(records[train])
        for name in records[test]:
            beats = record_beats(name)
            predicted, _ = model.predict(beats.features, beats.irregularity, beats.look_alikes)
            per_record[str(name)] = confusion(beats, without_s_in_rhythm_af(predicted, name))
        splits.append({"test": sorted(records[test].tolist())} | choices)
        kept = ", ".join(r for r, on in choices["s_rules"].items() if on) or "none"
        print(
            f"fold {k + 1}/{folds}: test {', '.join(sorted(records[test]))}; S features "
            f"{choices['s_feature_set']}, threshold {choices['s_threshold']:.2f}, rules kept: "
            f"{kept} (inner S Se {choices['inner_Se']:.1f}%, +P {choices['inner_+P']:.1f}%; "
            f"records helped/hurt {choices['inner_records_by_rule']}); "
            f"V P-wave limit {choices['v_p_wave_limit']:.3f}",
            flush=True,
        )
    return per_record, splits


# The published baseline (de Chazal, O'Dwyer & Reilly 2004), as far as this pipeline's features
# carry it: the pre-, post- and local RR intervals, the recording's median RR, the QRS width and
# the beat's waveform sampled every 25 ms from -250 to +400 ms (their QRS and T-wave samples,
# without their P/T delineation), into a linear discriminant with equal class priors (their
# class-weighted LDA), classes N S V F.
DE_CHAZAL_FEATURES = ("pre_rr_s", "post_rr_s", "local_rr_s", "qrs_width_s") + ABSOLUTE_BIN_NAMES


def de_chazal_features(features: np.ndarray) -> np.ndarray:
    columns = [FEATURE_NAMES.index(n) for n in DE_CHAZAL_FEATURES]
    pre = features[:, FEATURE_NAMES.index("pre_rr_s")]
    median_rr = pre / features[:, FEATURE_NAMES.index("pre_ratio")]
    return np.nan_to_num(np.column_stack([features[:, columns], median_rr]))


def cross_validate_de_chazal(folds: int) -> tuple[dict[str, np.ndarray], list[list[str]]]:
    """``cross_validate`` for the de Chazal baseline (nothing to choose inside a fold: LDA has no
    threshold)."""
    records = np.array(DS1)
    per_record, splits = {}, []
    for train, test in GroupKFold(n_splits=folds).split(records, groups=records):
        x, y = training_set(records[train], paced=())
        keep = y != AAMI_CLASSES.index("Q")
        model = LinearDiscriminantAnalysis(priors=np.full(4, 0.25)).fit(de_chazal_features(x[keep]), y[keep])
        for name in records[test]:
            beats = record_beats(name)
            predicted = model.predict(de_chazal_features(beats.features)).astype(np.int64)
            per_record[str(name)] = confusion(beats, predicted)
        splits.append({"test": sorted(records[test].tolist())})
    return per_record, splits


def ectopy_by_record(per_record: dict[str, np.ndarray]) -> dict[str, dict]:
    """For S and V in each record: reference beats, correctly called, false calls (all of them,
    fusion beats called V included), and Se and +P in % as EC57 counts them (None where undefined)."""
    rows = {}
    for name, m in sorted(per_record.items()):
        stats = statistics(m)
        rows[name] = {}
        for c in ("S", "V"):
            i = AAMI_CLASSES.index(c)
            rows[name].update(
                {
                    f"{c}_reference": int(m[i, :MISSED].sum() + m[i, MISSED]),
                    f"{c}_correct": int(m[i, i]),
                    f"{c}_false": int(m[:, i].sum() - m[i, i]),
                    f"{c}_Se": _rounded(stats[c]["Se"]),
                    f"{c}_+P": _rounded(stats[c]["+P"]),
                }
            )
    return rows


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def format_by_record(rows: dict[str, dict]) -> str:
    def pct(value: float | None) -> str:
        return f"{value:6.1f}" if value is not None else "     -"

    lines = ["record  S ref  S ok  S false   S Se   S +P  V ref  V ok  V false   V Se   V +P"]
    for name, r in rows.items():
        lines.append(
            f"{name:>6} {r['S_reference']:6d} {r['S_correct']:5d} {r['S_false']:8d} "
            f"{pct(r['S_Se'])} {pct(r['S_+P'])} "
            f"{r['V_reference']:6d} {r['V_correct']:5d} {r['V_false']:8d} "
            f"{pct(r['V_Se'])} {pct(r['V_+P'])}"
        )
    return "\n".join(lines)


def qrs_only() -> np.ndarray:
    matrix = np.zeros((len(AAMI_CLASSES) + 1, len(AAMI_CLASSES) + 1), dtype=np.int64)
    for name in DS1:
        beats = record_beats(name)
        matrix += confusion(beats, np.zeros(len(beats.detected), dtype=np.int64))
    return matrix


def format_table(stats: dict, with_classes: bool) -> str:
    q = stats["qrs"]
    lines = [
        f"QRS detection: Se {q['Se']:.2f}%  +P {q['+P']:.2f}%  "
        f"({q['reference_beats']} reference beats, {q['missed']} missed, "
        f"{q['false_detections']} false detections)"
    ]
    if with_classes:
        lines.append("class  reference  predicted     Se%     +P%  +P% all")
        for name in AAMI_CLASSES:
            s = stats[name]
            se, pp, pp_all = (f"{s[k]:7.2f}" if s[k] is not None else "      -" for k in ("Se", "+P", "+P_all"))
            lines.append(f"{name:>5}  {s['reference_beats']:9d}  {s['predicted_beats']:9d} {se} {pp}  {pp_all}")
        lines.append(
            "(+P as EC57: fusion and unclassifiable beats called V, and unclassifiable beats "
            "called S, are not counted; +P all counts every false call)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--folds",
        type=int,
        default=22,
        help="GroupKFold splits over the 22 DS1 records (22, the default, leaves one record out)",
    )
    parser.add_argument("--qrs-only", action="store_true", help="score the detector alone")
    parser.add_argument(
        "--de-chazal", action="store_true", help="score the de Chazal 2004 LDA baseline instead of the served model"
    )
    parser.add_argument(
        "--out", type=Path, default=MODEL_DIR / "metrics.json", help="where the cross-validation metrics are written"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.qrs_only:
        print(format_table(statistics(qrs_only()), with_classes=False))
        return
    if args.de_chazal:
        per_record, splits = cross_validate_de_chazal(args.folds)
    else:
        per_record, splits = cross_validate(args.folds)
    matrix = sum(per_record.values())
    stats = statistics(matrix)
    by_record = ectopy_by_record(per_record)
    print(format_by_record(by_record))
    print(format_table(stats, with_classes=True))
    print("confusion (rows reference N S V F Q extra; columns predicted N S V F Q missed):")
    print(matrix)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "protocol": f"GroupKFold({args.folds}) over MIT-BIH DS1 records (22: leave one record out), "
                "S threshold and S rules chosen by an inner GroupKFold(5) over each fold's "
                "training records (nested), paced records for Q training only, 150 ms "
                "matching, VF episodes excluded, gross statistics",
                "model": "de Chazal 2004 LDA baseline" if args.de_chazal else "served pipeline",
                "folds": splits,
                "statistics": stats,
                "confusion": matrix.tolist(),
                "ectopy_by_record": by_record,
                "confusion_axes": {
                    "rows": list(AAMI_CLASSES) + ["no reference beat"],
                    "columns": list(AAMI_CLASSES) + ["missed"],
                },
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
