"""EEG latency: one 23.6 s Bonn segment and a 10-minute recording, end to end through
classifier.classify, against a baseline measured in the same run (band-pass filtering and
resampling of the same recording, classifier.eeg.preprocess.prepare), so the ratios hold across
machines.

    OMP_NUM_THREADS=1 python -m bench.eeg [--repeats 5]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from classifier import classify  # noqa: E402
from classifier.eeg import preprocess, warm_up  # noqa: E402
from training.eeg import bonn  # noqa: E402

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "bonn" / "segments.npz"


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
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with np.load(FIXTURE) as data:
        segments = [data[k].astype(np.float64) for k in data.files]
    segment = segments[-1]
    n_ten_minutes = int(600 * bonn.SAMPLING_RATE)
    ten_minutes = np.resize(np.concatenate(segments), n_ten_minutes)
    warm_up()
    print(f"{'recording':<26}{'baseline s':>11}{'classify s':>11}{'ratio':>8}")
    for name, x in [("one segment (23.6 s)", segment), ("10-minute recording", ten_minutes)]:
        baseline = best_of(args.repeats, lambda x=x: preprocess.prepare(x, bonn.SAMPLING_RATE))
        full = best_of(args.repeats, lambda x=x: classify(x, bonn.SAMPLING_RATE, "EEG"))
        print(f"{name:<26}{baseline:>11.4f}{full:>11.4f}{full / baseline:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
