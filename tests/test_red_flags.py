"""Every reviewed red flag is found in the words health workers use, and only when present."""

import pytest

from knowledge_base.red_flags import emergency_advice, find_red_flags, flags

EXAMPLES = {
    "chest_pain": "pt has crushing chest pain, what do i do",
    "st_elevation": "the ecg shows ST elevation in the chest leads",
    "fainting": "she fainted twice this morning",
    "unresponsive": "he is shaking and not responding",
    "breathless_at_rest": "short of breath at rest since last night",
    "fast_rate_with_symptoms": "pt dizzy and pulse 159, can it wait till monday?",
    "slow_rate_with_symptoms": "HR 38 and feels weak and dizzy",
    "ongoing_seizure": "she is still seizing, what now",
    "long_seizure": "the seizure lasted 7 minutes",
    "status_epilepticus": "is status epilepticus an emergency?",
    "stroke_signs": "new weakness of the left arm and slurred speech",
    "seizure_with_injury": "he had a seizure and hit his head",
    "major_bleeding": "on warfarin and vomiting blood since this morning",
    "severe_headache": "sudden severe headache then confusion",
}


def test_every_flag_in_the_data_file_has_an_example_here():
    assert set(EXAMPLES) == {flag.id for flag in flags()}


@pytest.mark.parametrize("flag_id, text", sorted(EXAMPLES.items()))
def test_each_flag_is_found_in_plain_phrasing(flag_id, text):
    assert flag_id in {flag.id for flag in find_red_flags(text)}


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain, just palpitations now and then",
        "pulse 159 after a run, feels fine",  # fast without symptoms
        "pulse 38 in a marathon runner, no symptoms",  # slow without symptoms
        "what is a normal QT interval",
        "how is epilepsy diagnosed",
        "can AF cause a stroke?",  # a question about risk, not signs of one now
        "what is her stroke risk with this rhythm",
        "are PVCs a sign of heart attack",  # a question about what PVCs mean
        "what are the signs of a stroke",
        "my patient is on warfarin and bleeding from the gums",  # the prescriber today, not 999
        "can seizure medicines be used in pregnancy",  # a question about medicines, not a fit now
        "is valproate for seizures safe in pregnancy",
        "is it safe to get pregnant if she has seizures",
        "is it safe for someone with seizures to take a bath",  # advice, not a fit in the bath
    ],
)
def test_no_flag_without_the_red_flag(text):
    assert find_red_flags(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "I think she is having a stroke",
        "signs of a stroke since this morning",
        "stroke symptoms?",
        "he had a stroke an hour ago",
    ],
)
def test_a_stroke_happening_now_is_a_red_flag(text):
    assert "stroke_signs" in {flag.id for flag in find_red_flags(text)}


@pytest.mark.parametrize("text", ["I think he is having a heart attack", "heart attack an hour ago, what now"])
def test_a_heart_attack_happening_now_is_a_red_flag(text):
    assert "st_elevation" in {flag.id for flag in find_red_flags(text)}


@pytest.mark.parametrize(
    "text",
    [
        "she is pregnant and had a fit",
        "has fits and is 30 weeks pregnant",
        "is the seizure activity dangerous for the baby, she is pregnant",
        "fell and hit her head during a fit",
    ],
)
def test_a_fit_in_pregnancy_is_a_red_flag_in_everyday_words(text):
    assert "seizure_with_injury" in {flag.id for flag in find_red_flags(text)}


def test_the_advice_says_to_call_emergency_services_in_its_first_sentence():
    advice = emergency_advice(find_red_flags("crushing chest pain"))
    first_sentence = advice.split(". ")[0]
    assert "call emergency services" in first_sentence and "chest pain" in first_sentence
    assert emergency_advice([]) == ""


def test_the_stated_heart_rate_is_the_number_nearest_a_rate_word():
    from knowledge_base.red_flags import stated_heart_rate

    assert stated_heart_rate("he is 70 and HR 45") == 45
    assert stated_heart_rate("pulse of 150 in a 60 year old") == 150
    assert stated_heart_rate("she is 70 years old") is None
