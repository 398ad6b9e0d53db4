"""Repeated grouped cross-validation of the EEG pipeline on the training side only.

    OMP_NUM_THREADS=1 python -m training.eeg.crossval [--seeds 5] [--windows 4 6 8]
    OMP_NUM_THREADS=1 python -m training.eeg.crossval --all-segments [--seeds 5]

How stable the model card's out-of-fold figures are, how much of them is owed to correlated
segments, and whether a longer analysis window would do better. For each window length and two
groupings, by segment (as ``training.eeg.train``) and by groups of correlated segments
(``bonn.correlated_groups``), the trained LightGBM recipe is cross-validated over several fold
draws. Each line gives the mean and the (min-max) over the draws of: segment accuracy with argmax
decisions, segment accuracy and seizure sensitivity with the committed model's temperature and
seizure threshold, the lowest seizure probability of a seizure segment (argmax scale) and the
segment log loss. Last, how likely the held-out seizure result (metrics.json) would be if seizure
segments were missed independently at the out-of-fold rate: 20 held-out seizure segments make
single-split figures coarse.

With ``--all-segments`` (see ``nested``): a nested cross-validation over all 500 segments instead,
grouped by correlated groups, each outer fold running the whole training recipe of
``training.eeg.train`` on its training segments; no model is chosen or saved by it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator

import numpy as np
from scipy import stats
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedGroupKFold

from classifier.eeg import model, preprocess
from training.eeg import bonn
from training.eeg.evaluate import metrics
from training.eeg.train import N_FOLDS, calibration, lightgbm, out_of_fold, segment_means, segment_probabilities


def draw_figures(
    scores: np.ndarray, groups: np.ndarray, seg_labels: np.ndarray, temperature: float, threshold: float
) -> list[float]:
    """[argmax accuracy, accuracy and seizure sensitivity under the committed rule, lowest
    P(seizure) of a seizure segment, log loss] of one draw's out-of-fold window scores."""
    plain = segment_probabilities(scores, groups)
    ruled = model.decide(segment_probabilities(scores, groups, temperature), model.SEIZURE, threshold)
    seizure = seg_labels == model.SEIZURE
    return [
        np.mean(plain.argmax(axis=1) == seg_labels),
        np.mean(ruled == seg_labels),
        np.mean(ruled[seizure] == model.SEIZURE),
        plain[seizure, model.SEIZURE].min(),
        log_loss(seg_labels, np.clip(plain, 1e-12, 1.0), labels=range(len(model.CLASSES))),
    ]


