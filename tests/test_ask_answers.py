"""/ask answers the question that was asked: emergencies first, the topic answered from the knowledge
base and cited passages, the stored result's measured facts, and only findings the service knows."""

import numpy as np
import pytest
import wfdb

import knowledge_base as kb
from explain import guard
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def client():
    import tempfile

    from api import create_app

    with tempfile.TemporaryDirectory() as tmp:
        yield create_app(
            {"database_url": f"sqlite:///{tmp}/t.db", "use_base_gpt2": False, "warm_up_models": False}
        ).test_client()


def ask(client, prompt, **extra):
    response = client.post("/ask", json={"prompt": prompt, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def about(label, confidence=0.9):
    """The body fields that put a finding on screen for /ask."""
    return {
        "classification": {"prediction": label, "confidence": confidence},
        "signal_type": kb.get_entry(label).signal_type,
    }


def first_sentence(text):
    return text.split(". ")[0]


def classify_record(client, record_id, **extra):
    record = wfdb.rdrecord(str(FIXTURES / "cinc2017" / record_id))
    body = {
        "signal": np.asarray(record.p_signal[:, 0]).tolist(),
        "signal_type": "ECG",
        "sampling_rate": record.fs,
        **extra,
    }
    response = client.post("/classify", json=body)
    assert response.status_code == 200
    return response.get_json()


def test_crushing_chest_pain_with_st_elevation_gets_emergency_advice_first(client):
    text = ask(client, "pt has crushing chest pain and ST elevation on the ecg what do i do")["response"]
    assert "call emergency services" in first_sentence(text)
    assert "This service can explain" not in text


def test_a_fast_pulse_with_dizziness_never_opens_with_not_an_emergency(client):
    body = {"classification": {"prediction": "Premature Ventricular Contractions", "confidence": 0.9}}
    text = ask(client, "pt dizzy and pulse 159, can it wait till monday?", **body)["response"]
    assert "call emergency services" in first_sentence(text)


def test_a_question_about_a_finding_is_not_the_interpretation_again(client):
    body = {"classification": {"prediction": "Atrial Fibrillation", "confidence": 0.92}}
    text = ask(client, "He drives a taxi. Can he keep driving?", **body)["response"]
    interpretation = kb.render_answer(kb.get_entry("Atrial Fibrillation"), 0.92)
    assert "driv" in text.split("\n")[0].lower()
    assert interpretation.split("\n")[1] not in text  # none of the interpretation's sections


@pytest.mark.parametrize(
    "question, words",
    [
        ("difference between PVC and PAC?", ["lower chambers", "upper chambers"]),
        ("what is a normal QT interval", ["450 ms"]),
        ("how is epilepsy diagnosed", ["EEG"]),
        ("can anxiety cause an abnormal ECG", ["Anxiety"]),
        ("she takes warfarin and ibuprofen, any interaction problem?", ["bleeding", "pharmacist"]),
        ("she is pregnant, is her epilepsy medicine safe?", ["Do not stop"]),
    ],
)
def test_the_questions_that_were_deflected_get_answers_with_sources(client, question, words):
    data = ask(client, question)
    assert all(word in data["response"] for word in words)
    assert data["sources"] and all(set(s) == {"title", "origin", "url", "licence", "passage"} for s in data["sources"])


def test_a_dose_question_is_refused_with_whom_to_ask_and_no_number(client):
    text = ask(client, "how many mg of metoprolol should i give for AF?")["response"]
    assert "can't give a medicine dose" in text and "pharmacist" in text
    assert not guard.has_dose(text)


@pytest.mark.parametrize("with_finding", [False, True])
def test_asking_whether_to_give_a_named_medicine_gets_who_decides_and_when_to_call_for_help(client, with_finding):
    body = {"classification": {"prediction": "Seizure Activity", "confidence": 0.95}} if with_finding else {}
    data = ask(client, "should I give diazepam?", **body)
    text = data["response"]
    assert "clinician" in text and "call emergency services" in text and "cannot say whether to give one" in text
    assert not guard.has_dose(text) and not text.startswith("I don't have reliable information")
    assert "rescue medicine for seizures" in [s["title"] for s in data["sources"]]


def test_a_question_naming_a_heart_medicine_says_what_it_does_beside_the_findings_answer(client):
    body = {"classification": {"prediction": "Normal Sinus Rhythm", "confidence": 0.9}}
    data = ask(client, "he is on bisoprolol, is that why his heart is slow?", **body)
    assert "Heart rhythm medicines" in data["response"] and "very slow pulse" in data["response"]
    assert {"Normal Sinus Rhythm", "heart rhythm medicine"} <= {s["title"] for s in data["sources"]}


def test_what_a_finding_can_lead_to_is_answered_from_its_significance_without_an_emergency(client):
    data = ask(
        client, "can AF cause a stroke?", classification={"prediction": "Atrial Fibrillation", "confidence": 0.9}
    )
    assert data["response"].startswith(kb.get_entry("Atrial Fibrillation").significance)
    assert "call emergency services" not in data["response"]


def test_asking_to_do_the_test_again_gets_how_to_record_well(client):
    text = ask(client, "can I do the test again tomorrow?")["response"]
    assert "fresh electrodes" in text


@pytest.mark.parametrize(
    "question, label",
    [("wat is atrial fibrilation", "Atrial Fibrillation"), ("premature ventriclar contractions meaning", None)],
)
def test_a_misspelt_finding_is_still_recognised(client, question, label):
    data = ask(client, question)
    assert not data["response"].startswith("I don't have reliable information")
    if label:
        assert data["response"].startswith(kb.get_entry(label).summary)


def test_a_long_name_is_matched_despite_a_typo_but_a_short_one_never_becomes_another():
    assert kb.find_mentions_in_question("is normal sinus rythm ok") == {"Normal Sinus Rhythm"}
    assert kb.find_mentions_in_question("what is a normal ecg") == set()  # not "Normal EEG"


def test_the_misspelt_name_search_runs_once_per_question_not_on_each_of_its_calls():
    """One /ask asks it several times, and its difflib search is the slow part of /ask (bench.ask)."""
    kb.find_mentions_in_question.cache_clear()
    for _ in range(3):
        kb.find_mentions_in_question("wat is atrial fibrilation")
    assert kb.find_mentions_in_question.cache_info().misses == 1


def test_whether_to_refer_is_answered_with_how_soon(client):
    body = {"classification": {"prediction": "Atrial Fibrillation", "confidence": 0.9}}
    text = ask(client, "refer or not?", **body)["response"]
    assert text.startswith(kb.get_entry("Atrial Fibrillation").questions["urgency"])


def test_a_childs_heart_rate_question_gets_childrens_ranges(client):
    assert "100 to 160 in babies" in ask(client, "what is the normal heart rate for a child")["response"]


@pytest.mark.parametrize(
    "greeting, opening", [("hello", "Hello."), ("thanks!", "You're welcome."), ("Thank you", "You're")]
)
def test_a_greeting_gets_a_short_reply_and_how_to_ask_without_sources(client, greeting, opening):
    data = ask(client, greeting)
    assert data["response"].startswith(opening) and "ECG or EEG result" in data["response"]
    assert data["sources"] == []


def test_questions_about_a_stored_inconclusive_result_never_present_its_label_as_the_finding(client):
    """An ECG sent as EEG: /classify names a class but reports it inconclusive (the plausibility check);
    /ask on that result says why, and frames the class's information as not confirmed."""
    record = wfdb.rdrecord(str(FIXTURES / "cinc2017" / "A00011"))
    body = {"signal": record.p_signal[:, 0].tolist(), "signal_type": "EEG", "sampling_rate": record.fs}
    result = client.post("/classify", json=body).get_json()
    assert result["inconclusive"] and "ECG" in result["inconclusive_reason"]
    iid = result["interpretation_id"]
    why = ask(client, "why is it inconclusive?", interpretation_id=iid)["response"]
    assert why.startswith(f"This result is inconclusive: {result['inconclusive_reason']}")
    for question in ("what should I do now?", "is it a seizure or not?", "can I trust this?"):
        text = ask(client, question, interpretation_id=iid)["response"]
        assert "About this result: it is inconclusive (" + result["inconclusive_reason"] in text
        assert "likely" not in text.split("About this result")[1]
        if result["classification"] in text.split("About this result")[0]:
            assert "which this result does not confirm" in text


@pytest.mark.parametrize(
    "question",
    ["what to do during a seizure", "febrile seizure in a child what to do", "how do I help someone having a fit"],
)
def test_what_to_do_during_a_fit_gets_first_aid(client, question):
    text = ask(client, question)["response"]
    assert "Do not hold them down" in text and "5 minutes" in text and "onto their side" in text


@pytest.mark.parametrize(
    "question",
    [
        "can I use this on children?",
        "does it work with a 12-lead ECG?",
        "what sampling rate do I need",
        "is my data stored?",
    ],
)
def test_questions_about_the_service_itself_get_what_it_reads_and_keeps(client, question):
    text = ask(client, question)["response"]
    assert "one ECG lead" in text and "not tested on children" in text and "not the recording itself" in text


def test_going_back_to_work_is_still_about_work_not_about_the_service(client):
    assert ask(client, "can he go back to work?")["response"].startswith("Driving and work rules")


def test_a_definition_question_naming_two_terms_defines_both(client):
    data = ask(client, "what is sinus tachycardia")
    assert "sinus node" in data["response"] and "above 100 tachycardia" in data["response"]
    assert {"sinus rhythm", "heart rate"} <= {s["title"] for s in data["sources"]}


def test_any_extra_beats_about_a_stored_result_gives_its_counts(client):
    result = classify_record(client, "A00011")
    text = ask(client, "any extra beats?", interpretation_id=result["interpretation_id"])["response"]
    assert text.startswith("The measured average heart rate") and "premature atrial contractions (PACs)" in text


def test_where_the_seizure_activity_is_comes_from_the_stored_eeg_result(client):
    segment = np.load(FIXTURES / "bonn" / "segments.npz")["S012"]
    body = {"signal": segment.tolist(), "signal_type": "EEG", "sampling_rate": 173.61}
    result = client.post("/classify", json=body).get_json()
    windows = result["windows"]
    ranges = ", ".join(f"{a:.0f}-{b:.0f} s" for a, b in windows["seizure_ranges_s"])
    for question in ("where is the seizure activity?", "how long was the seizure?"):
        text = ask(client, question, interpretation_id=result["interpretation_id"])["response"]
        assert text.startswith(f"Seizure-like activity was seen in {windows['seizure_fraction']:.0%} of the ")
        assert f"at {ranges} into the recording" in text


def test_a_noisy_result_is_not_called_general_information_it_does_not_confirm(client):
    result = classify_record(client, "A00988")
    assert result["classification"] == "Noisy Recording"
    text = ask(client, "what does this mean?", interpretation_id=result["interpretation_id"])["response"]
    assert "which this result does not confirm" not in text and "too much interference" in text


@pytest.mark.parametrize("question", ["how much diazepam for a 20 kg child", "how often should he take his bisoprolol"])
def test_how_much_of_a_named_medicine_is_a_dose_question(client, question):
    text = ask(client, question)["response"]
    assert text.startswith("I can't give a medicine dose") and not guard.has_dose(text)


def test_is_it_ok_to_give_aspirin_says_what_aspirin_is_for_and_who_decides(client):
    body = {"classification": {"prediction": "Atrial Fibrillation", "confidence": 0.9}}
    text = ask(client, "is it ok to give aspirin for AF", **body)["response"]
    assert "Antiplatelet medicines" in text and "clinician" in text


def test_an_emergency_with_nothing_else_to_say_is_only_the_emergency_advice(client):
    data = ask(client, "the patient is not breathing")
    assert data["response"].startswith("Emergency: call emergency services now")
    assert "I don't have reliable information" not in data["response"] and data["sources"] == []


def test_a_finding_named_beside_a_general_term_is_what_the_answer_starts_with(client):
    text = ask(client, "what does AF look like on ECG")["response"]
    assert text.startswith(kb.get_entry("Atrial Fibrillation").summary) and "uneven" in text


def test_what_happens_if_a_finding_is_not_treated_is_what_it_can_lead_to(client):
    text = ask(client, "what happens if AF is not treated")["response"]
    assert text.startswith(kb.get_entry("Atrial Fibrillation").significance)


def test_how_many_extra_beats_are_too_many_is_when_they_matter(client):
    text = ask(client, "how many PVCs are too many")["response"]
    assert text.startswith(kb.get_entry("Premature Ventricular Contractions").significance)


def test_what_causes_seizures_names_common_causes(client):
    assert "alcohol withdrawal" in ask(client, "what causes seizures in adults")["response"]


@pytest.mark.parametrize("question", ["what now?", "what should I do?"])
def test_what_now_after_an_inconclusive_result_is_about_the_result_not_the_class(client, question):
    body = {"classification": {"prediction": "Interictal Epileptiform Activity", "confidence": 0.45}}
    text = ask(client, question, **body)["response"]
    assert text.startswith("This result is inconclusive (the classifier's confidence (45%)")
    assert "fresh electrodes" in text and "Interictal epileptiform activity means" not in text


def test_bigeminy_is_defined(client):
    assert "every second beat" in ask(client, "what is bigeminy")["response"]


def test_a_question_outside_the_field_is_answered_honestly_without_the_finding(client):
    body = {"classification": {"prediction": "Atrial Fibrillation", "confidence": 0.92}}
    data = ask(client, "he also has diabetes, how should I treat his sugar?", **body)
    assert data["response"].startswith("I don't have reliable information on that.")
    assert "Atrial Fibrillation" not in data["response"] and data["sources"] == []


def test_a_label_the_classifiers_never_report_is_refused_with_the_known_ones(client):
    response = client.post("/ask", json={"prompt": "q", "classification": {"prediction": "Cancer", "confidence": 0.99}})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert all(label in error for label in kb.labels())


def test_the_heart_rate_question_is_answered_from_the_stored_result(client):
    result = classify_record(client, "A00011")
    data = ask(client, "what is the heart rate on this ecg?", interpretation_id=result["interpretation_id"])
    assert f"about {result['heart_rate_bpm']:.0f} beats per minute" in data["response"]
    assert data["classification"]["prediction"] == result["classification"]


def test_is_47_too_slow_is_answered_against_the_usual_range(client):
    result = classify_record(client, "A00011")
    text = ask(client, "is 47 too slow?", interpretation_id=result["interpretation_id"])["response"]
    assert "47 beats per minute is slower than the usual resting range of 60 to 100" in text


def test_a_noisy_stored_result_gives_no_heart_rate(client):
    result = classify_record(client, "A00988")
    assert result["heart_rate_bpm"] is None
    text = ask(client, "what is the heart rate?", interpretation_id=result["interpretation_id"])["response"]
    assert "too noisy to measure the heart rate" in text and "beats per minute" not in text


def test_an_unknown_interpretation_id_is_a_404(client):
    response = client.post("/ask", json={"prompt": "heart rate?", "interpretation_id": "nope"})
    assert response.status_code == 404


def test_red_flags_in_the_clinical_context_come_first_and_never_change_the_finding(client):
    calm = classify_record(client, "A02506")
    urgent = classify_record(client, "A02506", clinical_context="crushing chest pain since 1 hour")
    assert "call emergency services" in first_sentence(urgent["interpretation"])
    assert urgent["classification"] == calm["classification"]
    assert urgent["confidence"] == calm["confidence"]
    assert not calm["interpretation"].startswith("Emergency")


AF = about("Atrial Fibrillation")


def test_breastfeeding_is_answered_as_breastfeeding_not_as_pregnancy(client):
    text = ask(client, "my patient's ECG says AF, can she still breastfeed?", **AF)["response"]
    assert text.startswith("A heart rhythm or brain-wave finding is rarely a reason") and "pharmacist" in text
    assert "unborn baby" not in text


def test_whether_a_finding_runs_in_families_is_answered(client):
    text = ask(client, "is AF hereditary?", **AF)["response"]
    assert "run in families" in text and "died suddenly" in text


def test_whether_af_goes_away_gets_the_findings_own_outlook(client):
    text = ask(client, "does AF go away on its own?", **AF)["response"]
    assert text.startswith("At first it may come and go") and "risk of stroke stays" in text


def test_every_entry_answers_the_outlook_in_its_own_words():
    assert all("clinician" in entry.questions["outlook"] for entry in map(kb.get_entry, kb.labels()))


@pytest.mark.parametrize("question", ["child had seizure with fever, is EEG needed?", "what is a febrile seizure"])
def test_a_fever_fit_gets_the_febrile_seizure_answer_first(client, question):
    text = ask(client, question)["response"]
    assert text.startswith("A febrile seizure is a fit brought on by a fever") and "usually not needed" in text
    assert "A seizure is a burst" not in text  # "seizure" inside "febrile seizure" is not a second term


def test_bleeding_on_a_blood_thinner_gets_the_prescriber_today_and_when_it_is_an_emergency(client):
    text = ask(client, "my patient is on warfarin and bleeding from the gums", **AF)["response"]
    assert text.startswith("Heart and seizure medicines can have side effects")
    assert "the same day" in text and "vomiting blood" in text and "Do not stop the medicine" in text


def test_heavy_bleeding_on_a_blood_thinner_opens_with_emergency_advice(client):
    text = ask(client, "on warfarin and vomiting blood", **AF)["response"]
    assert first_sentence(text).startswith("Emergency: call emergency services now")


@pytest.mark.parametrize(
    "question",
    ["she forgot her epilepsy tablets for 2 days", "he ran out of keppra yesterday", "missed two doses of apixaban"],
)
def test_a_missed_or_run_out_medicine_gets_what_to_do_without_a_dose(client, question):
    text = ask(client, question)["response"]
    assert text.startswith("A missed dose of a seizure medicine") and "Do not give a double dose" in text
    assert not guard.has_dose(text)


def test_skipped_beats_are_not_a_missed_medicine(client):
    text = ask(client, "he takes bisoprolol and has missed beats")["response"]
    assert not text.startswith("A missed dose")


def test_what_to_tell_the_family_says_how_and_what_in_plain_words(client):
    text = ask(client, "what should I tell the family", **AF)["response"]
    assert text.startswith("Use plain words and short sentences")
    assert "In plain words: Atrial fibrillation is a common heart rhythm problem" in text
    assert "Get help at once for: chest pain or pressure" in text


def test_what_to_tell_about_an_inconclusive_result_is_that_it_gave_no_clear_answer(client):
    body = about("Seizure Activity", 0.45)
    text = ask(client, "how do I explain this to her", **body)["response"]
    assert "did not give a clear answer" in text and "In plain words" not in text


def test_how_to_take_a_pulse(client):
    text = ask(client, "how do I take a pulse")["response"]
    assert text.startswith("To take a pulse") and "full minute" in text


def test_flying_as_a_passenger_is_travel_and_flying_as_a_pilot_is_work(client):
    assert ask(client, "is it ok for her to fly", **AF)["response"].startswith("Most people whose heart rhythm problem")
    assert ask(client, "can a pilot fly with atrial fibrillation")["response"].startswith("Driving and work rules")


def test_whether_a_finding_should_be_referred_gets_how_soon(client):
    other = about("Other Rhythm")
    text = ask(client, "should other rhythm be referred", **other)["response"]
    assert text.startswith(kb.get_entry("Other Rhythm").questions["urgency"])


def test_a_pacemaker_is_defined_and_the_service_says_it_was_not_tested_on_paced_ecgs(client):
    assert "not built or tested for people with a pacemaker" in ask(client, "what is a pacemaker")["response"]
    assert "nor on people with a pacemaker" in ask(client, "my patient has a pacemaker, can I use this?")["response"]


def test_skipping_beats_are_palpitations_and_their_causes_come_first(client):
    assert ask(client, "why is my heart skipping beats")["response"].startswith("Palpitations are the feeling")


def test_the_rate_a_question_states_is_the_number_next_to_hr_not_the_age(client):
    text = ask(client, "he is 70 and HR 45, takes bisoprolol, is that ok")["response"]
    assert text.startswith("45 beats per minute is slower") and "A very slow pulse" in text


def test_a_heartbeat_that_changes_with_breathing_is_explained_as_sinus_arrhythmia(client):
    nsr = about("Normal Sinus Rhythm")
    text = ask(client, "is it normal for the heart to beat irregularly when breathing", **nsr)["response"]
    assert "speeds up a little when breathing in" in text


def test_what_the_family_should_do_at_the_next_fit_is_first_aid(client):
    seizure = about("Seizure Activity")
    text = ask(client, "what should the family do if she has another fit", **seizure)["response"]
    assert text.startswith("During a fit, stay with the person")


def test_whether_she_can_have_a_baby_is_about_pregnancy(client):
    iea = about("Interictal Epileptiform Activity")
    assert ask(client, "can she have a baby", **iea)["response"].startswith("Pregnancy changes the heart")


@pytest.mark.parametrize("question", ["what should I do", "pt 65yo AF on ECG what todo"])
def test_what_to_do_after_a_finding_gets_its_follow_up_steps(client, question):
    assert ask(client, question, **AF)["response"].startswith(kb.get_entry("Atrial Fibrillation").follow_up)


def test_is_it_a_heart_attack_says_a_strip_cannot_show_it_and_when_to_call(client):
    other = about("Other Rhythm")
    text = ask(client, "is it heart attack", **other)["response"]
    assert "cannot show or rule out a heart attack" in text and "emergency care now" in text


def test_whether_the_baby_will_get_it_too_is_about_families(client):
    iea = about("Interictal Epileptiform Activity")
    assert "run in families" in ask(client, "mother asking if baby will get epilepsy too", **iea)["response"]


def test_playing_football_is_about_exercise_but_the_football_score_is_off_field(client):
    pvc = about("Premature Ventricular Contractions")
    assert "advise on exercise" in ask(client, "can he play football", **pvc)["response"]
    assert ask(client, "who won the football yesterday")["response"].startswith("I don't have reliable information")


@pytest.mark.parametrize("label", ["Normal EEG", "Normal Sinus Rhythm"])
def test_an_inconclusive_result_is_never_called_not_urgent_or_defined_as_its_class(client, label):
    body = about(label, 0.45)
    serious = ask(client, "is it serious?", **body)["response"]
    assert serious.startswith("This result is inconclusive") and "cannot say how urgent" in serious
    assert kb.get_entry(label).questions["urgency"] not in serious
    meaning = ask(client, "what does this mean for the patient?", **body)["response"]
    assert meaning.startswith("This result is inconclusive") and kb.get_entry(label).summary not in meaning


def test_herbal_remedies_with_a_blood_thinner_are_an_interactions_question(client):
    text = ask(client, "he is on warfarin and wants to take herbal remedies")["response"]
    assert text.startswith("Some medicines change how others work") and "herbal remedies" in text


def test_whether_to_redo_an_inconclusive_recording_gets_how_to_record_well(client):
    body = about("Atrial Fibrillation", 0.45)
    text = ask(client, "result was inconclusive, should I redo it", **body)["response"]
    assert text.startswith("To get a clearer recording")


@pytest.mark.parametrize(
    "question", ["she takes the pill and lamotrigine, any problem?", "can he drink alcohol with his epilepsy medicine"]
)
def test_a_named_medicine_with_the_pill_or_alcohol_is_an_interactions_question(client, question):
    text = ask(client, question)["response"]
    assert text.startswith("Some medicines change how others work") and "contraceptive pill less reliable" in text


@pytest.mark.parametrize(
    "question, opening",
    [
        ("baby heart rate 180 is it normal", "180 beats per minute is faster than the usual resting range for a baby"),
        ("my 8 year old has a pulse of 95", "95 beats per minute is inside the usual resting range for a school-age"),
        ("pulse 50 in a newborn", "50 beats per minute is slower than the usual resting range for a baby"),
    ],
)
def test_a_childs_stated_heart_rate_is_judged_against_childrens_ranges(client, question, opening):
    assert ask(client, question)["response"].startswith(opening)


def test_what_causes_a_fast_heart_rate_gets_causes_not_the_normal_ranges(client):
    text = ask(client, "can anemia cause fast heart rate")["response"]
    assert text.startswith("Heart rate is the number of beats") and "anaemia" in text


def test_a_heart_rate_stated_in_a_question_on_another_topic_is_still_judged(client):
    text = ask(client, "is a heart rate of 120 dangerous in pregnancy")["response"]
    assert text.startswith("Pregnancy changes the heart") and "120 beats per minute is faster" in text


def test_how_much_af_in_a_one_minute_record_says_it_was_read_whole(client):
    result = classify_record(client, "A02506")
    assert result["classification"] == "Atrial Fibrillation" and not result["inconclusive"]
    text = ask(client, "how much of the recording was AF?", interpretation_id=result["interpretation_id"])["response"]
    assert text.startswith("This recording was read as a whole and was called atrial fibrillation")
    assert "longer than about a minute" in text


def test_whether_she_can_go_home_is_about_urgency(client):
    assert ask(client, "can she go home?", **AF)["response"].startswith(
        kb.get_entry("Atrial Fibrillation").questions["urgency"]
    )


def test_what_to_write_in_the_referral(client):
    text = ask(client, "what should I write in the referral?", **AF)["response"]
    assert text.startswith("In the referral, give the reason") and "Send the recording itself" in text


def test_epileptiform_discharges_are_not_a_hospital_discharge():
    from knowledge_base import topics as kb_topics

    assert kb_topics.topic_of("what are interictal discharges").id == "definition"
    assert kb_topics.topic_of("can we discharge him today").id == "urgency"


@pytest.mark.parametrize("question", ["she is fitting right now", "he is shaking and not responding"])
def test_a_fit_happening_now_gets_emergency_advice_and_then_first_aid(client, question):
    text = ask(client, question)["response"]
    assert first_sentence(text).startswith("Emergency: call emergency services now")
    assert "Do not hold them down" in text and "onto their side" in text


@pytest.mark.parametrize(
    "question", ["where do I put the electrodes for a single lead", "how long should I record the EEG"]
)
def test_where_to_place_electrodes_and_how_long_to_record(client, question):
    text = ask(client, question)["response"]
    assert text.startswith("To get a clearer recording") and "right and left arm" in text and "4 seconds" in text


def test_the_result_on_screen_comes_first_when_the_question_names_another_finding_by_its_abbreviation(client):
    other = about("Other Rhythm")
    text = ask(client, "why does the result say other rhythm and not AF", **other)["response"]
    assert text.startswith("Other Rhythm: ") and "Atrial Fibrillation: " in text


def test_whether_pacs_can_turn_into_af_is_answered_from_their_significance(client):
    pac = about("Premature Atrial Contractions")
    text = ask(client, "can PACs turn into AF", **pac)["response"]
    assert text.startswith(kb.get_entry("Premature Atrial Contractions").significance)


def test_the_warning_signs_of_the_finding_on_screen_are_its_own_red_flags(client):
    seizure = about("Seizure Activity")
    text = ask(client, "what are the warning signs", **seizure)["response"]
    assert text.startswith("Get help at once for: " + "; ".join(kb.get_entry("Seizure Activity").red_flags))
    assert ask(client, "when should I call for help with palpitations")["response"].startswith("Get emergency help")


def test_a_passage_sharing_only_words_about_the_kind_of_answer_is_not_cited():
    from explain.answering import relevant
    from retrieval.passages import Passage

    def passage(title, text):
        return Passage("d", title, "MedQuAD", "https://example.org", "CC BY", text)

    diabetes = passage("Prevent diabetes problems", "Warning signs of a heart attack include chest pain.")
    seizures = passage("Seizures", "Warning signs before a seizure activity episode can include odd feelings.")
    assert not relevant(diabetes, "what are the warning signs", "Seizure Activity")
    assert relevant(seizures, "what are the warning signs", "Seizure Activity")
    assert relevant(diabetes, "warning signs of a heart attack")  # "heart", "attack" say what it is about


def test_a_count_of_extra_beats_is_not_read_as_a_heart_rate(client):
    pvc = about("Premature Ventricular Contractions")
    text = ask(client, "PVCs 20 per minute is that a lot", **pvc)["response"]
    assert text.startswith(kb.get_entry("Premature Ventricular Contractions").significance)
    assert "20 beats per minute" not in text


@pytest.mark.parametrize("question", ["can a faint look like a seizure", "is a faint different from a fit"])
def test_asking_how_a_faint_differs_from_a_fit_is_not_an_emergency(client, question):
    assert not ask(client, question)["response"].startswith("Emergency")


@pytest.mark.parametrize(
    "question, opening",
    [
        ("what is CHA2DS2-VASc", "CHA2DS2-VASc is a score clinicians use"),
        ("what is an echo", "An echocardiogram (echo) is an ultrasound scan"),
        ("what is SVT", "Supraventricular tachycardia (SVT) is a fast, regular rhythm"),
        ("what is ventricular tachycardia", "Ventricular tachycardia (VT) is a fast rhythm"),
        ("what is a spike on EEG", "Spikes and sharp waves are brief, pointed waves"),
        ("child staring spells, what EEG finding", "Absence seizures are short spells"),
    ],
)
def test_heart_and_eeg_words_health_workers_meet_are_defined(client, question, opening):
    assert ask(client, question)["response"].startswith(opening)


def test_how_to_stop_a_seizure_is_first_aid_with_the_rescue_medicine_plan(client):
    text = ask(client, "how do I stop a seizure")["response"]
    assert text.startswith("During a fit, stay with the person") and "rescue medicine" in text


@pytest.mark.parametrize(
    "question, words",
    [
        ("he is on phenytoin and feels drunk and unsteady", "the level may be too high"),
        ("patient with AF is on digoxin and vomiting", "On digoxin, sickness, vomiting"),
    ],
)
def test_signs_of_too_much_of_a_medicine_are_side_effects_for_the_same_day(client, question, words):
    text = ask(client, question)["response"]
    assert text.startswith("Heart and seizure medicines can have side effects") and words in text


def test_the_recovery_position_is_explained(client):
    assert ask(client, "what is the recovery position")["response"].startswith("The recovery position keeps the airway")
