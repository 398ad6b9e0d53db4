"""A database that cannot be reached: /feedback answers 503, /classify and /ask keep answering."""

import logging

import pytest
from sqlalchemy import create_engine

from storage import Store, StoreUnavailable
from tests.test_api_classify import cinc_records, classify, read_cinc

RATINGS = {"clinical_accuracy": 4, "relevance": 4, "clarity": 5, "actionability": 3}
UNREACHABLE = "sqlite:////proc/no-such-dir/clinical.db"  # cannot be created, even by root


@pytest.fixture()
def app_with_lost_database(make_app):
    """An app that started on a working database, which then became unreachable."""
    app = make_app()
    app.extensions["clinical_service"].store.engine = create_engine(UNREACHABLE)
    return app


def test_the_store_reports_unavailable_without_the_statement(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'ok.db'}")
    store.engine = create_engine(UNREACHABLE)
    with pytest.raises(StoreUnavailable) as raised:
        store.save_interpretation(kind="ask", generator="template", text="private words")
    assert "OperationalError" in str(raised.value) and "private words" not in str(raised.value)


def test_classify_still_answers_without_an_id_to_rate(app_with_lost_database):
    record_id, label = cinc_records()[0]
    samples, fs = read_cinc(record_id)
    response = classify(app_with_lost_database.test_client(), samples, fs)
    assert response.status_code == 200 and response.get_json()["classification"] == label
    data = response.get_json()
    assert data["classification"] and data["interpretation"] and data["interpretation_id"] is None


def test_ask_still_answers_without_an_id_to_rate(app_with_lost_database):
    response = app_with_lost_database.test_client().post("/ask", json={"prompt": "What is a PVC?"})
    assert response.status_code == 200 and response.get_json()["interpretation_id"] is None


def test_feedback_and_its_summary_answer_503_with_retry_after(app_with_lost_database, caplog):
    client = app_with_lost_database.test_client()
    with caplog.at_level(logging.INFO):
        posted = client.post(
            "/feedback", json={"interpretation_id": "x", "ratings": RATINGS, "comment": "comment-marker-41"}
        )
        summary = client.get("/feedback/summary")
    for response in (posted, summary):
        assert response.status_code == 503 and response.headers["Retry-After"] == "30"
        assert "unavailable" in response.get_json()["error"]
    assert not any("comment-marker-41" in r.getMessage() for r in caplog.records)
