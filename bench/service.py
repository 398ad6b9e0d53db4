"""What the HTTP layer adds to a classification, against the classifier alone, in one run.

    OMP_NUM_THREADS=1 python -m bench.service [--repeats 5]

Two recordings: a 60 s CinC 2017 ECG (the test fixture A02506 padded by repetition to 60 s) and a
30-minute MIT-BIH-rate ECG (360 Hz, 648,000 samples, the 60 s record tiled). For each, the baseline
is ``classifier.classify`` on the samples already in memory; the service figure is a full
``POST /classify`` through Flask's test client (JSON parsing, validation, classification,
explanation by the knowledge base, storing the record in SQLite). Medians of the repeats.

Peers on the 60 s record, what a user might run instead: NeuroKit2's ``ecg_process`` (cleaning,
R peaks, delineation, heart rate, quality) and its ``ecg_peaks`` (R peaks alone), each as a
multiple of ``POST /classify`` (above 1: the peer is slower than the whole service call).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import neurokit2 as nk
import numpy as np
import wfdb

ROOT = Path(__file__).resolve().parent.parent
from api import create_app  # noqa: E402
from bench.timing import median_seconds  # noqa: E402
from classifier import classify  # noqa: E402
from classifier.signals import resample  # noqa: E402

RECORD = ROOT / "tests" / "fixtures" / "cinc2017" / "A02506"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    record = wfdb.rdrecord(str(RECORD))
    ecg_300 = np.resize(record.p_signal[:, 0], 60 * 300)
    ecg_360_30min = np.resize(resample(ecg_300, 300, 360), 30 * 60 * 360)
    cases = [("60 s ECG, 300 Hz", ecg_300, 300.0), ("30 min ECG, 360 Hz", ecg_360_30min, 360.0)]

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"database_url": f"sqlite:///{tmp}/bench.db", "use_base_gpt2": False})
        client = app.test_client()
        print(
            f"{'recording':<22}{'classify s':>12}{'POST /classify s':>18}{'ratio':>8}{'body MB':>9}"
            f"{'nk ecg_process s':>18}{'x POST':>8}{'nk ecg_peaks s':>16}{'x POST':>8}"
        )
        for name, samples, rate in cases:
            body = json.dumps({"signal": samples.round(4).tolist(), "signal_type": "ECG", "sampling_rate": rate})
            baseline = median_seconds(lambda s=samples, r=rate: classify(s, r, "ECG"), args.repeats)

            def post(body: str = body) -> None:
                response = client.post("/classify", data=body, content_type="application/json")
                assert response.status_code == 200, response.get_json()

            service = median_seconds(post, args.repeats)
            line = f"{name:<22}{baseline:>12.3f}{service:>18.3f}{service / baseline:>8.2f}{len(body) / 1e6:>9.1f}"
            if len(samples) / rate <= 60:  # the peers on the 60 s record only (minutes each on 30 min)
                fs = int(rate)
                process = median_seconds(lambda s=samples, f=fs: nk.ecg_process(s, sampling_rate=f), args.repeats)
                peaks = median_seconds(lambda s=samples, f=fs: nk.ecg_peaks(s, sampling_rate=f), args.repeats)
                line += f"{process:>18.3f}{process / service:>8.1f}{peaks:>16.3f}{peaks / service:>8.2f}"
            print(line)


if __name__ == "__main__":
    main()