def outer_folds(labels: np.ndarray, groups: np.ndarray, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(fit, test) segment indices of N_FOLDS outer folds: stratified by class, a group of correlated
    segments never on both sides, every segment tested once."""
    folds = StratifiedGroupKFold(N_FOLDS, shuffle=True, random_state=seed)
    return folds.split(np.zeros(len(labels)), labels, groups)


def nested_draw(
    table: dict[str, np.ndarray], segments: list[bonn.Segment], correlated: dict[str, int], seed: int
) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """One fold draw of the nested cross-validation over all segments.

    In every outer fold the recipe of training.eeg.train runs on the outer-training segments only:
    inner out-of-fold LightGBM scores (folds grouped by correlated groups, drawn with ``seed``), the
    temperature and seizure threshold fitted on them (``train.calibration``), and LightGBM fitted on
    all outer-training windows. The outer-test segments are decided as the service decides: softmax
    of the mean window score over the temperature, then ``model.decide`` with that threshold.
    Returns each segment's (in ``segments`` order) decided class and probabilities, and each outer
    fold's (temperature, threshold).
    """
    ids = np.array([s.segment_id for s in segments])
    row = {i: k for k, i in enumerate(ids)}
    labels = np.array([s.label for s in segments])
    groups = np.array([correlated[i] for i in ids])
    window_groups = np.array([correlated[i] for i in table["segment"]])
    decided, probabilities = np.full(len(ids), -1), np.zeros((len(ids), len(model.CLASSES)))
    calibrations = []
    for fit, test in outer_folds(labels, groups, seed):
        on_fit = np.isin(table["segment"], ids[fit])
        X, y, owners = table["X"][on_fit], table["y"][on_fit], table["segment"][on_fit]
        temperature, threshold = calibration(out_of_fold(lightgbm, X, y, window_groups[on_fit], True, seed), y, owners)
        final = lightgbm().fit(X, y)
        on_test = np.isin(table["segment"], ids[test])
        scores = final.predict(table["X"][on_test], raw_score=True)
        seg_p = segment_probabilities(scores, table["segment"][on_test], temperature)
        rows = [row[i] for i in np.unique(table["segment"][on_test])]  # segment_probabilities' order
        probabilities[rows] = seg_p
        decided[rows] = model.decide(seg_p, model.SEIZURE, threshold)
        calibrations.append((temperature, threshold))
    assert (decided >= 0).all(), "every segment is tested once"
    return decided, probabilities, calibrations


NESTED_FIGURES = (
    ["accuracy"]
    + [f"{name} {kind}" for name in model.CLASSES for kind in ("sensitivity", "specificity")]
    + ["seizure missed", "ECE"]
)


def nested_figures(labels: np.ndarray, decided: np.ndarray, probabilities: np.ndarray) -> list[float]:
    """NESTED_FIGURES of these segments (ECE over the probability of the reported label)."""
    m = metrics(labels, decided, probabilities[np.arange(len(decided)), decided])
    per_class = [m["per_class"][name][kind] for name in model.CLASSES for kind in ("sensitivity", "specificity")]
    missed = int(np.sum((labels == model.SEIZURE) & (decided != model.SEIZURE)))
    return [m["accuracy"], *per_class, missed, m["ece"]]


def all_segments(seeds: int) -> int:
    segments = bonn.load_segments()
    _, held_out_ids = bonn.split_ids(segments)
    table = bonn.window_table(segments)  # cached under data/cache/
    correlated = bonn.correlated_groups(segments)
    labels = np.array([s.label for s in segments])
    held_out = np.isin([s.segment_id for s in segments], held_out_ids)
    subsets = [("all", np.ones(len(segments), bool)), ("held-out", held_out)]
    n_seizure = {name: int(np.sum(labels[mask] == model.SEIZURE)) for name, mask in subsets}
    print(
        f"nested CV over all {len(segments)} segments ({len(set(correlated.values()))} correlated "
        f"groups): {N_FOLDS} outer folds stratified by class and grouped by correlated groups, "
        f"{seeds} fold draws;\nin each outer fold the training recipe on the outer-training "
        f"segments only (inner {N_FOLDS}-fold out-of-fold scores grouped by correlated groups -> "
        "temperature, seizure threshold;\nLightGBM on all outer-training windows), the outer-test "
        "segments decided as served. 'held-out' = the fixed split's "
        f"{int(held_out.sum())} held-out segments ({n_seizure['held-out']} seizures) as scored "
        "in this CV."
    )
    short = ["acc", "N Se", "N Sp", "I Se", "I Sp", "S Se", "S Sp", "S missed", "ECE"]
    print(
        f"{'draw':<5}{'segments':<10}"
        + "".join(f"{c:>9}" for c in short)
        + f"{'temperature':>15}{'threshold':>12}{'seconds':>9}"
    )
    results = {name: [] for name, _ in subsets}
    for seed in range(seeds):
        start = time.perf_counter()
        decided, probabilities, calibrations = nested_draw(table, segments, correlated, seed)
        temperatures, thresholds = np.array(calibrations).T
        for name, mask in subsets:
            figures = nested_figures(labels[mask], decided[mask], probabilities[mask])
            results[name].append(figures)
            cells = (
                "".join(f"{v:>9.4f}" for v in figures[:7]) + f"{figures[7]:>5d}/{n_seizure[name]:<3d}{figures[8]:>9.4f}"
            )
            extra = (
                (
                    f"{temperatures.min():>9.3f}-{temperatures.max():.3f}"
                    f"{thresholds.min():>7.2f}-{thresholds.max():.2f}"
                    f"{time.perf_counter() - start:>9.0f}"
                )
                if name == "all"
                else ""
            )
            print(f"{seed:<5}{name:<10}{cells}{extra}", flush=True)
        missed = [
            s.segment_id + ("*" if h else "")
            for s, d, h in zip(segments, decided, held_out)
            if s.label == model.SEIZURE and d != model.SEIZURE
        ]
        false_calls = [
            s.segment_id + ("*" if h else "")
            for s, d, h in zip(segments, decided, held_out)
            if s.label != model.SEIZURE and d == model.SEIZURE
        ]
        print(
            f"{'':<5}seizure segments missed: {', '.join(missed) or '-'}; called seizure but not: "
            f"{', '.join(false_calls) or '-'} (* = fixed held-out)"
        )
    print(f"\nmean (min-max) over {seeds} fold draws")
    print(f"{'figure':<46}{'all ' + str(len(segments)):>23}{'held-out ' + str(int(held_out.sum())):>23}")
    for k, figure in enumerate(NESTED_FIGURES):
        cells = ""
        for name, _ in subsets:
            v = np.array(results[name])[:, k]
            cells += (
                f"{v.mean():.1f} ({v.min():g}-{v.max():g}) of {n_seizure[name]}".rjust(23)
                if figure == "seizure missed"
                else f"{v.mean():>9.4f} ({v.min():.3f}-{v.max():.3f})"
            )
        print(f"{figure:<46}{cells}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="fold draws per line")
    parser.add_argument(
        "--windows",
        type=float,
        nargs="+",
        default=[4.0, 6.0, 8.0],
        help="window lengths in seconds (step stays %g s)" % preprocess.STEP_SECONDS,
    )
    parser.add_argument(
        "--all-segments",
        action="store_true",
        help="nested CV over all 500 segments grouped by correlated groups, the "
        "full training recipe in every outer fold (4 s windows only)",
    )
    args = parser.parse_args(argv)
    if args.all_segments:
        return all_segments(args.seeds)

    segments = bonn.load_segments()
    train_ids, _ = bonn.split_ids(segments)
    meta = model.metadata()
    temperature, threshold = meta["temperature"], meta["seizure_threshold"]
    correlated = bonn.correlated_groups(segments)
    corr = bonn.correlations(segments)
    with_partner = int(np.count_nonzero(corr.max(axis=1) > bonn.CORRELATED_ABOVE))
    a, b = np.unravel_index(corr.argmax(), corr.shape)
    print(
        f"{with_partner} of {len(segments)} segments correlate above {bonn.CORRELATED_ABOVE:g} with "
        f"another (most: {segments[a].segment_id} and {segments[b].segment_id}, {corr[a, b]:.3f}); "
        f"the {len(train_ids)} training segments form {len({correlated[i] for i in train_ids})} "
        "correlated groups"
    )
    print(
        f"{N_FOLDS}-fold CV, {args.seeds} fold draws per line, mean (min-max); rule = temperature "
        f"{temperature:g}, seizure threshold {threshold:g} of {meta['version']}"
    )
    print(
        f"{'window':<7}{'grouping':<11}{'acc argmax':>22}{'acc rule':>22}{'seizure sens rule':>22}"
        f"{'min P(seizure) of S':>22}{'log loss':>22}"
    )
    pooled_sensitivity = {}
    for seconds in args.windows:
        table = bonn.window_table(segments, seconds)
        on_train = np.isin(table["segment"], train_ids)
        X, y, owners = table["X"][on_train], table["y"][on_train], table["segment"][on_train]
        seg_labels = segment_means(y[:, None].astype(float), owners)[1][:, 0].astype(int)
        for grouping, groups in [("segment", owners), ("correlated", np.array([correlated[i] for i in owners]))]:
            figures = np.array(
                [
                    draw_figures(
                        out_of_fold(lightgbm, X, y, groups, True, seed), owners, seg_labels, temperature, threshold
                    )
                    for seed in range(args.seeds)
                ]
            )
            cells = "".join(
                f"{m:>10.4f} ({lo:.3f}-{hi:.3f})" for m, lo, hi in zip(figures.mean(0), figures.min(0), figures.max(0))
            )
            print(f"{seconds:<7g}{grouping:<11}{cells}", flush=True)
            if seconds == meta["window_seconds"]:
                pooled_sensitivity[grouping] = figures[:, 2].mean()

    held_out = json.loads((model.MODEL_DIR / "metrics.json").read_text())["per_class"]
    n, caught = (
        held_out["Seizure Activity"]["n"],
        round(held_out["Seizure Activity"]["sensitivity"] * held_out["Seizure Activity"]["n"]),
    )
    for grouping, sensitivity in pooled_sensitivity.items():
        print(
            f"{grouping}-grouped CV seizure sensitivity {sensitivity:.4f}: probability that a held-out "
            f"set of {n} seizure segments catches at most {caught} (as metrics.json): "
            f"{stats.binom.cdf(caught, n, sensitivity):.3f}; at most {caught + 1}: "
            f"{stats.binom.cdf(caught + 1, n, sensitivity):.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
