"""The optional API key (MEDICAL_API_KEY) and the security headers."""

import logging

import pytest

from service.config import Config

KEY = "k3y-for-tests-9c1f"
QUESTION = {"prompt": "What is a PVC?"}


@pytest.fixture()
def locked(make_app):
    return make_app(api_key=KEY).test_client()


def test_the_key_comes_from_the_environment():
    assert Config.from_sources(environ={"MEDICAL_API_KEY": KEY}).api_key == KEY
    assert Config.from_sources(environ={}).api_key is None


def test_without_a_configured_key_the_endpoints_are_open(client):
    assert client.post("/ask", json=QUESTION).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "wrong"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {KEY}"},
        {"X-API-Key": KEY[:-1]},
    ],
)
def test_a_missing_or_wrong_key_is_refused_with_401_json(locked, headers):
    for method, path, body in [
        ("post", "/ask", QUESTION),
        ("post", "/classify", {"signal": [0.0]}),
        ("post", "/feedback", {}),
        ("get", "/feedback/summary", None),
    ]:
        response = getattr(locked, method)(path, json=body, headers=headers)
        assert response.status_code == 401, path
        assert "API key" in response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {KEY}"}, {"X-API-Key": KEY}])
def test_the_right_key_in_either_header_is_accepted(locked, headers):
    assert locked.post("/ask", json=QUESTION, headers=headers).status_code == 200


def test_health_the_page_and_its_static_files_stay_open(locked):
    assert locked.get("/health").status_code == 200
    page = locked.get("/")
    assert page.status_code == 200 and 'id="api_key"' in page.get_data(as_text=True)
    assert locked.get("/static/app.js").status_code == 200


def test_the_page_asks_for_no_key_when_none_is_configured(client):
    assert 'id="api_key"' not in client.get("/").get_data(as_text=True)


def test_the_key_never_reaches_the_logs(locked, caplog):
    with caplog.at_level(logging.DEBUG):
        locked.post("/ask", json=QUESTION, headers={"X-API-Key": KEY})
        locked.post("/ask", json=QUESTION, headers={"X-API-Key": KEY + "x"})
    assert any("POST /ask 401" in r.getMessage() for r in caplog.records)
    assert not any(KEY in r.getMessage() for r in caplog.records)


def test_the_page_forbids_inline_script_and_framing(client):
    headers = client.get("/").headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_json_answers_are_not_sniffed(client):
    response = client.post("/ask", json=QUESTION)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers


def test_no_cross_origin_headers_unless_origins_are_configured(client):
    response = client.post("/ask", json=QUESTION, headers={"Origin": "https://clinic.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_configured_origins_may_call_from_a_browser_and_others_may_not(make_app):
    client = make_app(api_key=KEY, cors_origins="https://clinic.example, https://ward.example").test_client()
    preflight = client.options(
        "/ask",
        headers={
            "Origin": "https://ward.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert preflight.status_code == 200  # a preflight carries no key, and passes
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://ward.example"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    allowed = client.post(
        "/ask", json=QUESTION, headers={"Origin": "https://clinic.example", "Authorization": f"Bearer {KEY}"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
    other = client.post(
        "/ask", json=QUESTION, headers={"Origin": "https://elsewhere.example", "Authorization": f"Bearer {KEY}"}
    )
    assert "Access-Control-Allow-Origin" not in other.headers
