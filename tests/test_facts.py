"""Measured facts are stated from the Finding's numbers, and frequent ectopy is called out."""
from classifier.finding import Finding, window_item, windows_summary
from explain.facts import finding_facts


def ecg_finding(**fields):
    return Finding(signal_type="ECG", label="Normal Sinus Rhythm", confidence=0.9,
                   probabilities={"Normal Sinus Rhythm": 0.9}, **fields)


def test_frequent_pvcs_are_called_frequent():
    summary = {"counts": {"N": 2000, "V": 40, "S": 2}, "per_hour": {"N": 4000, "V": 80.0, "S": 4.0}}
    facts = finding_facts(ecg_finding(heart_rate_bpm=71.6, beat_summary=summary))
    assert facts[0] == "Average heart rate: about 72 beats per minute."
    assert "40 premature ventricular contractions (PVCs) counted, about 80 per hour. That is frequent" in facts[1]
    assert "2 premature atrial" in facts[2] and "frequent" not in facts[2]


def test_eeg_windows_with_seizure_activity_are_summarised():
    finding = Finding(signal_type="EEG", label="Seizure Activity", confidence=0.95,
                      probabilities={"Seizure Activity": 0.95},
                      windows=windows_summary(4.0, 2.0, [window_item(2.0 * i, 2.0 * i + 4.0, "Normal EEG", 0.9)
                                                         for i in range(10)],
                                              seizure_fraction=0.3, seizure_ranges_s=[[20.0, 48.0]]))
    assert finding_facts(finding) == ["Seizure-like activity in 30% of 10 analysis windows (20-48 s)."]


def test_a_finding_without_measurements_adds_nothing():
    assert finding_facts(ecg_finding()) == []


def test_beat_counts_from_a_poor_recording_are_not_stated():
    summary = {"counts": {"V": 40}, "per_hour": {"V": 80.0}, "quality": "poor"}
    assert finding_facts(ecg_finding(beat_summary=summary)) == []
