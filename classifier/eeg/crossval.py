"""Repeated grouped cross-validation of the EEG pipeline on the training side only.

    OMP_NUM_THREADS=1 python -m classifier.eeg.crossval [--seeds 5] [--windows 4 6 8]

How stable the model card's out-of-fold figures are, how much of them is owed to correlated
segments, and whether a longer analysis window would do better. For each window length and two
groupings, by segment (as ``classifier.eeg.train``) and by groups of correlated segments
(``bonn.correlated_groups``), the trained LightGBM recipe is cross-validated over several fold
draws. Each line gives the mean and the (min-max) over the draws of: segment accuracy with argmax
decisions, segment accuracy and seizure sensitivity with the committed model's temperature and
seizure threshold, the lowest seizure probability of a seizure segment (argmax scale) and the
segment log loss. Last, how likely the held-out seizure result (metrics.json) would be if seizure
segments were missed independently at the out-of-fold rate: 20 held-out seizure segments make
single-split figures coarse.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from scipy import stats
from sklearn.metrics import log_loss

from classifier.eeg import bonn, model, preprocess
from classifier.eeg.train import N_FOLDS, lightgbm, out_of_fold, segment_means, segment_probabilities


def draw_figures(scores: np.ndarray, groups: np.ndarray, seg_labels: np.ndarray,
                 temperature: float, threshold: float) -> list[float]:
    """[argmax accuracy, accuracy and seizure sensitivity under the committed rule, lowest
    P(seizure) of a seizure segment, log loss] of one draw's out-of-fold window scores."""
    plain = segment_probabilities(scores, groups)
    ruled = model.decide(segment_probabilities(scores, groups, temperature), bonn.SEIZURE, threshold)
    seizure = seg_labels == bonn.SEIZURE
    return [np.mean(plain.argmax(axis=1) == seg_labels), np.mean(ruled == seg_labels),
            np.mean(ruled[seizure] == bonn.SEIZURE), plain[seizure, bonn.SEIZURE].min(),
            log_loss(seg_labels, np.clip(plain, 1e-12, 1.0), labels=range(len(bonn.CLASSES)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="fold draws per line")
    parser.add_argument("--windows", type=float, nargs="+", default=[4.0, 6.0, 8.0],
                        help="window lengths in seconds (step stays %g s)" % preprocess.STEP_SECONDS)
    args = parser.parse_args()

    segments = bonn.load_segments()
    train_ids, _ = bonn.split_ids(segments)
    meta = model.metadata()
    temperature, threshold = meta["temperature"], meta["seizure_threshold"]
    correlated = bonn.correlated_groups(segments)
    corr = bonn.correlations(segments)
    with_partner = int(np.count_nonzero(corr.max(axis=1) > bonn.CORRELATED_ABOVE))
    a, b = np.unravel_index(corr.argmax(), corr.shape)
    print(f"{with_partner} of {len(segments)} segments correlate above {bonn.CORRELATED_ABOVE:g} with "
          f"another (most: {segments[a].segment_id} and {segments[b].segment_id}, {corr[a, b]:.3f}); "
          f"the {len(train_ids)} training segments form {len({correlated[i] for i in train_ids})} "
          "correlated groups")
    print(f"{N_FOLDS}-fold CV, {args.seeds} fold draws per line, mean (min-max); rule = temperature "
          f"{temperature:g}, seizure threshold {threshold:g} of {meta['version']}")
    print(f"{'window':<7}{'grouping':<11}{'acc argmax':>22}{'acc rule':>22}{'seizure sens rule':>22}"
          f"{'min P(seizure) of S':>22}{'log loss':>22}")
    pooled_sensitivity = {}
    for seconds in args.windows:
        table = bonn.window_table(segments, seconds)
        on_train = np.isin(table["segment"], train_ids)
        X, y, owners = table["X"][on_train], table["y"][on_train], table["segment"][on_train]
        seg_labels = segment_means(y[:, None].astype(float), owners)[1][:, 0].astype(int)
        for grouping, groups in [("segment", owners),
                                 ("correlated", np.array([correlated[i] for i in owners]))]:
            figures = np.array([draw_figures(out_of_fold(lightgbm, X, y, groups, True, seed),
                                             owners, seg_labels, temperature, threshold)
                                for seed in range(args.seeds)])
            cells = "".join(f"{m:>10.4f} ({lo:.3f}-{hi:.3f})" for m, lo, hi in
                            zip(figures.mean(0), figures.min(0), figures.max(0)))
            print(f"{seconds:<7g}{grouping:<11}{cells}", flush=True)
            if seconds == meta["window_seconds"]:
                pooled_sensitivity[grouping] = figures[:, 2].mean()

    held_out = json.loads((model.MODEL_DIR / "metrics.json").read_text())["per_class"]
    n, caught = held_out["Seizure Activity"]["n"], round(held_out["Seizure Activity"]["sensitivity"]
                                                         * held_out["Seizure Activity"]["n"])
    for grouping, sensitivity in pooled_sensitivity.items():
        print(f"{grouping}-grouped CV seizure sensitivity {sensitivity:.4f}: probability that a held-out "
              f"set of {n} seizure segments catches at most {caught} (as metrics.json): "
              f"{stats.binom.cdf(caught, n, sensitivity):.3f}; at most {caught + 1}: "
              f"{stats.binom.cdf(caught + 1, n, sensitivity):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
