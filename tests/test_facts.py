"""Measured facts say only what the recording shows: counts in a short strip, no PACs inside atrial
fibrillation, and no heart rate or beat count on a noisy recording."""

import wfdb

from classifier import classify
from classifier.finding import Finding, window_item, windows_summary
from explain.facts import NOT_MEASURED, finding_facts, stored_facts
from tests.conftest import FIXTURES


def ecg_finding(label="Normal Sinus Rhythm", **fields):
    return Finding(signal_type="ECG", label=label, confidence=0.9, probabilities={label: 0.9}, **fields)


def real_finding(record_id):
    record = wfdb.rdrecord(str(FIXTURES / "cinc2017" / record_id))
    return classify(record.p_signal[:, 0], record.fs, "ECG")


def test_one_ectopic_beat_in_a_short_strip_is_a_count_never_a_rate_per_hour():
    summary = {"counts": {"N": 20, "V": 1}, "per_hour": {"V": 205.0}, "duration_s": 17.6, "total_beats": 21}
    facts = finding_facts(ecg_finding(heart_rate_bpm=71.6, beat_summary=summary))
    assert facts == [
        "Average heart rate: about 72 beats per minute.",
        "1 premature ventricular contraction (PVC) in this 18-second recording.",
    ]
    assert not any("per hour" in fact or "frequent" in fact for fact in facts)


def test_an_hour_of_recording_gives_a_rate_per_hour_and_frequent_beats_are_called_frequent():
    summary = {"counts": {"N": 4000, "V": 500}, "per_hour": {"V": 500.0}, "duration_s": 3600.0, "total_beats": 4500}
    facts = finding_facts(ecg_finding(beat_summary=summary))
    assert facts == [
        "500 premature ventricular contractions (PVCs) in this 60-minute recording, "
        "about 500 per hour. That is more than 1 in 10 beats, which is frequent and "
        "worth a clinician's review."
    ]


def test_no_premature_atrial_beats_are_counted_inside_atrial_fibrillation_on_a_real_af_strip():
    finding = real_finding("A02506")
    assert finding.label == "Atrial Fibrillation"
    assert finding.beat_summary["counts"].get("S", 0) == 0  # the beat model's S calls are dropped in AF
    assert not any("atrial contraction" in fact for fact in finding_facts(finding))
    assert "pac" not in stored_facts(finding, inconclusive_reason=None)["beat_counts"]
    # and the wording drops them too, should a finding in AF ever carry S counts
    summary = {"counts": {"N": 20, "S": 12}, "duration_s": 30.0, "total_beats": 32}
    in_af = ecg_finding(label="Atrial Fibrillation", beat_summary=summary)
    assert not any("atrial contraction" in fact for fact in finding_facts(in_af))


def test_a_real_noisy_strip_gets_no_heart_rate_and_no_beat_counts():
    finding = real_finding("A00988")
    assert finding.heart_rate_bpm is not None  # the detector found something; it is not stated
    assert finding_facts(finding) == [NOT_MEASURED]
    stored = stored_facts(finding, "the recording is too noisy to be read reliably")
    assert stored["heart_rate_bpm"] is None and "beat_counts" not in stored
    assert stored["quality"] == "poor"


def test_eeg_windows_with_seizure_activity_are_summarised():
    finding = Finding(
        signal_type="EEG",
        label="Seizure Activity",
        confidence=0.95,
        probabilities={"Seizure Activity": 0.95},
        windows=windows_summary(
            4.0,
            2.0,
            [window_item(2.0 * i, 2.0 * i + 4.0, "Normal EEG", 0.9) for i in range(10)],
            seizure_fraction=0.3,
            seizure_ranges_s=[[20.0, 48.0]],
        ),
    )
    assert finding_facts(finding) == ["Seizure-like activity in 30% of 10 analysis windows (20-48 s)."]


def test_a_finding_without_measurements_adds_nothing():
    assert finding_facts(ecg_finding()) == []


def test_a_stored_result_keeps_why_it_is_inconclusive():
    stored = stored_facts(ecg_finding(), "the signal looks like an EEG")
    assert stored["inconclusive"] and stored["inconclusive_reason"] == "the signal looks like an EEG"


def test_stored_facts_hold_measurements_only():
    summary = {"counts": {"N": 30, "V": 2, "S": 1}, "duration_s": 30.0, "total_beats": 33}
    stored = stored_facts(ecg_finding(heart_rate_bpm=47.04, beat_summary=summary), None)
    assert stored == {
        "signal_type": "ECG",
        "label": "Normal Sinus Rhythm",
        "quality": "ok",
        "inconclusive": False,
        "inconclusive_reason": None,
        "duration_s": 30.0,
        "heart_rate_bpm": 47.0,
        "beat_counts": {"pvc": 2, "pac": 1},
        "total_beats": 33,
    }


def test_af_burden_and_episodes_of_a_long_ecg_are_stated():
    windows = {
        "window_s": 30.0,
        "step_s": 30.0,
        "items": [],
        "af_burden": 0.3333,
        "af_episodes": [{"start_s": 60.0, "end_s": 120.0}],
    }
    assert finding_facts(ecg_finding(windows=windows)) == [
        "Atrial fibrillation in about 33% of the recording, in 1 episode (60-120 s)."
    ]
    assert finding_facts(ecg_finding(windows={**windows, "af_burden": 0.0, "af_episodes": []})) == []
