"""The EEG classifier on real Bonn segments: held-out fixtures from every set, any rate and any
units, long recordings summarised window by window, and flat or saturated signals never passed off
as confident normal EEG."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import signal as sps

from classifier import SignalError, classify, signals
from classifier.calibration import softmax
from classifier.eeg import analysis, features, models_info, preprocess
from classifier.eeg.model import MODEL_DIR, held_out_ids, load_model
from classifier.finding import QUALITY_OK, QUALITY_POOR
from classifier.signal_types import EEG_CLASSES
from training.eeg import bonn

FIXTURE = Path(__file__).parent / "fixtures" / "bonn" / "segments.npz"
PER_WINDOW_FEATURES = FIXTURE.with_name("features_per_window.npz")
RATE = bonn.SAMPLING_RATE
EXPECTED = {
    "Z": "Normal EEG",
    "O": "Normal EEG",
    "N": "Interictal Epileptiform Activity",
    "F": "Interictal Epileptiform Activity",
    "S": "Seizure Activity",
}


@pytest.fixture(scope="module")
def segments() -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as data:
        return {k: data[k].astype(np.float64) for k in data.files}


def test_fixture_segments_were_held_out_from_training(segments):
    assert set(segments) <= set(held_out_ids())


def test_split_holds_out_a_fifth_of_every_set_and_never_trains_on_it():
    split = json.loads((MODEL_DIR / "split.json").read_text())
    assert not set(split["held_out"]) & set(split["train"])
    for letter in bonn.SETS:
        assert sum(i.startswith(letter) for i in split["held_out"]) == 20


@pytest.mark.parametrize("segment_id", ["Z003", "Z014", "O007", "O016", "N002", "N009", "F001", "F003", "S012", "S020"])
def test_held_out_segment_of_each_set_gets_its_class(segments, segment_id):
    finding = classify(segments[segment_id], RATE, "EEG")
    assert finding.label == EXPECTED[segment_id[0]]
    assert set(finding.probabilities) == set(EXPECTED.values())
    assert sum(finding.probabilities.values()) == pytest.approx(1.0)
    assert finding.confidence == pytest.approx(finding.probabilities[finding.label])
    assert finding.quality == QUALITY_OK
    assert len(finding.windows["items"]) == 11 and finding.windows["n_unusable"] == 0


def test_units_do_not_change_the_finding(segments):
    counts = segments["S012"]
    millivolts = classify(counts * 0.001 + 3.0, RATE, "EEG")
    raw = classify(counts, RATE, "EEG")
    assert millivolts.label == raw.label
    for name, p in raw.probabilities.items():
        assert millivolts.probabilities[name] == pytest.approx(p, abs=1e-6)


def test_all_windows_at_once_match_the_one_window_at_a_time_features(segments):
    """The recorded matrices of the per-window implementation (NeuroKit2's entropies and fractal
    measures, one window at a time), to 1e-9 relative: the model was trained on those features."""
    with np.load(PER_WINDOW_FEATURES) as expected:
        for segment_id, signal in segments.items():
            X, usable, _ = features.recording_features(signal, RATE)
            assert X.shape == expected[segment_id].shape and usable.all()
            np.testing.assert_allclose(X, expected[segment_id], rtol=1e-9, atol=1e-12, err_msg=segment_id)


@pytest.mark.parametrize("gain, offset", [(0.001, 3.0), (0.195, 2048.0), (12.0, -30000.0)])
def test_window_features_ignore_gain_and_dc_offset(segments, gain, offset):
    """Raw ADC counts sit around a mid-scale offset; millivolts may carry an electrode offset."""
    counts = segments["N002"]
    X, usable, _ = features.recording_features(counts, RATE)
    X_units, usable_units, _ = features.recording_features(counts * gain + offset, RATE)
    assert usable.all() and (usable_units == usable).all()
    np.testing.assert_allclose(X_units, X, rtol=1e-6, atol=1e-6)


def test_seizure_is_called_from_its_threshold_even_when_not_the_likeliest():
    threshold = load_model().seizure_threshold
    probabilities = np.array([[0.9 - threshold, 0.1, threshold], [0.6, 0.4 - threshold / 2, threshold / 2]])
    labels = [load_model().classes[k] for k in load_model().decide(probabilities)]
    assert labels == ["Seizure Activity", "Normal EEG"]


@pytest.mark.parametrize("rate", [100.0, 256.0, 500.0, 1000.0])
@pytest.mark.parametrize("segment_id", ["Z003", "N002", "S012"])
def test_any_rate_from_100_to_1000_hz_gives_the_same_class(segments, rate, segment_id):
    x = segments[segment_id]
    resampled = sps.resample(x, int(round(len(x) * rate / RATE)))
    assert classify(resampled, rate, "EEG").label == EXPECTED[segment_id[0]]


def test_long_recording_reports_where_the_seizure_is(segments):
    recording = np.concatenate([segments["Z003"], segments["S012"], segments["O007"]])
    finding = classify(recording, RATE, "EEG")
    windows = finding.windows
    assert finding.label == "Seizure Activity"
    starts = [item["start_s"] for item in windows["items"]]
    assert starts[0] == 0 and all(0 < b - a <= windows["step_s"] for a, b in zip(starts, starts[1:]))
    assert windows["items"][-1]["end_s"] == pytest.approx(len(recording) / RATE, abs=0.01)
    assert all(
        item["end_s"] - item["start_s"] == pytest.approx(windows["window_s"], abs=0.01) for item in windows["items"]
    )
    assert 0.2 < windows["seizure_fraction"] < 0.5
    segment_s = len(segments["S012"]) / RATE
    assert len(windows["seizure_ranges_s"]) == 1
    start, end = windows["seizure_ranges_s"][0]
    assert start == pytest.approx(segment_s, abs=preprocess.WINDOW_SECONDS)
    assert end == pytest.approx(2 * segment_s, abs=preprocess.WINDOW_SECONDS)


def test_healthy_long_recording_has_no_seizure_windows(segments):
    finding = classify(np.concatenate([segments["Z003"], segments["O016"]]), RATE, "EEG")
    assert finding.label == "Normal EEG"
    assert finding.windows["seizure_ranges_s"] == []


def test_flat_line_is_refused():
    with pytest.raises(SignalError):
        classify(np.full(4097, 512.0), RATE, "EEG")


def test_saturated_signal_is_refused(segments):
    x = segments["Z003"]
    lo, hi = np.percentile(x, [30, 70])
    with pytest.raises(SignalError):
        classify(np.clip(x, lo, hi), RATE, "EEG")


def test_mostly_flat_recording_is_poor_quality_and_not_confident(segments):
    x = segments["Z003"].copy()
    x[: int(0.7 * len(x))] = x[0]
    finding = classify(x, RATE, "EEG")
    assert finding.quality == QUALITY_POOR
    assert finding.confidence < 0.6
    unusable = [item for item in finding.windows["items"] if item["label"] == "unusable"]
    assert unusable and all(item["probability"] is None for item in unusable)


def test_real_clipping_at_the_adc_rail_is_tolerated(dataset):
    """F009 touches the 12-bit rail (2047) in 1.3% of its samples: still analysable."""
    x = np.loadtxt(dataset("bonn") / "D_F" / "F009.txt")
    assert (x == 2047).sum() > 10
    assert classify(x, RATE, "EEG").quality == QUALITY_OK


def test_stuck_samples_marks_long_constant_runs_only():
    x = np.sin(np.arange(1000) / 5.0)
    x[100:150] = 0.25  # 0.5 s at 100 Hz
    stuck = preprocess.stuck_samples(x, 100.0)
    assert stuck[100:150].all() and stuck.sum() == 50


def test_models_info_names_the_three_classes():
    (info,) = models_info()
    assert info["classes"] == ["Normal EEG", "Interictal Epileptiform Activity", "Seizure Activity"]
    assert info["version"] == load_model().version


def test_documented_held_out_metrics_are_reproduced(dataset):
    """metrics.json (quoted in the model card) matches a fresh evaluation of the held-out split."""
    from training.eeg import evaluate

    dataset("bonn")
    held_out = set(held_out_ids())
    segs = [s for s in bonn.load_segments() if s.segment_id in held_out]
    findings = [classify(s.signal, RATE, "EEG") for s in segs]
    result = evaluate.metrics(
        np.array([s.label for s in segs]),
        np.array([EEG_CLASSES.index(f.label) for f in findings]),
        np.array([f.confidence for f in findings]),
    )
    documented = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert result["accuracy"] == documented["accuracy"]
    assert result["confusion_matrix"] == documented["confusion_matrix"]
    assert result["ece"] == pytest.approx(documented["ece"], abs=1e-4)
    assert evaluate.abstention(np.array([s.label for s in segs]), findings) == documented["abstention"]


@pytest.mark.parametrize("segment_id", ["S012", "S020"])
def test_held_out_seizure_under_scalp_conditions_is_seizure_or_inconclusive(segments, segment_id):
    """Resampled to 200-500 Hz, band-limited, cut to 4-5.12 s, any units, with an artefact."""
    import inference
    from training.eeg import shift

    rng = np.random.default_rng(5)
    for _ in range(4):
        x, rate, how = shift.scalp_like(segments[segment_id], RATE, rng)
        finding = classify(x, rate, "EEG")
        assert finding.label == "Seizure Activity" or inference.is_inconclusive(finding), how


def test_features_far_from_the_training_data_abstain_in_plain_words(segments):
    eeg_model = load_model()
    X, usable, _ = features.recording_features(segments["Z003"], RATE)
    assert eeg_model.abstain_reason("Normal EEG", ("Normal EEG",), X[usable]) is None
    shifted = X[usable] + 10 * eeg_model.ood.scale
    reason = eeg_model.abstain_reason("Normal EEG", ("Normal EEG",), shifted)
    assert "unlike the recordings this model was trained on" in reason


def test_a_prediction_set_other_than_the_label_abstains_in_plain_words():
    eeg_model = load_model()
    X = np.atleast_2d(eeg_model.ood.mean)  # the centre of the training data: not out of distribution
    both = ("Interictal Epileptiform Activity", "Seizure Activity")
    assert "cannot tell Interictal Epileptiform Activity from Seizure Activity" in eeg_model.abstain_reason(
        "Seizure Activity", both, X
    )
    assert "no class reaches" in eeg_model.abstain_reason("Seizure Activity", (), X)
    assert "points to Normal EEG, not to Seizure Activity" in eeg_model.abstain_reason(
        "Seizure Activity", ("Normal EEG",), X
    )


def test_prediction_sets_are_calibrated_on_every_training_segment_once_out_of_fold():
    eeg_model = load_model()
    calibration = eeg_model.calibration
    assert len(calibration.scores) == len(json.loads((MODEL_DIR / "split.json").read_text())["train"])
    assert set(calibration.folds) == set(range(len(eeg_model.fold_boosters))) and len(eeg_model.fold_boosters) == 5
    assert np.bincount(calibration.labels).tolist() == [160, 160, 80]  # Z+O, N+F, S: 80 training segments a set
    # a recording every fold booster is sure of is in its class's set alone; a coin toss reaches
    # no class's 90% level (nearly every calibration segment was scored far more surely)
    sure, unsure = np.array([[0.0, 0.0, 1.0]] * 5), np.full((5, 3), 1 / 3)
    assert eeg_model.prediction_set(sure) == ("Seizure Activity",)
    assert eeg_model.prediction_set(unsure) == ()


def test_correlated_groups_join_segments_linked_by_correlation():
    rng = np.random.default_rng(0)
    a, b, c = rng.standard_normal((3, 4097))
    segs = [
        bonn.Segment("S001", "S", 2, a),
        bonn.Segment("S002", "S", 2, 0.9 * a + 0.3 * c),
        bonn.Segment("S003", "S", 2, -b),
        bonn.Segment("N001", "N", 1, 5.0 * b + 100.0),
    ]
    groups = bonn.correlated_groups(segs)
    assert groups["S001"] == groups["S002"]
    assert groups["S003"] == groups["N001"]  # |correlation|: sign, gain and offset do not matter
    assert groups["S001"] != groups["S003"]


@pytest.mark.parametrize("seconds, expected", [(4.0, 11), (6.0, 10), (8.0, 9)])
def test_window_length_is_a_parameter_of_the_windowing(seconds, expected):
    n = int(round(preprocess.SEGMENT_SECONDS * preprocess.TARGET_RATE))
    bounds = preprocess.window_bounds(n, preprocess.TARGET_RATE, seconds)
    assert len(bounds) == expected
    assert all(stop - start == int(seconds * preprocess.TARGET_RATE) for start, stop in bounds)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nested_cv_outer_folds_keep_correlated_groups_on_one_side(seed):
    """crossval --all-segments: a correlated group is never split across an outer fold, every
    segment is tested exactly once, and each test fold holds every class."""
    from training.eeg.crossval import outer_folds

    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 0, 1, 1, 2], 100)  # sets Z, O, N, F, S
    groups = np.concatenate([rng.integers(0, 60, 100) + 60 * k for k in range(5)])
    tested = np.zeros(len(labels), int)
    for fit, test in outer_folds(labels, groups, seed):
        assert not set(groups[fit]) & set(groups[test])
        assert set(labels[test]) == {0, 1, 2}
        tested[test] += 1
    assert (tested == 1).all()


def test_windows_scaled_all_at_once_equal_robust_scale_window_by_window(segments):
    """preprocess.scaled_windows is signals.robust_scale of each window, to the last bit, including
    its fallbacks: a window whose IQR is zero (scaled by its largest deviation) and a flat one."""
    prepared = preprocess.prepare(segments["S012"], RATE)
    prepared[:512] = 0.0
    prepared[100] = 5.0  # IQR zero, one deviation
    prepared[512:1024] = 3.0  # flat
    bounds = preprocess.window_bounds(len(prepared), preprocess.TARGET_RATE)
    expected = np.stack([signals.robust_scale(prepared[start:stop]) for start, stop in bounds])
    scaled = preprocess.scaled_windows(prepared, bounds)
    np.testing.assert_array_equal(scaled, expected)
    assert scaled[0, 100] == 1.0 and not scaled[2].any()


def test_all_runs_pooled_at_once_equal_pooling_each_run_alone():
    """analysis.stretch_probabilities against the formula run by run (np.mean of the usable rows,
    softmax, mixed with the uniform distribution by the usable fraction), to the last bit."""
    rng = np.random.default_rng(0)
    scores = rng.normal(scale=3.0, size=(60, 3))
    usable = rng.random(60) > 0.3
    usable[20:35] = False  # runs with no usable window at all are uniform
    span = 11
    expected = []
    for i in range(len(scores) - span + 1):
        run, kept = scores[i : i + span], usable[i : i + span]
        if kept.any():
            evidence = softmax(run[kept].mean(axis=0, keepdims=True))[0]
            expected.append(kept.mean() * evidence + (1.0 - kept.mean()) * np.full(3, 1 / 3))
        else:
            expected.append(np.full(3, 1 / 3))
    np.testing.assert_array_equal(analysis.stretch_probabilities(scores, usable, span), np.array(expected))


def test_a_seizure_stage_that_never_saw_scalp_eeg_calls_it_seizure_and_feature_screening_does_not():
    """training.eeg.montage_check's two designs on data shaped like Bonn's confound: seizures have
    more fast activity than interictal recordings and scalp Normal more still, and only seizures are
    rhythmic. Fitted on intracranial windows alone, the seizure stage learns "fast = seizure" and
    calls Normal seizure; screening out the features that tell Normal from Interictal leaves it the
    rhythm, and Normal is left alone. Both give three log-probabilities a row."""
    from scipy.special import logsumexp

    from training.eeg.montage_check import TwoStage

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 300)  # Normal, Interictal, Seizure
    fast = rng.normal(np.array([6.0, 0.0, 3.0])[y], 1.0)
    rhythm = rng.normal(np.array([0.0, 0.0, 3.0])[y], 1.0)
    X = np.c_[fast, rhythm]
    normal_again = np.c_[rng.normal(6.0, 1.0, 200), rng.normal(0.0, 1.0, 200)]
    intracranial_only, screened = TwoStage().fit(X, y), TwoStage(0.2).fit(X, y)
    assert screened.columns.tolist() == [1]
    for stage, calls_normal_seizure in ((intracranial_only, True), (screened, False)):
        scores = stage.predict(normal_again)
        np.testing.assert_allclose(logsumexp(scores, axis=1), 0.0, atol=1e-9)
        assert bool(np.mean(scores.argmax(axis=1) == 2) > 0.9) is calls_normal_seizure


def test_scalp_mixture_puts_a_segment_under_background_in_the_hidden_tests_format(segments):
    """training.eeg.scalp_mixture: 5.12 s at 200 Hz, and the mixing ratio is of spreads (a zero
    ratio leaves the background alone; a large one, the segment)."""
    from training.eeg.scalp_mixture import mixed

    seizure, background = segments["S012"], segments["Z003"]
    alone = mixed(seizure, background, 0.0, None, np.random.default_rng(0))
    assert len(alone) == 1024
    rate = bonn.SAMPLING_RATE
    expected = signals.resample((background - np.median(background)) / background.std(), rate, 200.0)
    expected = signals.bandpass(expected, 200.0, 0.5, 70.0)
    assert any(np.allclose(alone, expected[i : i + 1024]) for i in range(len(expected) - 1024))
    loud = mixed(seizure, background, 1e6, None, np.random.default_rng(0)) / 1e6
    only = signals.bandpass(
        signals.resample((seizure - np.median(seizure)) / seizure.std(), rate, 200.0), 200.0, 0.5, 70.0
    )
    assert any(np.allclose(loud, only[i : i + 1024], atol=1e-5) for i in range(len(only) - 1024))


def test_a_mixture_joins_a_folds_fit_only_when_both_of_its_segments_are_in_it():
    """training.eeg.train.out_of_fold with mixtures (training.eeg.mixture_check): a window mixed from
    a fitted segment and a held-out one would leak the held-out segment into the fit."""
    from training.eeg import train

    fits = []

    class Recorder:
        def fit(self, X, y):
            fits.append(set(X[:, 0].astype(int)))
            return self

        def predict(self, X, raw_score=True):
            return np.zeros((len(X), 3))

    y = np.repeat([0, 1, 2], 10)
    ids = np.array([f"s{k}" for k in range(30)])  # one window a segment; feature 0: the segment's number
    X = np.c_[np.arange(30), np.zeros(30)]
    # mixture k: segment k over background k + 1; feature 0: 100 + k
    extra = {"X": np.c_[100 + np.arange(30), np.zeros(30)], "y": y, "segment": ids, "background": np.roll(ids, -1)}
    train.out_of_fold(Recorder, X, y, ids, True, extra=extra)
    assert len(fits) == train.N_FOLDS
    for fitted in fits:
        own = {k for k in fitted if k < 100}
        assert {k - 100 for k in fitted if k >= 100} == {k for k in own if (k + 1) % 30 in own}
