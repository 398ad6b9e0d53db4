"""Latency of beat-by-beat classification on a 30-minute MIT-BIH record, one thread.

    python -m bench.ecg_beats [--record 208] [--repeats 5]

Baseline, measured in the same run on the same record: R-peak detection alone
(classifier.ecg.qrs), which any beat classifier must do. Each stage is timed on its own, then the
whole ``classify_beats`` call; figures are medians over the repeats. Target: under 2 s end to end.
Peers on the same record (time only): wfdb's XQRS detector and NeuroKit2's ``ecg_peaks``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402

import neurokit2 as nk  # noqa: E402
from wfdb import processing  # noqa: E402

from bench.timing import median_seconds  # noqa: E402
from classifier.ecg.beat_features import beat_features_and_look_alikes, rr_irregularity  # noqa: E402
from classifier.ecg.beat_peaks import drop_close_detections  # noqa: E402
from classifier.ecg.beats import classify_beats, load_model  # noqa: E402
from classifier.ecg.qrs import detect_r_peaks  # noqa: E402
from training.ecg.mitdb import load_record  # noqa: E402

TARGET_S = 2.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", default="208")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    record = load_record(args.record)
    x, fs = record.signal, record.sampling_rate
    model, _ = load_model()
    detected = detect_r_peaks(x, fs)
    peaks = drop_close_detections(x, fs, detected)
    features, look_alikes = beat_features_and_look_alikes(x, fs, peaks)
    irregularity = rr_irregularity(peaks, fs)
    rows = [
        ("baseline: R-peak detection only", lambda: detect_r_peaks(x, fs)),
        ("drop detections closer than 250 ms", lambda: drop_close_detections(x, fs, detected)),
        ("beat features and look-alikes", lambda: beat_features_and_look_alikes(x, fs, peaks)),
        ("models (two LightGBM, linear S)", lambda: model.predict(features, irregularity, look_alikes)),
        ("classify_beats, end to end", lambda: classify_beats(x, fs)),
        ("peer: wfdb XQRS (R peaks only)", lambda: processing.xqrs_detect(x, fs, verbose=False)),
        ("peer: NeuroKit2 ecg_peaks", lambda: nk.ecg_peaks(x, sampling_rate=int(fs))),
    ]
    print(
        f"record {args.record}: {len(x) / fs / 60:.1f} min at {fs:g} Hz, {len(peaks)} beats, "
        f"median of {args.repeats}, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    )
    baseline = None
    for name, fn in rows:
        seconds = median_seconds(fn, args.repeats)
        baseline = baseline or seconds
        print(f"{name:<36} {seconds:7.3f} s  {seconds / baseline:5.2f}x baseline")
    print(f"target: end to end under {TARGET_S:g} s for a 30-minute record")


if __name__ == "__main__":
    main()
