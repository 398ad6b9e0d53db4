"""Hostile and careless input: every request that once gave a 500 or decoded a header's claims
before checking them now gets a 4xx naming the problem, with a short body; odd but honest records
(multi-frequency, a few lost samples, upper-case extensions) are read."""

import io
import logging
from pathlib import Path

import numpy as np
import pyedflib
import pytest
import wfdb

from storage import RATINGS
from tests.test_api_classify import CINC, FIXTURES, read_cinc
from tests.test_api_uploads import AF_RECORD, edf_bytes, upload, wfdb_files

MAX_ERROR_CHARS = 400  # every refusal here says what is wrong in a few words


@pytest.fixture()
def client(make_app):
    return make_app().test_client()


def refused(response, status, *words):
    body = response.get_json()
    assert response.status_code == status, body
    assert len(body["error"]) < MAX_ERROR_CHARS
    for word in words:
        assert word in body["error"]
    return body["error"]


def post_raw(client, path, text):
    return client.post(path, data=text.encode("utf-8"), content_type="application/json")


# --- the seven inputs that gave a 500 ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/classify", "/ask", "/feedback"])
def test_json_nested_thousands_of_levels_deep_is_a_400(client, path):
    depth = 100_000
    refused(post_raw(client, path, '{"signal": ' + "[" * depth + "]" * depth + "}"), 400, "nested too deeply")


TEN_SECONDS = ", 1" * 3000  # of samples at 300 Hz, so that the length check passes


@pytest.mark.parametrize(
    "body, words",
    [
        (
            '{"signal_type": "ECG", "sampling_rate": 300, "signal": [' + "9" * 400 + TEN_SECONDS + "]}",
            ["signal[0]", "not a number"],
        ),
        (
            '{"signal_type": "ECG", "sampling_rate": ' + "9" * 400 + ', "signal": [1]}',
            ["sampling_rate must be a number"],
        ),
    ],
)
def test_a_400_digit_integer_is_a_400(client, body, words):
    refused(post_raw(client, "/classify", body), 400, *words)


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/ask", '{"prompt": "why \\ud800?"}', "prompt"),
        ("/ask", '{"prompt": "q", "classification": {"prediction": "\\udfff", "confidence": 0.5}}', "prediction"),
        (
            "/classify",
            '{"signal_type": "ECG", "signal": [0' + TEN_SECONDS + '], "clinical_context": "\\ud800"}',
            "clinical_context",
        ),
    ],
)
def test_a_lone_surrogate_in_stored_text_is_a_400(client, path, body, field):
    error = refused(post_raw(client, path, body), 400, field, "lone surrogate")
    assert "\ud800" not in error


def test_an_edf_whose_record_duration_is_zero_is_a_400(client, tmp_path):
    content = bytearray(edf_bytes(tmp_path, {"EEG": np.sin(np.arange(1736) / 7.0)}, 173.61))
    content[244:252] = b"0       "
    refused(upload(client, [("zero.edf", bytes(content))], signal_type="EEG"), 400, "duration is 0")


@pytest.mark.parametrize("line", ["a" * 200_000, '"' + "1" * 200_000 + '"'])
def test_a_field_longer_than_csv_allows_is_a_400(client, line):
    refused(
        upload(client, [("long.csv", f"value\n{line}\n".encode())], signal_type="ECG"), 400, "line 2 is longer than"
    )


def test_a_superscript_digit_as_channel_is_a_400(client, tmp_path):
    content = edf_bytes(tmp_path, {"Fp1": np.zeros(1000), "Fp2": np.ones(1000)}, 200)
    refused(upload(client, [("two.edf", content)], signal_type="EEG", channel="²"), 400, "no channel '²'", "Fp1, Fp2")


def test_a_file_name_over_255_bytes_is_a_400_and_not_logged(client, caplog):
    name = "n" * 300 + ".hea"
    with caplog.at_level(logging.DEBUG):
        response = upload(client, [(name, b"r 1 300 3000\n"), ("r.dat", b"")], signal_type="ECG")
    refused(response, 400, "longer than 255 bytes")
    assert "n" * 100 not in caplog.text


# --- decided from the header, before any sample is decoded -------------------------------------


def header_upload(client, header, dat=b"", **form):
    return upload(client, [("r.hea", header.encode()), ("r.dat", dat)], signal_type="ECG", **form)


def test_a_header_claiming_a_hundred_million_samples_is_refused_before_decoding(client):
    refused(
        header_upload(client, "r 1 360 100000000\nr.dat 16 200 16 0 0 0 0 ECG\n", dat=b"\0" * 2048), 400, "too long"
    )


