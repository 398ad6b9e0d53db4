"""POST /classify end to end on real recordings: the spec's fields, units, and honest wording."""

import csv
from pathlib import Path

import numpy as np
import pytest
import wfdb

from explain.generators import DECISION_SUPPORT

FIXTURES = Path(__file__).parent / "fixtures"
CINC = FIXTURES / "cinc2017"
LABELS = {"N": "Normal Sinus Rhythm", "A": "Atrial Fibrillation", "O": "Other Rhythm", "~": "Noisy Recording"}
SPEC_FIELDS = {
    "classification",
    "confidence",
    "probabilities",
    "interpretation",
    "signal_type",
    "generator",
    "interpretation_id",
}


def cinc_records():
    with open(CINC / "REFERENCE-v3.csv") as f:
        return [(row[0], LABELS[row[1]]) for row in csv.reader(f)]


def read_cinc(record_id):
    record = wfdb.rdrecord(str(CINC / record_id))
    return record.p_signal[:, 0], record.fs


@pytest.fixture(scope="module")
def client():
    import tempfile

    from api import create_app

    with tempfile.TemporaryDirectory() as tmp:
        yield create_app({"database_url": f"sqlite:///{tmp}/t.db", "use_base_gpt2": False}).test_client()


def classify(client, samples, rate, kind="ECG", **extra):
    return client.post(
        "/classify", json={"signal": np.asarray(samples).tolist(), "signal_type": kind, "sampling_rate": rate, **extra}
    )


@pytest.mark.parametrize("record_id, label", cinc_records())
def test_real_cinc_records_get_their_labelled_class_with_the_spec_fields(client, record_id, label):
    samples, fs = read_cinc(record_id)
    response = classify(client, samples, fs, clinical_context="Patient presents with palpitations")
    assert response.status_code == 200
    data = response.get_json()
    assert SPEC_FIELDS <= set(data)
    assert data["classification"] == label
    assert set(data["probabilities"]) == set(LABELS.values())
    assert data["confidence"] == pytest.approx(data["probabilities"][label], abs=1e-3)
    assert DECISION_SUPPORT in data["interpretation"]
    if label == "Noisy Recording":
        assert data["inconclusive"] and "inconclusive" in data["interpretation"].lower()
    else:
        assert len(data["r_peaks"]) > 10 and 30 < data["heart_rate_bpm"] < 220
        assert isinstance(data["beats"], list) and data["beat_summary"]["counts"]


def test_millivolts_and_raw_adc_units_give_the_same_answer(client):
    samples, fs = read_cinc("A02506")  # atrial fibrillation
    in_mv = classify(client, samples, fs).get_json()
    in_adc = classify(client, samples * 1000.0, fs).get_json()
    assert in_mv["classification"] == in_adc["classification"] == "Atrial Fibrillation"
    assert in_mv["confidence"] == pytest.approx(in_adc["confidence"], abs=1e-3)


def test_pure_noise_is_never_called_atrial_fibrillation(client):
    noise = np.random.default_rng(0).normal(size=30 * 300)
    response = classify(client, noise, 300)
    if response.status_code == 200:
        data = response.get_json()
        assert data["classification"] == "Noisy Recording" and data["inconclusive"]
        assert "Result: Atrial Fibrillation" not in data["interpretation"]
    else:
        assert response.status_code == 400 and "error" in response.get_json()


@pytest.mark.parametrize("kind, rate", [("ECG", 300), ("EEG", 173.61)])
def test_a_flat_line_is_refused_with_a_reason(client, kind, rate):
    response = classify(client, np.zeros(int(20 * rate)), rate, kind)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_a_real_seizure_segment_is_explained_with_the_single_channel_caveat(client):
    with np.load(FIXTURES / "bonn" / "segments.npz") as segments:
        seizure = segments["S012"].astype(float)
    data = classify(client, seizure, 173.61, "EEG").get_json()
    assert data["classification"] == "Seizure Activity"
    assert set(data["probabilities"]) == {"Normal EEG", "Interictal Epileptiform Activity", "Seizure Activity"}
    assert "single-channel segment cannot replace a full clinical EEG review" in data["interpretation"]
    assert len(data["windows"]["items"]) >= 1
