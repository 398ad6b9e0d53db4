"""Model resolution, the spec's startup lines, and guarded generation with its fallbacks."""

import shutil
import threading
import time

import pytest

import inference
from explain import guard
from explain.chain import Explainer
from explain.generators import (
    DECISION_SUPPORT,
    FINE_TUNED,
    Busy,
    GenerationSlots,
    GPT2Generator,
    KnowledgeBaseGenerator,
    TemplateGenerator,
)
from explain.model_loading import load_model_and_tokenizer
from explain.request import INTERPRETATION, QUERY, ExplainRequest
from explain.settings import GenerationSettings

AF = {"prediction": "Atrial Fibrillation", "confidence": 0.92}


@pytest.fixture(autouse=True)
def no_env_model(monkeypatch):
    monkeypatch.delenv("MEDICAL_GPT2_PATH", raising=False)


def test_a_saved_gpt2_directory_prints_the_fine_tuned_line(tiny_gpt2_dir, capsys):
    status = inference.initialize_llm(model_path=str(tiny_gpt2_dir), try_base_model=False)
    assert f"✓ Fine-tuned medical GPT-2 model configured: {tiny_gpt2_dir}" in capsys.readouterr().out
    assert status["active"] == "fine-tuned GPT-2"
    assert status["chain"] == ["fine-tuned GPT-2", "knowledge base", "template"]


def test_the_environment_variable_is_used_when_no_path_is_given(tiny_gpt2_dir, monkeypatch, capsys):
    monkeypatch.setenv("MEDICAL_GPT2_PATH", str(tiny_gpt2_dir))
    assert inference.initialize_llm(try_base_model=False)["model_path"] == str(tiny_gpt2_dir)
    assert "✓ Fine-tuned medical GPT-2 model configured" in capsys.readouterr().out


def test_an_incomplete_directory_is_named_and_skipped_without_a_crash(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{}")
    status = inference.initialize_llm(model_path=str(tmp_path), try_base_model=False)
    out = capsys.readouterr().out
    assert "missing model weights" in out and "tokenizer files" in out
    assert "config.json" not in out.split("missing")[1]
    assert status["active"] == "knowledge base"


def half_written(path):
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])


def garbage_weights(path):
    (path / "model.safetensors").write_bytes(b"not a tensor file" * 64)


def garbage_pickle(path):
    (path / "model.safetensors").unlink()
    (path / "pytorch_model.bin").write_bytes(b"not a pickle" * 64)


def corrupt_config(path):
    (path / "config.json").write_text("{not json")


@pytest.mark.parametrize("damage", [half_written, garbage_weights, garbage_pickle, corrupt_config])
def test_a_corrupt_model_directory_is_announced_and_the_knowledge_base_answers(tiny_gpt2_dir, tmp_path, capsys, damage):
    model_dir = tmp_path / "model"
    shutil.copytree(tiny_gpt2_dir, model_dir)
    damage(model_dir)
    status = inference.initialize_llm(model_path=str(model_dir), try_base_model=False)
    assert f"⚠ Fine-tuned model at {model_dir} could not be loaded" in capsys.readouterr().out
    assert status["chain"] == ["knowledge base", "template"]


def test_a_missing_directory_falls_back_to_the_knowledge_base(capsys):
    status = inference.initialize_llm(model_path="/no/such/model", try_base_model=False)
    out = capsys.readouterr().out
    assert "/no/such/model cannot be used: missing the directory itself" in out
    assert inference.NO_MODEL_LINE in out
    assert status["chain"] == ["knowledge base", "template"]


def test_nonsense_from_the_model_is_refused_and_the_knowledge_base_answers(tiny_gpt2_dir):
    inference.initialize_llm(
        model_path=str(tiny_gpt2_dir), try_base_model=False, settings=GenerationSettings(max_new_tokens=40)
    )
    explanation = inference.explain_finding(
        inference._finding_from_result(AF, "ECG"), "Patient presents with palpitations"
    )
    assert explanation.generator == "knowledge base"
    assert explanation.rejected and explanation.rejected[0][0] == "fine-tuned GPT-2"
    assert "Atrial Fibrillation" in explanation.text
    assert DECISION_SUPPORT in explanation.text


def test_the_spec_programmatic_usage_returns_text():
    inference.initialize_llm(try_base_model=False)
    text = inference.explain_with_llm(AF, signal_type="ECG", clinical_context="Patient presents with palpitations")
    assert "Atrial Fibrillation" in text and "1. Explanation of the finding" in text
    answer = inference.generate_prompt_based_response("What are the treatment options?", AF, "ECG")
    assert "Atrial Fibrillation" in answer and DECISION_SUPPORT in answer


class ScriptedModel:
    """A language-model stand-in that writes a fixed text, to exercise the guard's pass path."""

    is_language_model = True

    def __init__(self, text, name="fine-tuned GPT-2"):
        self.text, self.name = text, name

    def generate(self, request):
        return self.text


GOOD_AF_TEXT = (
    "1. Explanation of the finding: atrial fibrillation means the upper chambers of the "
    "heart beat in a fast, disorganised way.\n2. Clinical significance: it raises the "
    "risk of stroke and can cause breathlessness.\n3. Recommended follow-up actions: "
    "arrange a review with a clinician within days to discuss stroke prevention."
)


def request_for(label="Atrial Fibrillation", confidence=0.92, inconclusive=False):
    return ExplainRequest(
        kind=INTERPRETATION,
        prompt="…",
        label=label,
        confidence=confidence,
        signal_type="ECG",
        inconclusive=inconclusive,
    )