def test_a_header_skew_of_a_billion_frames_is_refused(client):
    refused(
        header_upload(client, "r 1 360 3600\nr.dat 16:1000000000 200 16 0 0 0 0 ECG\n", dat=b"\0" * 2048), 400, "skew"
    )


def test_samples_per_frame_that_decode_to_billions_of_values_are_refused(client):
    header = "r 2 360 3600\nr.dat 16 200 16 0 0 0 0 ECG\nr.dat 16x1000000 200 16 0 0 0 0 X\n"
    refused(header_upload(client, header, channel="0"), 400, "samples over all its signals")


def test_a_signal_file_shorter_than_its_header_claims_is_refused(client):
    refused(
        header_upload(client, "r 1 360 3600\nr.dat 16 200 16 0 0 0 0 ECG\n", dat=b"\0" * 2048),
        400,
        "2048 bytes, fewer than the 7200",
    )


def test_a_header_with_many_channels_names_a_few_and_counts_the_rest(client):
    lines = "".join(f"r.dat 16 200 16 0 0 0 0 lead{i}\n" for i in range(40))
    response = header_upload(client, f"r 40 360 3600\n{lines}")
    refused(response, 400, "40 channels", "lead0", "and 32 more")
    assert len(response.get_json()["channels"]) == 40  # all of them, for a page to offer


def test_a_text_line_of_millions_of_columns_is_refused_in_a_short_error(client):
    refused(
        upload(client, [("wide.csv", ("1," * 4_000_000).encode())], signal_type="ECG"), 400, "line 1 is longer than"
    )


def test_a_text_file_with_too_many_columns_is_refused(client):
    row = ",".join(["1"] * 100)
    refused(
        upload(client, [("wide.csv", f"{row}\n{row}\n".encode())], signal_type="ECG"), 400, "100 columns; at most 64"
    )


def test_a_text_file_longer_than_any_accepted_recording_is_refused(client):
    # ECG: 31 minutes at most, at up to 1000 Hz: 1,860,000 lines of values.
    refused(
        upload(client, [("long.csv", b"1\n" * 1_900_000)], signal_type="ECG"),
        400,
        "1900000 lines, more than the longest recording accepted (1860000 lines of values)",
    )
    with_comments = b"1\n" * 1_860_000 + b"# note\n" * 500 + b"1\n"
    refused(upload(client, [("long.csv", with_comments)], signal_type="ECG"), 400, "more than 1860000 lines of values")


# --- careless but honest records are read ------------------------------------------------------


def write_record(folder, name, **fields):
    wfdb.wrsamp(
        name,
        write_dir=str(folder),
        units=["mV"],
        sig_name=["ECG"],
        fmt=["16"],
        adc_gain=[200.0],
        baseline=[0],
        **fields,
    )
    return [
        (f"{name}.hea", (folder / f"{name}.hea").read_bytes()),
        (f"{name}.dat", (folder / f"{name}.dat").read_bytes()),
    ]


