"""False alarms and detections of the plausibility check on real and synthetic recordings.

    OMP_NUM_THREADS=1 python -m training.plausibility_eval

Real recordings checked as what they are (every flag is a false alarm) and as the other type (every
flag is a detection): the 500 Bonn EEG segments, every CinC 2017 training record, and MIT-BIH DS1
cut into 30 s stretches every 5 minutes. Synthetic recordings (white noise, 50 and 60 Hz hum, a
1 Hz and a 10 Hz sine, at 200, 256 and 500 Hz) must be flagged under either type.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Iterable, Iterator

import numpy as np
import wfdb

from classifier import plausibility
from classifier.paths import data_dir
from training.ecg import cinc2017, mitdb
from training.eeg import bonn

SYNTHETIC_SECONDS = 30.0


def bonn_recordings() -> Iterator[tuple[str, np.ndarray, float]]:
    for seg in bonn.load_segments():
        yield f"Bonn set {seg.set_letter}", seg.signal, bonn.SAMPLING_RATE


def cinc_recordings() -> Iterator[tuple[str, np.ndarray, float]]:
    folder = data_dir() / "training2017"
    for record_id, label in sorted(cinc2017.read_reference(folder).items()):
        yield f"CinC {label}", cinc2017.read_signal(folder, record_id), cinc2017.FS


def mitdb_recordings() -> Iterator[tuple[str, np.ndarray, float]]:
    rate = mitdb.SAMPLING_RATE
    length, step = int(30 * rate), int(300 * rate)
    for name in mitdb.DS1:
        signal = wfdb.rdrecord(str(data_dir() / "mitdb-ds1" / name), channels=[0]).p_signal[:, 0]
        for start in range(0, len(signal) - length + 1, step):
            yield "MIT-BIH DS1 (30 s)", signal[start : start + length], rate


def synthetic_recordings(seed: int = 0) -> Iterator[tuple[str, np.ndarray, float]]:
    rng = np.random.default_rng(seed)
    for rate in (200.0, 256.0, 500.0):
        t = np.arange(0, SYNTHETIC_SECONDS, 1 / rate)
        small_noise = 0.01 * rng.normal(size=len(t))
        yield "white noise", rng.normal(size=len(t)), rate
        for hz in (50, 60):
            yield f"{hz} Hz hum", np.sin(2 * np.pi * hz * t) + small_noise, rate
        for hz in (1, 10):
            yield f"{hz} Hz sine", np.sin(2 * np.pi * hz * t) + small_noise, rate


def tally(
    recordings: Iterable[tuple[str, np.ndarray, float]], as_types: tuple[str, ...]
) -> dict[tuple[str, str], Counter]:
    """(group, declared type) -> counts of ``looks_like`` verdicts ("plausible" when not flagged)."""
    counts: dict[tuple[str, str], Counter] = {}
    for group, signal, rate in recordings:
        measures = plausibility.measure(signal, rate)
        for kind in as_types:
            verdict = plausibility.judge(measures, kind)
            key = "plausible" if verdict.plausible else verdict.looks_like
            counts.setdefault((group, kind), Counter())[key] += 1
    return counts


def main() -> int:
    print(f"{'recordings':<34}{'sent as':>8}{'n':>6}{'flagged':>9}  verdicts")
    for source, kinds in [
        (bonn_recordings(), ("EEG", "ECG")),
        (cinc_recordings(), ("ECG", "EEG")),
        (mitdb_recordings(), ("ECG", "EEG")),
        (synthetic_recordings(), ("EEG", "ECG")),
    ]:
        for (group, kind), counts in tally(source, kinds).items():
            n = sum(counts.values())
            flagged = n - counts["plausible"]
            print(f"{group:<34}{kind:>8}{n:>6}{flagged / n:>9.3f}  {dict(counts.most_common())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
