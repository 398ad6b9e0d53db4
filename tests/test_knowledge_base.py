"""The knowledge base: complete entries for every class, whole-word mentions, and band wording."""

from __future__ import annotations

import json
import re

import pytest

import knowledge_base as kb
from classifier import models_info
from classifier.signal_types import BEAT_CLASSES, BEAT_FINDINGS, SIGNAL_TYPES

ECG_RHYTHMS = list(SIGNAL_TYPES["ECG"].classes)
ECG_BEATS = list(BEAT_FINDINGS.values())
EEG_CLASSES = list(SIGNAL_TYPES["EEG"].classes)
ALL_LABELS = ECG_RHYTHMS + ECG_BEATS + EEG_CLASSES
ENTRIES = kb.load_entries()
HEADINGS = ["1. Explanation of the finding", "2. Clinical significance", "3. Recommended follow-up actions"]
DECISION_LINE = "This is decision support, not a diagnosis: a qualified clinician must confirm the finding."


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s]


def test_the_class_table_is_what_the_committed_models_report():
    reported = {kind: [tuple(m["classes"]) for m in models] for kind, models in models_info().items()}
    assert reported == {"ECG": [SIGNAL_TYPES["ECG"].classes, BEAT_CLASSES], "EEG": [SIGNAL_TYPES["EEG"].classes]}
    assert set(BEAT_FINDINGS) <= set(BEAT_CLASSES)


def test_every_class_the_classifiers_emit_has_an_entry_of_its_signal_type():
    assert kb.labels() == sorted(ALL_LABELS)
    assert kb.labels("ECG") == sorted(ECG_RHYTHMS + ECG_BEATS)
    assert kb.labels("eeg") == sorted(EEG_CLASSES)


@pytest.mark.parametrize("label", ALL_LABELS)
def test_every_entry_has_every_part_at_the_agreed_length(label):
    entry = ENTRIES[label]
    assert entry.label == label
    assert 1 <= len(sentences(entry.summary)) <= 2
    for part in (entry.explanation, entry.significance, entry.follow_up):
        assert 2 <= len(sentences(part)) <= 6, part
    assert 1 <= len(sentences(entry.limitations)) <= 3
    assert entry.red_flags and all(flag.strip() for flag in entry.red_flags)
    assert set(entry.questions) == {"treatment", "causes", "urgency", "lifestyle", "outlook"}
    assert all("clinician" in answer for answer in entry.questions.values())
    assert kb.find_mentions(label) == {label}


@pytest.mark.parametrize("label", EEG_CLASSES)
def test_eeg_entries_say_a_single_channel_segment_cannot_replace_a_full_eeg_review(label):
    caveat = "single-channel segment cannot replace a full clinical EEG review"
    assert caveat in ENTRIES[label].limitations


@pytest.mark.parametrize("label", ECG_RHYTHMS + ECG_BEATS)
def test_ecg_entries_say_what_a_short_single_lead_recording_cannot_show(label):
    limitations = ENTRIES[label].limitations.lower()
    assert "single-lead" in limitations and "cannot" in limitations


def test_texts_carry_no_drug_doses():
    dose = re.compile(r"\d+(\.\d+)?\s*(mg|mcg|µg|ml|units?)\b", re.I)
    for entry in ENTRIES.values():
        assert not dose.search(json.dumps(entry.__dict__)), entry.label


def test_the_entries_are_worded_for_their_findings():
    af, pvc, seizure, noisy = (
        ENTRIES[label]
        for label in (
            "Atrial Fibrillation",
            "Premature Ventricular Contractions",
            "Seizure Activity",
            "Noisy Recording",
        )
    )
    assert "stroke" in af.significance and "CHA2DS2-VASc" in af.follow_up
    assert "anticoagulation" in af.follow_up and "clinician" in af.follow_up
    assert "harmless" in pvc.significance and "30 in an hour" in pvc.significance
    assert "urgent" in seizure.follow_up.lower() and "emergency" in seizure.follow_up.lower()
    assert "electrode" in noisy.follow_up and "says nothing about whether" in noisy.significance


def test_get_entry_finds_labels_and_synonyms_regardless_of_case():
    assert kb.get_entry("atrial FIBRILLATION").label == "Atrial Fibrillation"
    assert kb.get_entry("AFib").label == "Atrial Fibrillation"
    assert kb.get_entry("PVC").label == "Premature Ventricular Contractions"
    assert kb.get_entry("Sinus Tachycardia") is None


def test_find_mentions_matches_whole_words_only():
    assert kb.find_mentions("After the visit the patient felt better.") == set()
    af = {"Atrial Fibrillation"}
    assert kb.find_mentions("Rates of AF rise with age; A-Fib is common.") == af
    assert kb.find_mentions("Frequent PVCs and occasional PACs were seen.") == {
        "Premature Ventricular Contractions",
        "Premature Atrial Contractions",
    }
    assert kb.find_mentions("Spacing of the electrodes (capacity) matters.") == set()
    assert kb.find_mentions("Interictal spikes were recorded.") == {"Interictal Epileptiform Activity"}
    assert kb.find_mentions("post-ictal activity and interictal changes") == set()


def test_the_word_normal_alone_names_no_finding():
    assert kb.find_mentions("The heart rate was normal and the patient looked normal.") == set()
    assert kb.find_mentions("This is a normal sinus rhythm.") == {"Normal Sinus Rhythm"}
    assert kb.find_mentions("A normal EEG does not exclude epilepsy.") == {"Normal EEG"}


