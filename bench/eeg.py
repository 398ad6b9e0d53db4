"""EEG latency: one 23.6 s Bonn segment and a 10-minute recording, end to end through
classifier.classify, against baselines measured in the same run, so the ratios hold across machines:

- a plain Welch band-power pass over the same windows (preprocess.prepare, the same 4 s windows
  robust-scaled one at a time by ``signals.robust_scale``, ``scipy.signal.welch`` over all of them
  at once, power in the five clinical bands); most of its time is the per-window scaling, so the
  same pass with the windows scaled all at once (``preprocess.scaled_windows``, as ``classify``
  now scales them) is timed too ("Welch*");
- today's path before the features were computed for all windows at once: the same ``classify``
  with ``recording_features`` taken from commit PER_WINDOW_COMMIT (read with ``git show``; one window
  at a time, NeuroKit2's entropy and fractal functions).

    OMP_NUM_THREADS=1 python -m bench.eeg [--repeats 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path
from unittest import mock

import numpy as np
from scipy import signal as sps

from classifier import classify, signals
from classifier.eeg import features, preprocess, warm_up
from training.eeg import bonn

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "bonn" / "segments.npz"
PER_WINDOW_COMMIT = "44151de"


def per_window_features() -> types.ModuleType:
    """classifier/eeg/features.py as it was at PER_WINDOW_COMMIT, as a module."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{PER_WINDOW_COMMIT}:classifier/eeg/features.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("per_window_features")
    exec(compile(source, "per_window_features.py", "exec"), module.__dict__)
    return module


def welch_band_power(signal: np.ndarray, rate: float, scaled_at_once: bool = False) -> np.ndarray:
    """Power in the five clinical bands of every window: the plainest spectral EEG pass."""
    prepared = preprocess.prepare(signal, rate)
    bounds = preprocess.window_bounds(len(prepared), preprocess.TARGET_RATE)
    if scaled_at_once:
        windows = preprocess.scaled_windows(prepared, bounds)
    else:
        windows = np.stack([signals.robust_scale(prepared[start:stop]) for start, stop in bounds])
    freqs, power = sps.welch(windows, fs=preprocess.TARGET_RATE, nperseg=int(2 * preprocess.TARGET_RATE), axis=-1)
    return np.stack(
        [power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) for lo, hi in features.BANDS_HZ.values()], axis=1
    )


def best_of(repeats: int, fn) -> float:
    """Fastest of ``repeats`` calls, in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with np.load(FIXTURE) as data:
        segments = [data[k].astype(np.float64) for k in data.files]
    segment = segments[-1]
    n_ten_minutes = int(600 * bonn.SAMPLING_RATE)
    ten_minutes = np.resize(np.concatenate(segments), n_ten_minutes)
    warm_up()
    old = per_window_features()
    print(
        f"{'recording':<24}{'Welch s':>9}{'Welch* s':>10}{'per-window s':>14}{'classify s':>12}"
        f"{'x faster':>10}{'x Welch':>9}{'x Welch*':>10}"
    )
    for name, x in [("one segment (23.6 s)", segment), ("10-minute recording", ten_minutes)]:
        welch = best_of(args.repeats, lambda x=x: welch_band_power(x, bonn.SAMPLING_RATE))
        welch_at_once = best_of(args.repeats, lambda x=x: welch_band_power(x, bonn.SAMPLING_RATE, True))
        with mock.patch.object(features, "recording_features", old.recording_features):
            today = best_of(args.repeats, lambda x=x: classify(x, bonn.SAMPLING_RATE, "EEG"))
        full = best_of(args.repeats, lambda x=x: classify(x, bonn.SAMPLING_RATE, "EEG"))
        print(
            f"{name:<24}{welch:>9.4f}{welch_at_once:>10.4f}{today:>14.4f}{full:>12.4f}{today / full:>10.1f}"
            f"{full / welch:>9.1f}{full / welch_at_once:>10.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
