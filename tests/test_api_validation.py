"""Bad input gets a 4xx JSON error that names the problem, and never takes the service down."""

import json

import pytest

ECG_10S = [0.0] * 3000


def post(client, url, body, **kwargs):
    return client.post(
        url,
        data=json.dumps(body) if not isinstance(body, (str, bytes)) else body,
        content_type=kwargs.pop("content_type", "application/json"),
        **kwargs,
    )


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"signal_type": "ECG", "sampling_rate": 300}, 400, "signal is required"),
        ({"signal": "1,2,3", "signal_type": "ECG"}, 400, "array of numbers"),
        ({"signal": [1, "a", 3] + ECG_10S, "signal_type": "ECG"}, 400, "signal[1] is not a number"),
        ({"signal": [True] + ECG_10S, "signal_type": "ECG"}, 400, "signal[0] is not a number"),
        ({"signal": [None] + ECG_10S, "signal_type": "ECG"}, 400, "signal[0] is not a number"),
        ({"signal": ECG_10S, "signal_type": "EMG"}, 400, "signal_type must be one of ECG, EEG"),
        ({"signal": ECG_10S}, 400, "signal_type must be one of"),
        ({"signal": ECG_10S, "signal_type": "ECG", "sampling_rate": 50}, 400, "between 100 and 1000"),
        ({"signal": ECG_10S, "signal_type": "ECG", "sampling_rate": 5000}, 400, "between 100 and 1000"),
        ({"signal": ECG_10S, "signal_type": "ECG", "sampling_rate": "fast"}, 400, "sampling_rate must be a number"),
        ({"signal": [0.1] * 300, "signal_type": "ECG", "sampling_rate": 300}, 400, "too short"),
        ({"signal": [0.1] * 100, "signal_type": "EEG", "sampling_rate": 173.61}, 400, "too short"),
        ({"signal": ECG_10S, "signal_type": "ECG", "clinical_context": 42}, 400, "clinical_context must be a string"),
        (
            {"signal": ECG_10S, "signal_type": "ECG", "clinical_context": "x" * 5000},
            400,
            "clinical_context is too long",
        ),
    ],
)
def test_classify_rejects_bad_input(client, body, status, words):
    response = post(client, "/classify", body)
    assert response.status_code == status
    assert words in response.get_json()["error"]


def test_classify_rejects_nan_and_infinity(client):
    # Python's JSON parser accepts these literals, so the service must catch them itself.
    body = '{"signal_type": "ECG", "signal": [' + ", ".join(["0.1"] * 3000 + ["NaN", "Infinity"]) + "]}"
    response = post(client, "/classify", body)
    assert response.status_code == 400
    assert "non-finite" in response.get_json()["error"]


def test_classify_rejects_an_ecg_longer_than_31_minutes(client):
    samples = 31 * 60 * 360 + 1  # one sample over 31 minutes at 360 Hz (a MIT-BIH record is 650,000)
    body = '{"signal_type": "ECG", "sampling_rate": 360, "signal": [' + ",".join(["0"] * samples) + "]}"
    response = post(client, "/classify", body)
    assert response.status_code == 400
    assert "too long" in response.get_json()["error"]


def test_wrong_content_type_is_415(client):
    response = post(client, "/classify", "signal=1,2,3", content_type="text/plain")
    assert response.status_code == 415
    assert "application/json" in response.get_json()["error"]


@pytest.mark.parametrize("raw, words", [("{not json", "not valid JSON"), ("[1, 2, 3]", "JSON object")])
def test_malformed_json_is_400(client, raw, words):
    response = post(client, "/classify", raw)
    assert response.status_code == 400
    assert words in response.get_json()["error"]


def test_body_over_the_size_limit_is_413(make_app):
    client = make_app(max_content_length=1024).test_client()
    response = post(client, "/classify", {"signal": [0.5] * 2000, "signal_type": "ECG"})
    assert response.status_code == 413
    assert "larger than the configured limit" in response.get_json()["error"]


def test_unknown_endpoint_and_method_answer_json(client):
    assert client.get("/nowhere").get_json()["error"] == "no such endpoint"
    response = client.get("/classify")
    assert response.status_code == 405 and "error" in response.get_json()
    assert "POST" in response.headers["Allow"]  # RFC 9110: a 405 lists the methods that work


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({}, 400, "prompt is required"),
        ({"prompt": "   "}, 400, "prompt is required"),
        ({"prompt": 7}, 400, "prompt must be a string"),
        ({"prompt": "why?", "classification": "AF"}, 400, "classification must be an object"),
        ({"prompt": "why?", "classification": {"confidence": 0.9}}, 400, "prediction is required"),
        (
            {"prompt": "why?", "classification": {"prediction": "Atrial Fibrillation", "confidence": 1.7}},
            400,
            "between 0 and 1",
        ),
        ({"prompt": "why?", "signal_type": "XRAY"}, 400, "signal_type must be one of"),
    ],
)
def test_ask_rejects_bad_input(client, body, status, words):
    response = post(client, "/ask", body)
    assert response.status_code == status
    assert words in response.get_json()["error"]


def test_a_crashing_classifier_gives_500_json_and_the_service_keeps_serving(client, monkeypatch):
    import service.classify

    def broken(*args, **kwargs):
        raise RuntimeError("model file corrupted")

    monkeypatch.setattr(service.classify, "classify", broken)
    response = post(client, "/classify", {"signal": ECG_10S, "signal_type": "ECG"})
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal error; the request was not processed"}
    assert client.get("/health").status_code == 200