def test_no_name_belongs_to_two_entries():
    names = [name for entry in ENTRIES.values() for name in {entry.label.lower(), *entry.synonyms}]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("label", ALL_LABELS)
def test_each_entry_rendered_names_its_own_finding_and_no_other(label):
    """The guard refuses texts that name another finding, so our own texts must not do it."""
    for confidence in (0.3, 0.7, 0.95):
        for topic in (None, *kb.TOPICS):
            assert kb.find_mentions(kb.render_answer(ENTRIES[label], confidence, topic)) == {label}


def test_confidence_bands_change_exactly_at_the_documented_thresholds():
    assert (kb.INCONCLUSIVE_BELOW, kb.LIKELY_BELOW) == (0.6, 0.8)
    assert kb.confidence_band(0.0) == "inconclusive"
    assert kb.confidence_band(0.5999) == "inconclusive"
    assert kb.confidence_band(0.6) == "possible"
    assert kb.confidence_band(0.7999) == "possible"
    assert kb.confidence_band(0.8) == "likely"
    assert kb.confidence_band(1.0) == "likely"


@pytest.mark.parametrize("label", ALL_LABELS)
@pytest.mark.parametrize("confidence", [0.2, 0.65, 0.92])
def test_every_answer_has_the_three_headings_red_flags_and_the_decision_line(label, confidence):
    text = kb.render_answer(ENTRIES[label], confidence)
    lines = text.splitlines()
    positions = [lines.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    assert any(line.startswith("Seek urgent care if: ") for line in lines)
    assert ENTRIES[label].limitations in lines
    assert lines[-1] == DECISION_LINE


def test_a_likely_answer_states_the_finding_and_a_possible_one_asks_for_confirmation():
    af = ENTRIES["Atrial Fibrillation"]
    likely = kb.render_answer(af, 0.92)
    assert likely.startswith("Result: Atrial Fibrillation (likely, 92% confidence).")
    assert af.explanation in likely and af.follow_up in likely
    possible = kb.render_answer(af, 0.7)
    assert possible.startswith("Result: possible Atrial Fibrillation (70% confidence).")
    assert "Confirm it with a repeat recording or a standard 12-lead ECG" in possible


@pytest.mark.parametrize("label", [label for label in ALL_LABELS if label != "Noisy Recording"])
def test_an_inconclusive_answer_never_states_the_finding_as_fact(label):
    entry = ENTRIES[label]
    text = kb.render_answer(entry, 0.45, topic="treatment")
    assert text.splitlines()[2].startswith("Result: inconclusive (45% confidence).")
    assert f"The model leaned towards {label}, but not strongly enough" in text
    assert "Repeat the recording" in text and "specialist" in text
    assert f"Result: {label}" not in text and f"possible {label}" not in text
    # The class is named only where the text says the model leaned towards it or that no conclusion
    # may be drawn about it, and the entry's own account of the finding is left out.
    for line in text.splitlines():
        if label in line:
            assert (
                "leaned towards" in line
                or "No conclusion about" in line
                or "which this result does not confirm" in line
            ), line
    assert entry.explanation not in text and entry.significance not in text


def test_a_noisy_recording_is_inconclusive_at_any_confidence():
    noisy = ENTRIES["Noisy Recording"]
    for confidence in (0.3, 0.99):
        text = kb.render_answer(noisy, confidence)
        assert text.startswith("Result: inconclusive.")
        assert "electrode" in text and text.endswith(DECISION_LINE)


def test_a_topic_puts_its_short_answer_first():
    seizure = ENTRIES["Seizure Activity"]
    text = kb.render_answer(seizure, 0.9, topic="urgency")
    assert text.startswith(seizure.questions["urgency"] + "\n\n")
    with pytest.raises(ValueError, match="unknown topic"):
        kb.render_answer(seizure, 0.9, topic="prognosis")


def write_entry(directory, **changes):
    data = json.loads((kb.ENTRIES_DIR / "atrial_fibrillation.json").read_text(encoding="utf-8"))
    data.update(changes)
    path = directory / "atrial_fibrillation.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_file_with_a_missing_key_is_refused_with_its_name(tmp_path):
    path = write_entry(tmp_path)
    data = json.loads(path.read_text())
    del data["red_flags"]
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"atrial_fibrillation\.json: missing keys.*red_flags"):
        kb.load_entries(tmp_path)


def test_a_file_with_an_empty_text_is_refused_with_its_name(tmp_path):
    write_entry(tmp_path, significance="  ")
    with pytest.raises(ValueError, match=r"atrial_fibrillation\.json.*significance"):
        kb.load_entries(tmp_path)


def test_a_synonym_claimed_by_two_entries_is_refused(tmp_path):
    write_entry(tmp_path)
    other = json.loads((kb.ENTRIES_DIR / "other_rhythm.json").read_text(encoding="utf-8"))
    other["synonyms"].append("af")
    (tmp_path / "other_rhythm.json").write_text(json.dumps(other), encoding="utf-8")
    with pytest.raises(ValueError, match=r"other_rhythm\.json.*'af'"):
        kb.load_entries(tmp_path)


def test_an_abstained_finding_is_inconclusive_at_high_confidence_and_says_why():
    reason = "the recording is unlike the recordings this model was trained on"
    text = kb.render_answer(ENTRIES["Seizure Activity"], 0.97, reason=reason)
    assert text.startswith(f"Result: inconclusive (97% confidence). Why: {reason}.\n")
    assert "is not reported as a finding" in text
