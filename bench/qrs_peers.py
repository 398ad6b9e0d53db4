"""QRS detection on MIT-BIH DS1 against the peers, in one run: time and Se / +P.

    python -m bench.qrs_peers [--records 101 208]

The project's detector as ``/classify`` runs it (``qrs.detect_r_peaks`` then
``beat_peaks.drop_close_detections``), wfdb's XQRS (``processing.xqrs_detect``) and NeuroKit2 as
its documentation uses it (``ecg_clean`` then ``ecg_peaks``, default method) run on the same MLII
lead of each record, one after the other. Each is scored exactly as
``training.ecg.evaluate_beats --qrs-only`` scores the project's detector: 150 ms matching against
the reference beats, ventricular flutter excluded, gross Se / +P over the records. Time is the sum
over the records of one call each (XQRS takes most of the run: about 9 s per 30-minute record, 4
minutes for DS1, on this machine; ``--records`` picks a quick subset).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from typing import Callable  # noqa: E402

import neurokit2 as nk  # noqa: E402
import numpy as np  # noqa: E402
from wfdb import processing  # noqa: E402

from classifier.ecg.beat_peaks import drop_close_detections  # noqa: E402
from classifier.ecg.qrs import detect_r_peaks  # noqa: E402
from training.ecg.evaluate_beats import detector_confusion, statistics  # noqa: E402
from training.ecg.mitdb import DS1, load_record  # noqa: E402

Detector = Callable[[np.ndarray, float], np.ndarray]


def project(x: np.ndarray, fs: float) -> np.ndarray:
    return drop_close_detections(x, fs, detect_r_peaks(x, fs))


def xqrs(x: np.ndarray, fs: float) -> np.ndarray:
    return processing.xqrs_detect(x, fs, verbose=False)


def neurokit(x: np.ndarray, fs: float) -> np.ndarray:
    cleaned = nk.ecg_clean(x, sampling_rate=int(fs))
    _, info = nk.ecg_peaks(cleaned, sampling_rate=int(fs))
    return np.asarray(info["ECG_R_Peaks"], dtype=np.int64)


DETECTORS: dict[str, Detector] = {
    "project: detect_r_peaks + drop_close_detections": project,
    "peer: wfdb XQRS": xqrs,
    "peer: NeuroKit2 ecg_clean + ecg_peaks": neurokit,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", nargs="+", default=list(DS1), help="MIT-BIH records (default: all 22 of DS1)")
    args = parser.parse_args(argv)
    seconds = dict.fromkeys(DETECTORS, 0.0)
    matrices = {name: 0 for name in DETECTORS}
    minutes = 0.0
    for record_name in args.records:
        record = load_record(record_name)
        x, fs = record.signal, record.sampling_rate
        minutes += len(x) / fs / 60
        for name, detect in DETECTORS.items():
            start = time.perf_counter()
            detected = detect(x, fs)
            seconds[name] += time.perf_counter() - start
            matrices[name] = matrices[name] + detector_confusion(record, detected)
        print(f"record {record_name} done", flush=True)
    print(
        f"{len(args.records)} MIT-BIH records ({minutes:.0f} min at 360 Hz), one call each, "
        f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}; 150 ms matching, VF excluded"
    )
    baseline = seconds[next(iter(DETECTORS))]
    print(f"{'detector':<50} {'time s':>8} {'x project':>9} {'Se %':>7} {'+P %':>7} {'missed':>7} {'false':>7}")
    for name in DETECTORS:
        q = statistics(matrices[name])["qrs"]
        print(
            f"{name:<50} {seconds[name]:8.2f} {seconds[name] / baseline:9.2f} {q['Se']:7.2f} {q['+P']:7.2f} "
            f"{q['missed']:7d} {q['false_detections']:7d}"
        )
    print(f"reference beats: {statistics(matrices[next(iter(DETECTORS))])['qrs']['reference_beats']}")


if __name__ == "__main__":
    main()
