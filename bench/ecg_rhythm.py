"""Per-record latency of the ECG rhythm classifier on a 60 s record, one thread.

    python -m bench.ecg_rhythm [--record tests/fixtures/cinc2017/A02506] [--repeats 50]

Baseline, measured in the same run on the same record: R-peak detection alone (the shared
classifier.ecg.qrs detector), the least any rhythm classifier must do. Each stage is timed on its
own (the LightGBM + CNN ensemble and each of its two models), then the whole ``classify_rhythm``
call; figures are medians over the repeats.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

from bench.timing import median_seconds  # noqa: E402
from classifier.ecg import preprocess  # noqa: E402
from classifier.ecg.qrs import detect_r_peaks  # noqa: E402
from classifier.ecg.rhythm import classify_rhythm, cnn_inputs_per_window, features_per_window, load_model, prepare  # noqa: E402
from training.ecg.cinc2017 import FS, read_signal  # noqa: E402

TARGET_MS = 50.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=Path, default=ROOT / "tests" / "fixtures" / "cinc2017" / "A02506")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    signal = read_signal(args.record.parent, args.record.name)
    seconds = len(signal) / FS
    model = load_model()
    prepared = prepare(signal, FS)
    feats = features_per_window(prepared)
    matrix = np.array([[f[n] for n in model.feature_names] for f in feats])
    cnn_inputs = cnn_inputs_per_window(prepared)
    rows = [
        ("baseline: R-peak detection only", lambda: detect_r_peaks(signal, FS)),
        ("prepare (resample, clean, peaks, orient)", lambda: prepare(signal, FS)),
        ("features", lambda: features_per_window(prepared)),
        ("CNN input (resample to 100 Hz)", lambda: cnn_inputs_per_window(prepared)),
        ("LightGBM alone", lambda: model.features.predict_proba(matrix)),
        ("CNN alone", lambda: model.cnn.logits(cnn_inputs)),
        ("ensemble (LightGBM + CNN + temperature)", lambda: model.predict_proba(matrix, cnn_inputs)),
        ("classify_rhythm, end to end", lambda: classify_rhythm(signal, FS)),
        ("classify_rhythm, input at 1000 Hz", lambda: classify_rhythm(upsampled, 1000.0)),
    ]
    upsampled = preprocess.resample(signal, FS, 1000.0)
    print(f"record {args.record.name}: {seconds:.0f} s at {FS:g} Hz, {args.repeats} repeats, 1 thread")
    results = [(name, 1000 * median_seconds(fn, args.repeats)) for name, fn in rows]
    base = results[0][1]
    print(f"{'stage':<44}{'median ms':>10}{'x baseline':>12}")
    for name, ms in results:
        print(f"{name:<44}{ms:>10.1f}{ms / base:>12.2f}")
    end_to_end = next(ms for name, ms in results if name == "classify_rhythm, end to end")
    print(f"target: under {TARGET_MS:g} ms per 60 s record -> {'met' if end_to_end < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