def test_a_good_model_text_is_served_with_its_generator_and_the_decision_support_line():
    chain = Explainer([ScriptedModel(GOOD_AF_TEXT), KnowledgeBaseGenerator(), TemplateGenerator()])
    explanation = chain.explain(request_for())
    assert explanation.generator == "fine-tuned GPT-2"
    assert explanation.text.startswith(GOOD_AF_TEXT)
    assert explanation.text.endswith(DECISION_SUPPORT)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty or too short"),
        (GOOD_AF_TEXT.replace("atrial fibrillation", "seizure activity"), "names a different diagnosis"),
        (GOOD_AF_TEXT.replace("atrial fibrillation", "this rhythm"), "does not name the finding"),
        ("Atrial fibrillation is common. " * 12, "repetitive"),
        (GOOD_AF_TEXT.split("\n3.")[0], "lacks follow-up"),
    ],
)
def test_the_guard_refuses_bad_model_text(text, reason):
    chain = Explainer([ScriptedModel(text), KnowledgeBaseGenerator(), TemplateGenerator()])
    explanation = chain.explain(request_for())
    assert explanation.generator == "knowledge base"
    assert any(reason in r for r in explanation.rejected[0][1])


def test_the_model_never_words_an_inconclusive_finding():
    chain = Explainer([ScriptedModel(GOOD_AF_TEXT), KnowledgeBaseGenerator(), TemplateGenerator()])
    explanation = chain.explain(request_for(confidence=0.45, inconclusive=True))
    assert explanation.generator == "knowledge base"
    assert "inconclusive" in explanation.text.lower()


def test_an_unknown_label_gets_the_confidence_aware_template():
    chain = Explainer([KnowledgeBaseGenerator(), TemplateGenerator()])
    likely = chain.explain(request_for(label="Left Bundle Branch Block", confidence=0.9))
    unsure = chain.explain(request_for(label="Left Bundle Branch Block", confidence=0.3))
    assert likely.generator == "template" and "Left Bundle Branch Block" in likely.text
    assert unsure.text.startswith("Result: inconclusive")


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_new_tokens", 5000),
        ("temperature", 0.0),
        ("top_p", 1.5),
        ("timeout_s", 600),
        ("max_waiting", -1),
        ("max_waiting", 65),
    ],
)
def test_generation_settings_are_bounded(field, value):
    with pytest.raises(ValueError, match=field):
        GenerationSettings(**{field: value})


def test_health_names_the_fine_tuned_model(make_app, tiny_gpt2_dir, monkeypatch):
    monkeypatch.setenv("MEDICAL_GPT2_PATH", str(tiny_gpt2_dir))
    health = make_app().test_client().get("/health").get_json()
    assert health["generator"] == "fine-tuned GPT-2"
    assert health["language_model_path"] == str(tiny_gpt2_dir)


def test_a_busy_language_model_lets_the_knowledge_base_answer_at_once(tiny_gpt2_dir):
    model, tokenizer = load_model_and_tokenizer(str(tiny_gpt2_dir))
    started, release = threading.Event(), threading.Event()

    def slow_generate(**_kwargs):  # holds the only slot until released
        started.set()
        release.wait(30)
        raise RuntimeError("released")

    model.generate = slow_generate
    chain = Explainer(
        [
            GPT2Generator(model, tokenizer, GenerationSettings(max_waiting=0), FINE_TUNED),
            KnowledgeBaseGenerator(),
            TemplateGenerator(),
        ]
    )
    first = threading.Thread(target=chain.explain, args=(request_for(),))
    first.start()
    try:
        assert started.wait(30)
        explanation = chain.explain(request_for())
    finally:
        release.set()
        first.join(30)
    assert explanation.generator == "knowledge base"
    assert ("fine-tuned GPT-2", ("busy",)) in explanation.rejected


def test_generation_slots_admit_one_running_and_the_set_number_waiting():
    slots, inside, release = GenerationSlots(waiting=1), threading.Event(), threading.Event()

    def hold():
        with slots.hold():
            inside.set()
            release.wait(30)

    running, waiting = threading.Thread(target=hold), threading.Thread(target=hold)
    running.start()
    assert inside.wait(30)
    waiting.start()
    deadline = time.time() + 30
    while slots.admitted < 2 and time.time() < deadline:  # until the second is queued
        time.sleep(0.01)
    try:
        assert slots.admitted == 2
        with pytest.raises(Busy):
            with slots.hold():
                pass
    finally:
        release.set()
        running.join(30)
        waiting.join(30)
    with slots.hold():  # free again once they are done
        pass


def test_a_tiny_random_models_text_is_refused_for_a_general_question(tiny_gpt2_dir):
    inference.initialize_llm(
        model_path=str(tiny_gpt2_dir), try_base_model=False, settings=GenerationSettings(max_new_tokens=60)
    )
    explanation = inference.answer_question("what is a normal QT interval?")
    assert explanation.generator == "knowledge base"
    assert explanation.rejected[0][0] == "fine-tuned GPT-2"
    assert any("not grounded" in reason or "too short" in reason for reason in explanation.rejected[0][1])
    assert "450 ms" in explanation.text


def test_the_guard_refuses_a_fluent_general_answer_that_states_a_dose():
    request = ExplainRequest(kind=QUERY, prompt="…", question="how is atrial fibrillation treated?")
    text = (
        "Atrial fibrillation is treated with medicines that control the heart rate, for example "
        "metoprolol 50 mg twice a day, and with blood thinners to lower the risk of stroke."
    )
    assert "states a dose" in guard.problems(text, request)


def test_the_guard_refuses_a_text_that_denies_the_finding():
    text = (
        "1. Explanation of the finding: there is no atrial fibrillation on this recording. "
        "2. Clinical significance: the heart rhythm is regular. 3. Recommended follow-up: none."
    )
    assert "contradicts the finding" in guard.problems(text, request_for())
