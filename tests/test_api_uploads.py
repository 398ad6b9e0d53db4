"""POST /classify with a file (multipart/form-data): WFDB, EDF and CSV recordings, read by the
field's own libraries, give the same answer as the same samples sent as JSON."""

import io

import numpy as np
import pyedflib
import pytest

from tests.test_api_classify import CINC, FIXTURES, read_cinc

AF_RECORD = "A02506"  # labelled A in the fixtures' REFERENCE-v3.csv


@pytest.fixture()
def client(make_app):
    return make_app().test_client()


def upload(client, files, **form):
    """``files``: (name, bytes) pairs, all sent under the field ``file``."""
    data = {**form, "file": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/classify", data=data, content_type="multipart/form-data")


def wfdb_files(folder, record, signal_suffix):
    return [
        (f"{record}.hea", (folder / f"{record}.hea").read_bytes()),
        (f"{record}{signal_suffix}", (folder / f"{record}{signal_suffix}").read_bytes()),
    ]


def edf_bytes(tmp_path, channels, rate):
    """An EDF file written by pyedflib with the given {label: samples} channels."""
    path = tmp_path / "recording.edf"
    writer = pyedflib.EdfWriter(str(path), len(channels), file_type=pyedflib.FILETYPE_EDFPLUS)
    headers = []
    for label, samples in channels.items():
        low, high = float(np.min(samples)) - 1, float(np.max(samples)) + 1
        headers.append(
            {
                "label": label,
                "dimension": "uV",
                "sample_frequency": rate,
                "physical_min": low,
                "physical_max": high,
                "digital_min": -32768,
                "digital_max": 32767,
            }
        )
    writer.setSignalHeaders(headers)
    writer.writeSamples([np.asarray(s, dtype=float) for s in channels.values()])
    writer.close()
    return path.read_bytes()


def test_a_cinc_wfdb_record_gives_the_same_answer_as_its_samples_in_json(client):
    samples, fs = read_cinc(AF_RECORD)
    as_json = client.post(
        "/classify", json={"signal": samples.tolist(), "signal_type": "ECG", "sampling_rate": fs}
    ).get_json()
    as_file = upload(client, wfdb_files(CINC, AF_RECORD, ".mat"), signal_type="ECG")
    assert as_file.status_code == 200
    data = as_file.get_json()
    assert data["classification"] == as_json["classification"] == "Atrial Fibrillation"
    assert data["sampling_rate"] == 300.0  # from the header
    assert data["probabilities"] == as_json["probabilities"]


def test_a_two_lead_mitbih_record_needs_a_channel_and_then_counts_its_pvcs(client, dataset):
    files = wfdb_files(dataset("mitdb"), "119", ".dat")
    refused = upload(client, files, signal_type="ECG")
    assert refused.status_code == 400 and "MLII" in refused.get_json()["error"]
    data = upload(client, files, signal_type="ECG", channel="MLII").get_json()
    assert data["sampling_rate"] == 360.0
    assert data["beat_summary"]["counts"]["V"] > 300  # 119 has 444 annotated PVCs


def test_a_real_seizure_segment_as_edf_is_read_by_channel_name(client, tmp_path):
    with np.load(FIXTURES / "bonn" / "segments.npz") as segments:
        seizure, normal = segments["S012"].astype(float), segments["Z003"].astype(float)
    content = edf_bytes(tmp_path, {"Fp1": normal[:4096], "T3": seizure[:4096]}, 173)
    data = upload(client, [("eeg.edf", content)], signal_type="EEG", channel="T3", sampling_rate="173").get_json()
    assert data["classification"] == "Seizure Activity"


def test_csv_with_time_and_value_columns_states_its_own_rate(client):
    samples, fs = read_cinc(AF_RECORD)
    lines = ["time_s,ecg_mv"] + [f"{i / fs:.6f},{x:.4f}" for i, x in enumerate(samples)]
    data = upload(client, [("ecg.csv", "\n".join(lines).encode())], signal_type="ECG").get_json()
    assert data["sampling_rate"] == pytest.approx(300.0)
    assert data["classification"] == "Atrial Fibrillation"


def test_a_one_column_text_file_takes_the_form_rate(client):
    samples, _ = read_cinc(AF_RECORD)
    text = "\n".join(f"{x:.4f}" for x in samples).encode()
    data = upload(client, [("ecg.txt", text)], signal_type="ECG", sampling_rate="300").get_json()
    assert data["classification"] == "Atrial Fibrillation" and data["sampling_rate"] == 300.0


@pytest.mark.parametrize(
    "files, form, words",
    [
        ([], {"signal_type": "ECG"}, "file is required"),
        ([("ecg.csv", b"time,value\n")], {"signal_type": "ECG"}, "holds no values"),
        ([("ecg.csv", b"1,2\n3\n")], {"signal_type": "ECG"}, "same number of columns"),
        ([("ecg.csv", b"0.1\nabc\n0.3\n")], {"signal_type": "ECG"}, "not a number"),
        ([("ecg.bin", bytes(range(256)) * 40)], {"signal_type": "ECG"}, "neither text"),
        ([("rec.edf", b"0       garbage header" * 20)], {"signal_type": "EEG"}, "not a readable EDF"),
        ([("A02506.hea", (CINC / "A02506.hea").read_bytes())], {"signal_type": "ECG"}, "was not sent"),
        ([("A02506.hea", b"not a header\n"), ("A02506.mat", b"x")], {"signal_type": "ECG"}, "not a readable WFDB"),
        ([("ecg.csv", b"0\n1\n" * 1000)], {"signal_type": "ECG", "sampling_rate": "fast"}, "sampling_rate"),
        ([("ecg.csv", b"0.1\n" * 100)], {"signal_type": "ECG", "sampling_rate": "300"}, "too short"),
        ([("ecg.csv", b"0.000,1\n0.002,2\n0.010,3\n")], {"signal_type": "ECG"}, "evenly spaced"),
    ],
)
def test_unreadable_uploads_get_a_400_naming_the_problem(client, files, form, words):
    response = upload(client, files, **form)
    assert response.status_code == 400
    assert words in response.get_json()["error"]


def test_a_form_rate_that_contradicts_the_file_is_refused(client):
    response = upload(client, wfdb_files(CINC, AF_RECORD, ".mat"), signal_type="ECG", sampling_rate="250")
    assert response.status_code == 400 and "disagrees" in response.get_json()["error"]


def test_another_body_type_gets_415_naming_both_accepted(client):
    response = client.post("/classify", data="1,2,3", content_type="text/csv")
    assert response.status_code == 415 and "multipart/form-data" in response.get_json()["error"]


def test_a_file_with_several_channels_is_refused_with_their_names_to_choose_from(client, dataset):
    refused = upload(client, wfdb_files(dataset("mitdb"), "119", ".dat"), signal_type="ECG")
    assert refused.status_code == 400
    assert refused.get_json()["channels"] == ["MLII", "V1"]


def test_return_signal_sends_back_the_classified_samples_with_the_files_units(client):
    samples, fs = read_cinc(AF_RECORD)
    data = upload(client, wfdb_files(CINC, AF_RECORD, ".mat"), signal_type="ECG", return_signal="1").get_json()
    trace = data["trace"]
    assert trace["sampling_rate"] == 300.0 and trace["units"] == "mV"
    assert len(trace["samples"]) == len(samples)
    assert np.allclose(trace["samples"], samples, atol=1e-4 * np.max(np.abs(samples)))
    assert "trace" not in upload(client, wfdb_files(CINC, AF_RECORD, ".mat"), signal_type="ECG").get_json()


def test_a_headerless_time_value_csv_is_read_as_time_and_value(client):
    samples, fs = read_cinc(AF_RECORD)
    lines = [f"{i / fs:.6f},{x:.4f}" for i, x in enumerate(samples)]
    data = upload(client, [("ecg.csv", "\n".join(lines).encode())], signal_type="ECG", return_signal="true").get_json()
    assert data["sampling_rate"] == pytest.approx(300.0)
    assert data["classification"] == "Atrial Fibrillation"
    assert data["trace"]["units"] is None
    assert np.allclose(data["trace"]["samples"], samples, atol=1e-3)


def test_a_json_request_can_ask_for_the_signal_back_too(client):
    samples, fs = read_cinc(AF_RECORD)
    data = client.post(
        "/classify", json={"signal": samples.tolist(), "signal_type": "ECG", "sampling_rate": fs, "return_signal": True}
    ).get_json()
    assert data["trace"]["units"] is None and len(data["trace"]["samples"]) == len(samples)
