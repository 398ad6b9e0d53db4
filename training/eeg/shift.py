"""Scalp-like recording conditions applied to a Bonn segment, for the shift test.

    OMP_NUM_THREADS=1 python -m training.eeg.shift

Each transform is a pure function of ``(signal, sampling_rate, rng)`` returning ``(signal, rate)``.
:func:`scalp_like` draws a combination as a user's recording might differ from Bonn's: band limits
of 0.5-40 or 0.5-70 Hz, a sampling rate of 200, 256 or 500 Hz, a 4-5.12 s stretch, any units, and
one of mains hum, muscle artefact, an eye blink, an electrode pop or none. The command runs every
held-out segment (never seen in training) through SHIFT_DRAWS such draws and prints how often the
seizure segments are reported as seizure or inconclusive, how many findings are inconclusive, and
how often a conclusive finding keeps its class.
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np

import inference
from classifier import SignalError, classify, signals
from classifier.eeg import model
from training.eeg import bonn

RATES_HZ = (200.0, 256.0, 500.0)
BANDS_HZ = ((0.5, 40.0), (0.5, 70.0))
SEGMENT_SECONDS = (4.0, 5.12)
SHIFT_DRAWS = 3
SHIFT_SEED = 21


def band_limit(x: np.ndarray, rate: float, band: tuple[float, float]) -> np.ndarray:
    return signals.bandpass(x, rate, *band)


def mains_hum(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    hz = rng.choice([50.0, 60.0])
    t = np.arange(len(x)) / rate
    return x + rng.uniform(0.1, 0.5) * x.std() * np.sin(2 * np.pi * hz * t + rng.uniform(0, 6.3))


def muscle(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """A burst (0.5-1.5 s) of band-limited noise above 20 Hz, as from a clenched jaw."""
    n = int(rng.uniform(0.5, 1.5) * rate)
    start = int(rng.integers(0, max(1, len(x) - n)))
    burst = signals.bandpass(rng.normal(size=len(x)), rate, 20.0, 0.45 * rate)[start : start + n]
    y = x.copy()
    y[start : start + n] += rng.uniform(0.3, 1.0) * x.std() * burst / burst.std()
    return y


def blink(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """A 0.2-0.4 s half-sine deflection of 2-5 times the signal's spread."""
    n = int(rng.uniform(0.2, 0.4) * rate)
    start = int(rng.integers(0, max(1, len(x) - n)))
    y = x.copy()
    y[start : start + n] += rng.uniform(2, 5) * x.std() * np.sin(np.linspace(0, np.pi, n))
    return y


def electrode_pop(x: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """A sudden jump of 3-8 times the spread decaying over about half a second."""
    start = int(rng.integers(0, len(x)))
    t = np.arange(len(x) - start) / rate
    y = x.copy()
    y[start:] += rng.choice([-1, 1]) * rng.uniform(3, 8) * x.std() * np.exp(-t / 0.5)
    return y


ARTEFACTS = {"none": None, "mains hum": mains_hum, "muscle": muscle, "blink": blink, "electrode pop": electrode_pop}


def scalp_like(signal: np.ndarray, rate: float, rng: np.random.Generator) -> tuple[np.ndarray, float, str]:
    """(transformed signal, its rate, what was done) for one random draw of the conditions."""
    new_rate = float(rng.choice(RATES_HZ))
    band = BANDS_HZ[int(rng.integers(len(BANDS_HZ)))]
    x = band_limit(signals.resample(signal - np.median(signal), rate, new_rate), new_rate, band)
    seconds = float(rng.choice(SEGMENT_SECONDS))
    n = int(seconds * new_rate)
    start = int(rng.integers(0, len(x) - n))
    x = x[start : start + n]
    name = str(rng.choice(list(ARTEFACTS)))
    if ARTEFACTS[name] is not None:
        x = ARTEFACTS[name](x, new_rate, rng)
    gain = 10 ** rng.uniform(-3, 2)
    return (
        x * gain + rng.uniform(-100, 100) * gain,
        new_rate,
        (f"{new_rate:g} Hz, {band[0]:g}-{band[1]:g} Hz, {seconds:g} s, {name}"),
    )


def main() -> int:
    rng = np.random.default_rng(SHIFT_SEED)
    held_out = set(model.held_out_ids())
    segments = [s for s in bonn.load_segments() if s.segment_id in held_out]
    counts: Counter = Counter()
    by_artefact: Counter = Counter()
    for seg in segments:
        for _ in range(SHIFT_DRAWS):
            x, rate, how = scalp_like(seg.signal, bonn.SAMPLING_RATE, rng)
            try:
                finding = classify(x, rate, "EEG")
            except SignalError:
                counts["refused"] += 1
                continue
            inconclusive = inference.is_inconclusive(finding)
            seizure = seg.label == model.SEIZURE
            kept = finding.label == model.CLASSES[seg.label]
            counts["n"] += 1
            counts["inconclusive"] += inconclusive
            counts["seizure n"] += seizure
            counts["seizure caught"] += seizure and (inconclusive or kept)
            counts["conclusive"] += not inconclusive
            counts["conclusive kept class"] += (not inconclusive) and kept
            by_artefact[(how.rsplit(", ", 1)[1], inconclusive)] += 1
    print(
        f"shift test: {len(segments)} held-out segments x {SHIFT_DRAWS} draws = {counts['n']} "
        f"recordings ({counts['refused']} refused)"
    )
    print(
        f"seizures reported as seizure or inconclusive: "
        f"{counts['seizure caught'] / counts['seizure n']:.4f} of {counts['seizure n']}"
    )
    print(f"inconclusive: {counts['inconclusive'] / counts['n']:.4f}")
    print(
        f"conclusive findings that keep their class: "
        f"{counts['conclusive kept class'] / max(counts['conclusive'], 1):.4f} of {counts['conclusive']}"
    )
    for name in ARTEFACTS:
        n = by_artefact[(name, True)] + by_artefact[(name, False)]
        print(f"  {name:<14} n={n:<4} inconclusive {by_artefact[(name, True)] / max(n, 1):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
