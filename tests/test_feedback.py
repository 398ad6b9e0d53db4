"""Feedback is tied to an interpretation that was shown, validated, and stored durably."""
import json

import pytest

RATINGS = {"clinical_accuracy": 4, "relevance": 5, "clarity": 4, "actionability": 3}


def ask(client):
    response = client.post("/ask", json={"prompt": "What are the treatment options?",
                                         "classification": {"prediction": "Atrial Fibrillation",
                                                            "confidence": 0.92}})
    assert response.status_code == 200
    return response.get_json()["interpretation_id"]


def test_feedback_is_stored_and_survives_a_restart(make_app):
    app = make_app()
    record_id = ask(app.test_client())
    response = app.test_client().post("/feedback", json={"interpretation_id": record_id,
                                                         "ratings": RATINGS, "comment": "clear"})
    assert response.status_code == 201
    assert response.get_json()["status"] == "stored"

    restarted = make_app()  # same database file, new app: nothing was lost
    summary = restarted.test_client().get("/feedback/summary").get_json()
    assert summary["n"] == 1
    assert summary["overall"] == {k: float(v) for k, v in RATINGS.items()}
    assert summary["by_generator"]["knowledge base"]["n"] == 1


@pytest.mark.parametrize("change, words", [
    ({"ratings": {**RATINGS, "clarity": 6}}, "ratings.clarity must be an integer from 1 to 5"),
    ({"ratings": {**RATINGS, "clarity": 4.5}}, "ratings.clarity must be an integer"),
    ({"ratings": {**RATINGS, "clarity": True}}, "ratings.clarity must be an integer"),
    ({"ratings": {k: v for k, v in RATINGS.items() if k != "relevance"}}, "ratings.relevance"),
    ({"ratings": {**RATINGS, "speed": 5}}, "unknown rating(s): speed"),
    ({"ratings": [4, 5, 4, 3]}, "ratings must be an object"),
    ({"comment": ["a"]}, "comment must be a string"),
    ({"interpretation_id": None}, "interpretation_id is required"),
])
def test_bad_feedback_is_refused(client, change, words):
    body = {"interpretation_id": ask(client), "ratings": RATINGS, **change}
    response = client.post("/feedback", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert words in response.get_json()["error"]


def test_feedback_for_an_unknown_interpretation_is_404(client):
    response = client.post("/feedback", json={"interpretation_id": "no-such-id", "ratings": RATINGS})
    assert response.status_code == 404
    assert "no interpretation with id" in response.get_json()["error"]
