"""Feedback through the API, on SQLite and PostgreSQL: tied to an interpretation that was shown,
one rating per rater (a second replaces the first), anonymous ratings each their own rater, what
produced the text stored with it, comments erasable, and nothing lost across a restart."""

import json
import logging

import pytest

from storage.summary import text_source

RATINGS = {"clinical_accuracy": 4, "relevance": 5, "clarity": 4, "actionability": 3}


def ask(client):
    response = client.post(
        "/ask",
        json={
            "prompt": "What are the treatment options?",
            "classification": {"prediction": "Atrial Fibrillation", "confidence": 0.92},
        },
    )
    assert response.status_code == 200
    return response.get_json()["interpretation_id"]


@pytest.fixture()
def backend_app(make_app, database_url):
    """``backend_app() -> app`` on one database (a second call is a restart on the same data)."""
    return lambda: make_app(database_url=database_url)


def rate(client, record_id, ratings=RATINGS, **fields):
    return client.post("/feedback", json={"interpretation_id": record_id, "ratings": ratings, **fields})


def means(group):
    return {name: stats["mean"] for name, stats in group["criteria"].items()}


def test_feedback_is_stored_and_survives_a_restart(backend_app):
    app = backend_app()
    record_id = ask(app.test_client())
    response = rate(app.test_client(), record_id, comment="clear", rater_id="r1", role="nurse")
    assert response.status_code == 201
    assert response.get_json()["status"] == "stored"

    restarted = backend_app()  # same database, new app: nothing was lost
    summary = restarted.test_client().get("/feedback/summary").get_json()
    assert summary["n"] == 1 and summary["raters"] == 1 and summary["items"] == 1
    assert means(summary["overall"]) == {k: float(v) for k, v in RATINGS.items()}
    assert sum(group["n"] for group in summary["by_generator"].values()) == 1


def test_the_same_rater_changing_their_rating_replaces_it(backend_app):
    client = backend_app().test_client()
    record_id = ask(client)
    first = rate(client, record_id, rater_id="gp-17")
    second = rate(client, record_id, {**RATINGS, "clarity": 2}, rater_id="gp-17")
    assert first.status_code == 201 and first.get_json()["status"] == "stored"
    assert second.status_code == 200 and second.get_json()["status"] == "updated"
    assert second.get_json()["feedback_id"] == first.get_json()["feedback_id"]
    summary = backend_app().test_client().get("/feedback/summary").get_json()  # after a restart
    assert summary["n"] == 1 and summary["overall"]["criteria"]["clarity"]["mean"] == 2.0


def test_two_raters_give_two_ratings_and_an_agreement(backend_app):
    client = backend_app().test_client()
    first, second = ask(client), ask(client)
    for record_id, clarity in ((first, 4), (second, 2)):
        assert rate(client, record_id, {**RATINGS, "clarity": clarity}, rater_id="a").status_code == 201
        assert rate(client, record_id, {**RATINGS, "clarity": clarity}, rater_id="b").status_code == 201
    summary = client.get("/feedback/summary").get_json()
    assert summary["n"] == 4 and summary["raters"] == 2 and summary["items"] == 2
    assert summary["agreement"]["items"] == 2
    assert summary["agreement"]["alpha"]["clarity"] == 1.0  # the raters agree on both items
    assert summary["agreement"]["alpha"]["relevance"] is None  # one value only: undefined


def test_each_anonymous_rating_counts_as_its_own_rater(backend_app):
    client = backend_app().test_client()
    record_id = ask(client)
    answers = [
        rate(client, record_id),
        rate(client, record_id, rater_id=None),
        rate(client, record_id, rater_id="  "),
    ]  # absent, null or blank: anonymous
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.get_json()["feedback_id"] for a in answers}) == 3
    summary = client.get("/feedback/summary").get_json()
    assert summary["n"] == 3 and summary["raters"] == 3 and summary["agreement"]["ratings"] == 3


def test_each_rating_is_stored_with_what_produced_the_text(backend_app):
    app = backend_app()
    client = app.test_client()
    rate(client, ask(client), rater_id="r1")
    (row,) = app.extensions["clinical_service"].store.rated_interpretations()
    assert row["generator"] in ("knowledge base", "template") and row["language_model_version"] is None
    assert row["knowledge_base_version"].startswith("kb-")
    summary = client.get("/feedback/summary").get_json()
    assert list(summary["by_model_version"]) == [text_source(row)]


def test_comments_can_be_erased_by_interpretation_and_are_never_logged(backend_app, caplog):
    app = backend_app()
    client = app.test_client()
    record_id = ask(client)
    with caplog.at_level(logging.DEBUG):
        rate(client, record_id, rater_id="a", comment="patient-marker-22 is my neighbour")
        rate(client, record_id, rater_id="b", comment="fine")
        erased = client.delete(f"/feedback/{record_id}/comments")
    assert erased.status_code == 200 and erased.get_json()["comments_deleted"] == 2
    rows = app.extensions["clinical_service"].store.rated_interpretations()
    assert [row["comment"] for row in rows] == [None, None] and len(rows) == 2  # ratings stay
    assert not any("patient-marker-22" in r.getMessage() for r in caplog.records)
    assert client.delete("/feedback/no-such-id/comments").status_code == 404


def test_erasing_comments_needs_the_api_key(make_app):
    client = make_app(api_key="k").test_client()
    assert client.delete("/feedback/x/comments").status_code == 401
    assert client.delete("/feedback/x/comments", headers={"X-API-Key": "k"}).status_code == 404


@pytest.mark.parametrize(
    "change, words",
    [
        ({"ratings": {**RATINGS, "clarity": 6}}, "ratings.clarity must be an integer from 1 to 5"),
        ({"ratings": {**RATINGS, "clarity": 4.5}}, "ratings.clarity must be an integer"),
        ({"ratings": {**RATINGS, "clarity": True}}, "ratings.clarity must be an integer"),
        ({"ratings": {k: v for k, v in RATINGS.items() if k != "relevance"}}, "ratings.relevance"),
        ({"ratings": {**RATINGS, "speed": 5}}, "unknown rating(s): speed"),
        ({"ratings": [4, 5, 4, 3]}, "ratings must be an object"),
        ({"comment": ["a"]}, "comment must be a string"),
        ({"interpretation_id": None}, "interpretation_id is required"),
        ({"rater_id": "r" * 65}, "rater_id is too long: 65 characters, at most 64"),
        ({"rater_id": 7}, "rater_id must be a string"),
        ({"role": "x" * 41}, "role is too long"),
    ],
)
def test_bad_feedback_is_refused(client, change, words):
    body = {"interpretation_id": ask(client), "ratings": RATINGS, **change}
    response = client.post("/feedback", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert words in response.get_json()["error"]


def test_feedback_for_an_unknown_interpretation_is_404(client):
    response = client.post("/feedback", json={"interpretation_id": "no-such-id", "ratings": RATINGS})
    assert response.status_code == 404
    assert "no interpretation with id" in response.get_json()["error"]


def test_the_page_loads_the_summary_chart_from_its_own_script(client):
    page = client.get("/").get_data(as_text=True)
    assert 'id="summary-chart"' in page and "/static/summary-chart.js" in page
    assert "<script>" not in page  # no inline script: the CSP allows none
    script = client.get("/static/summary-chart.js")
    assert script.status_code == 200 and b"/feedback/summary" in script.data
