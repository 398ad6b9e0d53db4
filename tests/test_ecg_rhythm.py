"""The ECG rhythm classifier (CinC 2017 model) on real recordings.

Fixture records (tests/fixtures/cinc2017, one per class, all from the held-out test split) make
the core checks run without the dataset; the broader checks read held-out records through the
``dataset`` fixture.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from classifier import classify
from classifier.calibration import calibrated, expected_calibration_error, fit_temperature
from classifier.ecg import preprocess
from classifier.ecg.rhythm import classify_rhythm, load_model, model_info, prepare
from classifier.ecg.rhythm_cnn import CNN_RATE, CROP_S, cnn_input
from classifier.ecg.rhythm_model import MODEL_DIR
from classifier.limits import SignalError
from classifier.signals import resample
from tests.conftest import FIXTURES
from training.ecg import cinc2017

FIXTURE_DIR = FIXTURES / "cinc2017"
FIXTURE_LABELS = cinc2017.read_reference(FIXTURE_DIR)
CLASSES = {"Normal Sinus Rhythm", "Atrial Fibrillation", "Other Rhythm", "Noisy Recording"}
AF = "Atrial Fibrillation"
NOISY = "Noisy Recording"


def fixture_signal(record_id: str) -> np.ndarray:
    return cinc2017.read_signal(FIXTURE_DIR, record_id)


@pytest.fixture(scope="module")
def af_record() -> np.ndarray:
    (record_id,) = [r for r, label in FIXTURE_LABELS.items() if label == AF]
    return fixture_signal(record_id)


def test_fixture_records_are_held_out_and_one_per_class():
    split = json.loads((MODEL_DIR / "split.json").read_text())
    assert set(FIXTURE_LABELS) <= set(split["test"])
    assert set(FIXTURE_LABELS.values()) == CLASSES


@pytest.mark.parametrize("record_id", sorted(FIXTURE_LABELS))
def test_real_record_gets_its_labelled_class(record_id):
    finding = classify_rhythm(fixture_signal(record_id), cinc2017.FS)
    assert finding.label == FIXTURE_LABELS[record_id]
    assert finding.signal_type == "ECG"
    assert set(finding.probabilities) == CLASSES
    assert sum(finding.probabilities.values()) == pytest.approx(1.0)
    assert finding.confidence == pytest.approx(finding.probabilities[finding.label])
    assert finding.quality == ("poor" if finding.label == NOISY else "ok")
    assert finding.model_version == model_info()["version"]


def test_af_record_has_r_peaks_and_heart_rate_in_the_input_frame(af_record):
    finding = classify_rhythm(af_record, cinc2017.FS)
    peaks = np.asarray(finding.r_peaks)
    assert len(peaks) > 10 and np.all(np.diff(peaks) > 0) and peaks[-1] < len(af_record)
    # reported peaks sit on the QRS: within 20 ms of the largest deflection around them (a beat of
    # the opposite polarity, e.g. a ventricular one, is marked at its upright peak, a little off)
    window = int(0.05 * cinc2017.FS)
    offsets = [
        abs(int(np.argmax(np.abs(af_record[p - window : p + window] - np.median(af_record)))) - window)
        for p in peaks[1:-1]
    ]
    assert np.mean(np.array(offsets) <= 0.02 * cinc2017.FS) >= 0.95
    expected_bpm = 60.0 * cinc2017.FS / np.median(np.diff(peaks))
    assert finding.heart_rate_bpm == pytest.approx(expected_bpm, rel=0.05)


@pytest.mark.parametrize("rate", [128.0, 250.0, 500.0, 1000.0])
def test_resampled_copy_gives_the_same_class_and_the_same_beats(af_record, rate):
    reference = classify_rhythm(af_record, cinc2017.FS)
    copy = resample(af_record, cinc2017.FS, rate)
    finding = classify_rhythm(copy, rate)
    assert finding.label == reference.label
    assert finding.confidence == pytest.approx(reference.confidence, abs=0.15)
    seconds_ref = np.asarray(reference.r_peaks) / cinc2017.FS
    seconds = np.asarray(finding.r_peaks) / rate
    assert abs(len(seconds) - len(seconds_ref)) <= 2
    nearest = np.min(np.abs(seconds[:, None] - seconds_ref[None, :]), axis=1)
    assert np.median(nearest) < 0.01


@pytest.mark.parametrize("record_id", sorted(FIXTURE_LABELS))
@pytest.mark.parametrize("gain, offset", [(1000.0, 0.0), (0.001, 0.0), (1.0, 250.0), (-1.0, 0.0)])
def test_units_offset_and_polarity_do_not_change_the_class(record_id, gain, offset):
    signal = fixture_signal(record_id)
    reference = classify_rhythm(signal, cinc2017.FS)
    finding = classify_rhythm(gain * signal + offset, cinc2017.FS)
    assert finding.label == reference.label
    if gain > 0:
        assert finding.confidence == pytest.approx(reference.confidence, abs=1e-6)


def test_flat_line_is_refused():
    with pytest.raises(SignalError):
        classify_rhythm(np.full(30 * 300, 0.7), 300.0)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("rate", [250.0, 360.0])
def test_pure_noise_is_a_noisy_recording_never_af(seed, rate):
    noise = np.random.default_rng(seed).normal(size=int(30 * rate))
    finding = classify_rhythm(noise, rate)
    assert finding.label == NOISY
    assert finding.quality == "poor"
    assert finding.heart_rate_bpm is None


def test_recording_shorter_than_the_minimum_is_a_client_error(af_record):
    with pytest.raises(SignalError, match="too short"):
        classify(af_record[: int(4.5 * cinc2017.FS)], cinc2017.FS, "ECG")


def test_long_recording_is_classified_in_windows(af_record):
    long = np.tile(af_record, int(np.ceil(150 * cinc2017.FS / len(af_record))))[: int(150 * cinc2017.FS)]
    finding = classify_rhythm(long, cinc2017.FS)
    assert finding.label == AF
    windows = finding.windows
    assert (windows["window_s"], windows["step_s"]) == (30.0, 30.0)
    assert [(w["start_s"], w["end_s"]) for w in windows["items"]] == [(30.0 * i, 30.0 * (i + 1)) for i in range(5)]
    assert [w["label"] for w in windows["items"]] == [AF] * 5
    assert windows["af_episodes"] == [{"start_s": 0.0, "end_s": 150.0}]
    assert windows["af_burden"] == 1.0
    assert max(finding.r_peaks) < len(long)


def normal_af_normal() -> np.ndarray:
    """Three minutes of real recordings: one minute of sinus rhythm (the 30 s Normal fixture twice),
    one minute of atrial fibrillation (the AF fixture), one minute of sinus rhythm again."""
    (normal_id,) = [r for r, label in FIXTURE_LABELS.items() if label == "Normal Sinus Rhythm"]
    (af_id,) = [r for r, label in FIXTURE_LABELS.items() if label == AF]
    normal = np.tile(fixture_signal(normal_id), 2)
    return np.concatenate([normal, fixture_signal(af_id), normal])


def test_an_af_episode_inside_sinus_rhythm_is_found_with_its_burden():
    signal = normal_af_normal()
    finding = classify_rhythm(signal, cinc2017.FS)
    assert finding.label == "Normal Sinus Rhythm"
    assert [w["label"] == AF for w in finding.windows["items"]] == [False, False, True, True, False, False]
    assert finding.windows["af_episodes"] == [{"start_s": 60.0, "end_s": 120.0}]
    assert finding.windows["af_burden"] == pytest.approx(1 / 3, abs=1e-3)
    json.dumps(finding.to_dict())


def test_no_supraventricular_beat_is_counted_inside_atrial_fibrillation():
    signal = normal_af_normal()
    finding = classify(signal, cinc2017.FS, "ECG")
    inside = [b for b in finding.beats if 60.0 <= b["time_s"] <= 120.0]
    assert len(inside) > 60
    assert {b["class"] for b in inside} <= {"N", "V", "F", "Q"}
    counts = finding.beat_summary["counts"]
    assert counts["S"] == sum(b["class"] == "S" for b in finding.beats)
    assert sum(counts.values()) == len(finding.beats)


def test_held_out_records_are_mostly_labelled_correctly(dataset):
    """40 held-out records per class N, A, O (a stratified sample of the test split)."""
    folder = dataset("cinc2017")
    reference = cinc2017.read_reference(folder)
    test_ids = json.loads((MODEL_DIR / "split.json").read_text())["test"]
    correct, af_called_non_af = 0, 0
    total = 0
    for label in ("Normal Sinus Rhythm", AF, "Other Rhythm"):
        for record_id in [i for i in test_ids if reference[i] == label][:40]:
            finding = classify_rhythm(cinc2017.read_signal(folder, record_id), cinc2017.FS)
            correct += finding.label == label
            af_called_non_af += label != AF and finding.label == AF
            total += 1
    assert correct / total >= 0.75
    assert af_called_non_af <= 4


def test_temperature_scaling_recovers_an_overconfident_models_temperature():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(scale=2.0, size=(4000, 4))
    labels = np.array([rng.choice(4, p=p) for p in calibrated(true_logits, 1.0)])
    overconfident = 3.0 * true_logits
    temperature = fit_temperature(overconfident, labels)
    assert temperature == pytest.approx(3.0, rel=0.1)
    assert expected_calibration_error(calibrated(overconfident, temperature), labels) < expected_calibration_error(
        calibrated(overconfident, 1.0), labels
    )


def test_model_info_reports_the_measured_held_out_metrics():
    info = model_info()
    assert info["name"] == "ecg_rhythm"
    assert set(info["classes"]) == CLASSES
    metrics = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert info["metrics"]["challenge_score"] == metrics["challenge_score"]
    assert metrics["split"] == "test"


def test_committed_model_was_trained_on_the_current_feature_pipeline():
    """Fails when preprocessing, features or the shared R-peak detector change without retraining."""
    from training.ecg.train_rhythm import pipeline_fingerprint

    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    assert meta["pipeline_fingerprint"] == pipeline_fingerprint(), (
        "retrain: OMP_NUM_THREADS=1 python -m training.ecg.train_rhythm && "
        "python -m training.ecg.train_rhythm_cnn && python -m training.ecg.evaluate_rhythm"
    )


def test_committed_cnn_was_trained_on_the_current_inputs():
    """Fails when the CNN's input (the shared pipeline or cnn_input) changes without retraining."""
    from training.ecg.train_rhythm_cnn import input_fingerprint

    meta = json.loads((MODEL_DIR / "ensemble.json").read_text())
    assert meta["input_fingerprint"] == input_fingerprint(), (
        "retrain: OMP_NUM_THREADS=1 python -m training.ecg.train_rhythm_cnn && python -m training.ecg.evaluate_rhythm"
    )


