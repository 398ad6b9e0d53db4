"""The plausibility check on real recordings and on things that are not recordings at all: real EEG
stays plausible as EEG, real ECG as ECG; noise, mains hum, pure tones and the wrong type abstain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

import inference
from classifier import classify, plausibility
from training.ecg import cinc2017
from training.eeg import bonn

FIXTURES = Path(__file__).parent / "fixtures"
BONN = FIXTURES / "bonn" / "segments.npz"
CINC = FIXTURES / "cinc2017"
RATE = 256.0


@pytest.fixture(scope="module")
def eeg_segments() -> dict[str, np.ndarray]:
    with np.load(BONN) as data:
        return {k: data[k].astype(np.float64) for k in data.files}


def synthetic(kind: str, seconds: float = 30.0, rate: float = RATE) -> np.ndarray:
    t = np.arange(0, seconds, 1 / rate)
    rng = np.random.default_rng(1)
    return {
        "white noise": rng.normal(size=len(t)),
        "50 Hz hum": 40 * np.sin(2 * np.pi * 50 * t) + rng.normal(size=len(t)),
        "1 Hz sine": np.sin(2 * np.pi * 1 * t),
    }[kind]


def test_every_real_eeg_fixture_is_plausible_as_eeg_and_not_as_ecg(eeg_segments):
    for segment_id, signal in eeg_segments.items():
        assert plausibility.check(signal, bonn.SAMPLING_RATE, "EEG").plausible, segment_id
    healthy = eeg_segments["Z003"]
    as_ecg = plausibility.check(healthy, bonn.SAMPLING_RATE, "ECG")
    assert not as_ecg.plausible and as_ecg.looks_like == "EEG"


@pytest.mark.parametrize(
    "record_id", sorted(i for i, label in cinc2017.read_reference(CINC).items() if label != "Noisy Recording")
)
def test_real_cinc_ecg_is_plausible_as_ecg(record_id):
    verdict = plausibility.check(cinc2017.read_signal(CINC, record_id), cinc2017.FS, "ECG")
    assert verdict.plausible and verdict.looks_like == "ECG" and verdict.reason is None


def test_mit_bih_ecg_sent_as_eeg_abstains_with_the_reason(dataset):
    folder = dataset("mitdb")
    signal = wfdb.rdrecord(str(folder / "101"), channels=[0], sampto=360 * 30).p_signal[:, 0]
    assert plausibility.check(signal, 360.0, "ECG").plausible
    finding = classify(signal, 360.0, "EEG")
    assert finding.signal_check == {"plausible": False, "looks_like": "ECG", "reason": finding.abstain_reason}
    assert "looks like an ECG" in finding.abstain_reason
    assert inference.inconclusive_reason(finding) == finding.abstain_reason
    assert sum(finding.probabilities.values()) == pytest.approx(1.0)  # still visible


@pytest.mark.parametrize(
    "kind, looks_like", [("white noise", "noise"), ("50 Hz hum", "mains hum"), ("1 Hz sine", "pure tone")]
)
@pytest.mark.parametrize("signal_type", ["EEG", "ECG"])
def test_non_signals_are_inconclusive_under_either_type(kind, looks_like, signal_type):
    finding = classify(synthetic(kind), RATE, signal_type)
    assert finding.signal_check["looks_like"] == looks_like
    assert not finding.signal_check["plausible"]
    assert inference.is_inconclusive(finding)


def test_units_do_not_change_the_verdict(eeg_segments):
    signal = eeg_segments["S012"]
    a = plausibility.measure(signal, bonn.SAMPLING_RATE)
    b = plausibility.measure(signal * 0.001 + 3.0, bonn.SAMPLING_RATE)
    assert a.flatness == pytest.approx(b.flatness) and a.qrs_kurtosis == pytest.approx(b.qrs_kurtosis)


def test_the_explanation_and_the_api_name_the_reason(client):
    response = client.post(
        "/classify", json={"signal": synthetic("50 Hz hum").tolist(), "sampling_rate": RATE, "signal_type": "EEG"}
    )
    body = response.get_json()
    assert response.status_code == 200
    assert body["inconclusive"] is True
    assert body["signal_check"]["looks_like"] == "mains hum"
    assert body["inconclusive_reason"] == body["signal_check"]["reason"]
    assert "mains hum" in body["interpretation"] and "Result: inconclusive" in body["interpretation"]
    assert body["probabilities"] and abs(sum(body["probabilities"].values()) - 1) < 1e-3


def test_a_real_eeg_through_the_api_is_plausible(client, eeg_segments):
    response = client.post(
        "/classify",
        json={"signal": eeg_segments["Z003"].tolist(), "sampling_rate": bonn.SAMPLING_RATE, "signal_type": "EEG"},
    )
    body = response.get_json()
    assert body["signal_check"] == {"plausible": True, "looks_like": "EEG", "reason": None}
