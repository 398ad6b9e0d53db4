"""GET /openapi.json describes every endpoint, and what the endpoints answer matches it."""

import io
import re

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import create_engine

from tests.test_api_classify import CINC, cinc_records, read_cinc
from tests.test_store_faults import UNREACHABLE

KEY = "openapi-test-key"
RATINGS = {"clinical_accuracy": 4, "relevance": 4, "clarity": 5, "actionability": 3}


def check(document, path, method, response):
    """The response's status is documented for this operation and its JSON body fits the schema."""
    documented = document["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (path, method, response.status_code)
    content = documented[str(response.status_code)].get("content", {})
    if "application/json" in content:
        schema = dict(content["application/json"]["schema"], components=document["components"])
        Draft202012Validator(schema).validate(response.get_json())


@pytest.fixture()
def locked_app(make_app):
    return make_app(api_key=KEY)


def test_every_route_is_documented_and_every_documented_route_exists(locked_app):
    document = locked_app.test_client().get("/openapi.json").get_json()
    served = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in locked_app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert served == documented
    open_paths = {path for path, item in document["paths"].items() if item.get("get", {}).get("security") == []}
    assert open_paths == {"/health", "/openapi.json", "/"}  # what the key check lets through


def test_the_component_schemas_are_valid_json_schema(client):
    document = client.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_documented_limits_are_the_enforced_ones(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    longest = schemas["AskRequest"]["properties"]["prompt"]["maxLength"]
    assert client.post("/ask", json={"prompt": "a" * longest}).status_code == 200
    assert client.post("/ask", json={"prompt": "a" * (longest + 1)}).status_code == 400


def test_real_answers_of_every_endpoint_fit_the_description(locked_app):
    client = locked_app.test_client()
    auth = {"X-API-Key": KEY}
    document = client.get("/openapi.json").get_json()
    record = cinc_records()[0][0]
    samples, fs = read_cinc(record)
    signal = {"signal": samples.tolist(), "signal_type": "ecg", "sampling_rate": fs}
    Draft202012Validator(
        dict(document["components"]["schemas"]["ClassifyRequest"], components=document["components"])
    ).validate(signal)

    classified = client.post("/classify", json=signal, headers=auth)
    check(document, "/classify", "post", classified)
    record_id = classified.get_json()["interpretation_id"]
    asked = {
        "prompt": "Is it serious?",
        "signal_type": "ECG",
        "classification": {"prediction": "Atrial Fibrillation", "confidence": 0.92},
    }
    answers = [
        ("/classify", "post", client.post("/classify", json={"signal": [1, 2]}, headers=auth)),
        ("/classify", "post", client.post("/classify", data="x", headers=auth)),
        ("/classify", "post", client.post("/classify", json=signal)),
        ("/ask", "post", client.post("/ask", json=asked, headers=auth)),
        ("/ask", "post", client.post("/ask", json={"prompt": ""}, headers=auth)),
        (
            "/feedback",
            "post",
            client.post("/feedback", json={"interpretation_id": record_id, "ratings": RATINGS}, headers=auth),
        ),
        (
            "/feedback",
            "post",
            client.post("/feedback", json={"interpretation_id": "nope", "ratings": RATINGS}, headers=auth),
        ),
        *[
            (
                "/feedback",
                "post",
                client.post(
                    "/feedback",
                    json={"interpretation_id": record_id, "ratings": RATINGS, "rater_id": "r-1", "role": "nurse"},
                    headers=auth,
                ),
            )
            for _ in range(2)
        ],  # 201 stored, then 200 updated
        ("/feedback/summary", "get", client.get("/feedback/summary", headers=auth)),
        (
            "/feedback/{interpretation_id}/comments",
            "delete",
            client.delete(f"/feedback/{record_id}/comments", headers=auth),
        ),
        ("/feedback/{interpretation_id}/comments", "delete", client.delete("/feedback/nope/comments", headers=auth)),
        (
            "/classify",
            "post",
            client.post(
                "/classify",
                headers=auth,
                content_type="multipart/form-data",
                data={
                    "signal_type": "ECG",
                    "file": [
                        (io.BytesIO((CINC / f"{record}{suffix}").read_bytes()), f"{record}{suffix}")
                        for suffix in (".hea", ".mat")
                    ],
                },
            ),
        ),
        ("/health", "get", client.get("/health")),
        ("/", "get", client.get("/")),
    ]
    locked_app.extensions["clinical_service"].store.engine = create_engine(UNREACHABLE)
    answers.append(
        (
            "/feedback",
            "post",
            client.post("/feedback", json={"interpretation_id": record_id, "ratings": RATINGS}, headers=auth),
        )
    )
    assert sorted({response.status_code for *_, response in answers}) == [200, 201, 400, 401, 404, 415, 503]
    for path, method, response in answers:
        check(document, path, method, response)


def test_a_body_over_the_limit_gets_the_documented_413(make_app):
    client = make_app(max_content_length=1024).test_client()
    document = client.get("/openapi.json").get_json()
    response = client.post("/classify", json={"signal": [0.5] * 1000, "signal_type": "ECG"})
    assert response.status_code == 413
    check(document, "/classify", "post", response)
