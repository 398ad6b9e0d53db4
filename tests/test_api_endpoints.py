"""The endpoints' happy paths in-process: /ask, /health and the clinicians' page."""

import logging

from explain.generators import DECISION_SUPPORT


def test_ask_about_a_classification_answers_for_that_finding(client):
    body = {
        "prompt": "What are the treatment options?",
        "signal_type": "ECG",
        "classification": {"prediction": "Atrial Fibrillation", "confidence": 0.92},
    }
    data = client.post("/ask", json=body).get_json()
    assert data["generator"] == "knowledge base"
    assert "Atrial Fibrillation" in data["response"]
    assert "clinician" in data["response"].split("\n")[0]  # the treatment answer comes first
    assert data["response"].endswith(DECISION_SUPPORT)
    assert data["interpretation_id"]


def test_ask_with_low_confidence_says_inconclusive(client):
    body = {"prompt": "Is this serious?", "classification": {"prediction": "Atrial Fibrillation", "confidence": 0.41}}
    text = client.post("/ask", json=body).get_json()["response"]
    assert "inconclusive" in text.lower()
    assert "Result: Atrial Fibrillation" not in text


def test_a_general_question_gets_background_and_never_a_result(client):
    text = client.post("/ask", json={"prompt": "What is a PVC?"}).get_json()["response"]
    assert text.startswith("Premature ventricular contractions are extra heartbeats")
    assert "Result:" not in text and "About this result" not in text


def test_a_question_about_nothing_known_is_answered_honestly(client):
    data = client.post("/ask", json={"prompt": "How do I treat a sprained ankle?"}).get_json()
    assert data["response"].startswith("I don't have reliable information on that.")
    assert data["sources"] == []


def test_health_reports_models_generator_and_database(client):
    health = client.get("/health").get_json()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["generator"] == "knowledge base"
    assert health["generator_chain"] == ["knowledge base", "template"]
    assert set(health["classifier_models"]) == {"ECG", "EEG"}


def test_the_clinicians_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="classify-form"' in html and "decision support, not a diagnosis" in html.lower()
    assert client.get("/static/app.js").status_code == 200


def test_request_logs_name_the_path_not_the_content(client, caplog):
    with caplog.at_level(logging.INFO, logger="clinical_service"):
        client.post("/ask", json={"prompt": "secret symptom description xyz"})
    assert any("POST /ask 200" in r.getMessage() for r in caplog.records)
    assert not any("xyz" in r.getMessage() for r in caplog.records)