def test_a_multi_frequency_record_is_read_at_the_chosen_channels_own_rate(client, tmp_path):
    samples, fs = read_cinc(AF_RECORD)  # 300 Hz
    samples = samples[: len(samples) // 4 * 4]
    slow = samples[::4]  # a second signal at a quarter of the rate
    record = wfdb.Record(
        record_name="mixed",
        n_sig=2,
        fs=fs / 4,
        sig_len=len(slow),
        sig_name=["ECG", "slow"],
        units=["mV", "mV"],
        fmt=["16", "16"],
        adc_gain=[200.0, 200.0],
        baseline=[0, 0],
        samps_per_frame=[4, 1],
        adc_res=[16, 16],
        adc_zero=[0, 0],
        block_size=[0, 0],
        e_p_signal=[samples, slow],
    )
    record.set_d_features(do_adc=True, expanded=True)
    record.set_defaults()
    record.wrsamp(write_dir=str(tmp_path), expanded=True)
    files = [("mixed.hea", (tmp_path / "mixed.hea").read_bytes()), ("mixed.dat", (tmp_path / "mixed.dat").read_bytes())]
    response = upload(client, files, signal_type="ECG", channel="ECG")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["sampling_rate"] == fs
    assert response.get_json()["classification"] == "Atrial Fibrillation"


@pytest.mark.parametrize("record_line", ["r 1", "r 1 abc 3600", "r 1 0 3600"])
def test_a_header_without_a_readable_rate_is_refused_not_assumed(client, record_line):
    refused(
        header_upload(client, f"{record_line}\nr.dat 16 200 16 0 0 0 0 ECG\n", dat=b"\0" * 7200),
        400,
        "no readable sampling frequency",
    )


def test_missing_samples_at_the_start_are_cut_and_a_few_inside_filled_in_with_notes(client, tmp_path):
    samples, fs = read_cinc(AF_RECORD)
    samples[[0, 1, 100, 5000, 9000]] = np.nan  # wfdb writes these as format 16's invalid value
    files = write_record(tmp_path, "gaps", fs=fs, p_signal=samples.reshape(-1, 1))
    response = upload(client, files, signal_type="ECG")
    assert response.status_code == 200, response.get_json()
    notes = response.get_json()["notes"]
    assert "2 missing samples at the start and 0 at the end were left out" in notes
    assert any(note.startswith("3 missing samples") for note in notes)
    assert response.get_json()["classification"] == "Atrial Fibrillation"


def test_more_than_one_percent_missing_is_refused(client, tmp_path):
    samples, fs = read_cinc(AF_RECORD)
    samples[::50] = np.nan  # 2 %
    files = write_record(tmp_path, "holes", fs=fs, p_signal=samples.reshape(-1, 1))
    refused(upload(client, files, signal_type="ECG"), 400, "missing (NaN)", "at most 1%")


def test_a_multi_segment_record_is_refused_with_how_to_convert_it(client):
    header = "r/2 1 360 7200\nseg1 3600\nseg2 3600\n"
    refused(header_upload(client, header), 400, "multi-segment", "m2s=True")


def test_upper_case_extensions_are_read(client):
    files = [(name.upper(), content) for name, content in wfdb_files(CINC, AF_RECORD, ".mat")]
    response = upload(client, files, signal_type="ECG")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["classification"] == "Atrial Fibrillation"


def test_a_chunked_body_over_the_limit_is_a_413(make_app):
    client = make_app(max_content_length=1024).test_client()
    response = client.post(
        "/classify",
        input_stream=io.BytesIO(b"[" + b"1," * 4096 + b"1]"),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    refused(response, 413, "larger than the configured limit")


def test_a_megabyte_of_client_text_is_not_echoed_back(client):
    ratings = dict.fromkeys(RATINGS, 3)
    response = client.post("/feedback", json={"interpretation_id": "x" * 1_000_000, "ratings": ratings})
    assert response.status_code in (400, 404)
    assert len(response.get_data()) < MAX_ERROR_CHARS


PYEDFLIB_TEST_DATA = Path(pyedflib.__file__).parent / "tests" / "data"


@pytest.mark.parametrize(
    "name",
    [
        "test_generator.edf",
        "test_generator.bdf",
        "test_utf8.edf",
        "test_subsecond.edf",
        "test_legacy.edf",
        "test_generator_datarec_generator_0_5.bdf",
        "test_generator_datarec_generator_2.bdf",
    ],
)
def test_pyedflibs_own_test_files_are_read_or_refused_by_name(client, name):
    response = upload(client, [(name, (PYEDFLIB_TEST_DATA / name).read_bytes())], signal_type="EEG", channel="0")
    assert response.status_code in (200, 400), response.get_json()
    assert response.status_code == 200 or len(response.get_data()) < MAX_ERROR_CHARS


WFDB_PYTHON = FIXTURES / "wfdb-python"


def test_wfdb_pythons_multi_frequency_record_is_read_at_the_ecg_leads_own_rate(client):
    names = ["mixedsignals.hea", "mixedsignals_e.dat", "mixedsignals_p.dat", "mixedsignals_r.dat"]
    files = [(name, (WFDB_PYTHON / name).read_bytes()) for name in names]
    response = upload(client, files, signal_type="ECG", channel="II", sampling_rate="249.89")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["sampling_rate"] == pytest.approx(62.4725 * 4)
    assert "1024 missing samples at the start and 0 at the end were left out" in response.get_json()["notes"]


def test_wfdb_pythons_multi_segment_header_is_refused_with_how_to_convert_it(client):
    files = [("041s.hea", (WFDB_PYTHON / "041s.hea").read_bytes())]
    refused(upload(client, files, signal_type="ECG"), 400, "multi-segment", "m2s=True")


def test_a_header_without_a_length_takes_it_from_the_signal_files_size(client, tmp_path):
    samples, fs = read_cinc(AF_RECORD)
    (_, header), (dat_name, dat) = write_record(tmp_path, "nolen", fs=fs, p_signal=samples.reshape(-1, 1))
    lines = header.decode().splitlines()
    lines[0] = " ".join(lines[0].split()[:3])  # name, signals, rate: no length
    response = upload(client, [("nolen.hea", "\n".join(lines).encode() + b"\n"), (dat_name, dat)], signal_type="ECG")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["classification"] == "Atrial Fibrillation"
