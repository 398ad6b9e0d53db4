"""Stress test: held-out intracranial segments under held-out scalp Normal background, as a seizure
recorded on the scalp might look.

    OMP_NUM_THREADS=1 python -m training.eeg.scalp_mixture   # ~1 min

A seizure seen from the scalp is weaker and smoother than in Bonn's intracranial set S and rides on
the ongoing background. Each held-out S, N and F segment (never seen in training) is mixed, DRAWS
times, with a random held-out Z or O segment: ``ratio * x / std(x) + b / std(b)``, where ``x`` is
optionally low-passed first (LOWPASS_HZ: the skull passes little fast activity), then brought to
the hidden test's format (200 Hz, 0.5-70 Hz, a 5.12 s stretch) and classified as a request would
be. Prints, per condition: seizures reported as seizure or inconclusive, seizures reported
conclusively Normal, interictal (N, F) mixtures reported as a confident seizure, and the
inconclusive share. A measurement of a limit, not a target: no model choice was made from it.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import inference
from classifier import classify, signals
from classifier.eeg import model
from training.eeg import bonn, shift

RATIOS = (3.0, 1.5, 1.0, 0.5)  # spread of the intracranial segment against the background's
LOWPASS_HZ = (None, 25.0)
DRAWS = 2
SEED = 77
RATE_HZ, BAND_HZ, SECONDS = 200.0, (0.5, 70.0), 5.12


def mix(x: np.ndarray, background: np.ndarray, ratio: float) -> np.ndarray:
    """``x`` scaled to ``ratio`` times the spread of ``background`` and added to it (both centred
    by the caller)."""
    return ratio * x / x.std() + background / background.std()


def mixed(
    x: np.ndarray, background: np.ndarray, ratio: float, lowpass: float | None, rng: np.random.Generator
) -> np.ndarray:
    """``x`` (optionally low-passed) at ``ratio`` times the background's spread, in the test format."""
    x, background = x - np.median(x), background - np.median(background)
    if lowpass is not None:
        x = signals.bandpass(x, bonn.SAMPLING_RATE, BAND_HZ[0], lowpass)
    y = shift.band_limit(signals.resample(mix(x, background, ratio), bonn.SAMPLING_RATE, RATE_HZ), RATE_HZ, BAND_HZ)
    n = int(SECONDS * RATE_HZ)
    start = int(rng.integers(0, len(y) - n))
    return y[start : start + n]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    held_out = set(model.held_out_ids())
    segments = [s for s in bonn.load_segments() if s.segment_id in held_out]
    backgrounds = [s.signal for s in segments if s.label == 0]
    rng = np.random.default_rng(SEED)
    print(
        f"{'low-pass':<10}{'ratio':>6}{'seizure or inconclusive':>25}{'seizure called Normal':>23}"
        f"{'interictal confident seizure':>30}{'inconclusive':>14}"
    )
    for lowpass in LOWPASS_HZ:
        for ratio in RATIOS:
            seizure, inconclusive, labels = [], [], []
            for seg in (s for s in segments if s.label != 0):
                for _ in range(DRAWS):
                    y = mixed(seg.signal, backgrounds[int(rng.integers(len(backgrounds)))], ratio, lowpass, rng)
                    finding = classify(y, RATE_HZ, "EEG")
                    seizure.append(seg.label == model.SEIZURE)
                    inconclusive.append(inference.is_inconclusive(finding))
                    labels.append(finding.label)
            is_seizure, unsure, said = np.array(seizure), np.array(inconclusive), np.array(labels)
            called_seizure = said == model.CLASSES[model.SEIZURE]
            print(
                f"{'none' if lowpass is None else f'{lowpass:g} Hz':<10}{ratio:>6g}"
                f"{np.mean((called_seizure | unsure)[is_seizure]):>25.2f}"
                f"{np.mean(((said == model.CLASSES[0]) & ~unsure)[is_seizure]):>23.2f}"
                f"{np.mean((called_seizure & ~unsure)[~is_seizure]):>30.2f}"
                f"{np.mean(unsure):>14.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