def test_cnn_input_is_one_crop_at_least_and_the_whole_window_otherwise(af_record):
    cleaned = prepare(af_record, cinc2017.FS).cleaned
    short = cnn_input(cleaned[: int(10 * preprocess.MODEL_RATE)], preprocess.MODEL_RATE)
    assert len(short) == int(CROP_S * CNN_RATE) and np.all(short[int(10 * CNN_RATE) :] == 0)
    whole = cnn_input(cleaned, preprocess.MODEL_RATE)
    at_cnn_rate = resample(cleaned, preprocess.MODEL_RATE, CNN_RATE)
    assert len(whole) == max(len(at_cnn_rate), int(CROP_S * CNN_RATE))


def test_cnn_alone_scores_any_length_of_a_real_record(af_record):
    """Global average pooling: a 10 s piece and the whole record both give one row of class scores."""
    cleaned = prepare(af_record, cinc2017.FS).cleaned
    inputs = [
        cnn_input(cleaned[: int(10 * preprocess.MODEL_RATE)], preprocess.MODEL_RATE),
        cnn_input(cleaned, preprocess.MODEL_RATE),
    ]
    logits = load_model().cnn.logits(inputs)
    assert logits.shape == (2, len(CLASSES)) and np.all(np.isfinite(logits))
    assert load_model().classes[int(np.argmax(logits[1]))] == AF


def test_cnn_weights_are_a_small_half_precision_file():
    assert (MODEL_DIR / "cnn.safetensors").stat().st_size < 2_000_000


def test_feature_model_is_fitted_on_train_and_validation_never_on_test():
    """train_rhythm cross-validates and refits on train+val; the test split stays held out."""
    from training.ecg.train_rhythm import FOLDS, ROUNDS

    split = json.loads((MODEL_DIR / "split.json").read_text())
    meta = json.loads((MODEL_DIR / "meta.json").read_text())
    assert not set(split["test"]) & (set(split["train"]) | set(split["val"]))
    assert meta["n_train"] == len(split["train"]) + len(split["val"])
    assert meta["cv"]["folds"] == FOLDS and meta["cv"]["rounds"] in ROUNDS
    assert meta["cv"]["challenge_score"] == pytest.approx(np.mean([meta["cv"]["f1"][c] for c in "NAO"]), abs=1e-3)
