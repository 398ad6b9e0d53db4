"""AF episodes and burden of long recordings, and the RR evidence of AF on normal-to-normal intervals
that joins the rhythm model (``af_evidence``), on made-up series and on real MIT-BIH records."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.ecg import analyze_ecg, rhythm_and_beats
from classifier.ecg.af_evidence import MODEL_AF_FLOOR, RrAfModel, combine, nn_rr_features, rr_af_per_window
from classifier.ecg.rhythm import AF, af_burden, af_episodes, load_model
from training.ecg.mitdb import load_record

CLASSES = ["Normal Sinus Rhythm", AF, "Other Rhythm", "Noisy Recording"]


def test_strong_rr_evidence_turns_an_ambiguous_window_to_af_and_rows_still_sum_to_one():
    model = np.array(
        [
            [0.2, 0.2, 0.5, 0.1],  # Other, AF considered, strong RR evidence -> AF
            [0.2, 0.2, 0.5, 0.1],  # Other, AF considered, weak RR evidence -> kept
            [0.3, 0.05, 0.6, 0.05],  # Other, AF all but ruled out by the model -> kept
            [0.1, 0.2, 0.1, 0.6],  # Noisy: irregular detections in noise -> kept
            [0.0, 0.98, 0.02, 0.0],  # AF already above the RR evidence -> kept
        ]
    )
    assert model[2, 1] < MODEL_AF_FLOOR <= model[0, 1]
    rr = np.array([0.95, 0.5, 0.99, 0.99, 0.95])
    out = combine(model, rr, CLASSES, threshold=0.9)
    assert out.sum(axis=1) == pytest.approx(np.ones(5))
    assert out[0, 1] == pytest.approx(0.95)
    assert out[0, [0, 2, 3]] == pytest.approx(0.05 * np.array([0.2, 0.5, 0.1]) / 0.8)
    assert out[1:].tolist() == model[1:].tolist()


def test_a_premature_ventricular_beat_and_its_pause_are_not_rr_evidence_of_af():
    """Sinus rhythm at 75/min with a PVC every fifth beat (coupling 0.5 s, full compensatory pause)."""
    times, classes, t = [], [], 0.0
    for i in range(40):
        pvc = i % 5 == 3
        t += 0.5 if pvc else (1.1 if i % 5 == 4 else 0.8)
        times.append(t)
        classes.append("V" if pvc else "N")
    every_interval = nn_rr_features(np.array(times), ["N"] * len(times))
    normal_to_normal = nn_rr_features(np.array(times), classes)
    assert every_interval["rr_cv"] > 0.2
    assert normal_to_normal["rr_cv"] == pytest.approx(0.0, abs=1e-9)
    rr_model = RrAfModel.load()
    assert rr_model.af_probability([normal_to_normal])[0] < rr_model.af_probability([every_interval])[0]


def test_a_window_with_too_few_beats_gives_no_rr_evidence():
    beats = [{"time_s": t, "class": "N"} for t in (1.0, 1.7, 2.9, 3.3)]
    assert rr_af_per_window([(0.0, 30.0)], beats, RrAfModel.load()).tolist() == [0.0]


@pytest.fixture(scope="module")
def mitdb(dataset):
    directory = dataset("mitdb")
    return {name: load_record(name, directory) for name in ("203", "208")}


def test_frequent_pvcs_in_sinus_rhythm_give_no_strong_rr_evidence_once_v_beats_are_dropped(mitdb):
    """MIT-BIH 208: sinus rhythm with ~990 PVCs and couplets, no AF. Measured on every interval, its
    RR series reaches the served threshold in some 30 s windows; on normal-to-normal intervals in none."""
    record = mitdb["208"]
    analysed, beats, _, rr_af = rhythm_and_beats(record.signal, record.sampling_rate)
    rr_model = RrAfModel.load()
    every_interval = rr_af_per_window(analysed.bounds_s, [{**b, "class": "N"} for b in beats], rr_model)
    assert np.sum(every_interval >= rr_model.threshold) >= 5
    assert np.sum(rr_af >= rr_model.threshold) == 0
    assert analyze_ecg(record.signal, record.sampling_rate).windows["af_burden"] == 0.0


def test_a_record_in_atrial_fibrillation_almost_throughout_has_its_burden_found(mitdb):
    """MIT-BIH 203: AF or flutter for 98% of its 30 minutes (annotated rhythm changes)."""
    record = mitdb["203"]
    finding = analyze_ecg(record.signal, record.sampling_rate)
    assert finding.label == AF
    assert finding.windows["af_burden"] >= 0.93
    assert not any(b["class"] == "S" for b in finding.beats)


def test_consecutive_or_overlapping_af_windows_make_one_episode():
    items = [
        {"start_s": 0.0, "end_s": 30.0, "label": AF},
        {"start_s": 30.0, "end_s": 60.0, "label": "Other Rhythm"},
        {"start_s": 60.0, "end_s": 90.0, "label": AF},
        {"start_s": 90.0, "end_s": 120.0, "label": AF},
        {"start_s": 100.0, "end_s": 130.0, "label": AF},
    ]
    episodes = af_episodes(items)
    assert episodes == [{"start_s": 0.0, "end_s": 30.0}, {"start_s": 60.0, "end_s": 130.0}]
    assert af_burden(episodes, 130.0) == pytest.approx(100 / 130)
    assert af_burden([], 130.0) == 0.0


def test_the_committed_rr_model_reads_the_rhythm_models_features():
    rr_model = RrAfModel.load()
    assert set(rr_model.feature_names) <= set(load_model().feature_names)
    assert 0.5 <= rr_model.threshold < 1.0
