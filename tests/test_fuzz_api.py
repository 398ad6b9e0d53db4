"""Property-based fuzzing of the HTTP API from its own OpenAPI description (schemathesis).

Every generated request, valid or not, must get an answer that the description allows: no 5xx, a
documented status, a body that fits the documented schema. A bounded number of examples per
operation keeps the run short; the generated signals are short, so most stop at the duration check
rather than reaching the models. A second part puts hostile values (deep nesting, huge integers,
lone surrogates, odd unicode) into every JSON and form field, and sends crafted headers.
"""

import json
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from api import create_app

MAX_EXAMPLES = 150

# Built at collection (schemathesis parametrizes from the schema); removed when the run ends.
_database = tempfile.TemporaryDirectory()
app = create_app(
    {"database_url": f"sqlite:///{_database.name}/fuzz.db", "use_base_gpt2": False, "warm_up_models": False}
)
schema = schemathesis.openapi.from_wsgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_request_gets_an_undocumented_or_server_error_answer(case):
    # A schema-valid body may still be refused: the duration limits depend on signal length and
    # rate together, which JSON Schema cannot state, and feedback needs an id that exists.
    case.call_and_validate(excluded_checks=[checks.positive_data_acceptance])


# --- hostile values in every field, which a schema-driven generator does not reach ---------------
# Each JSON field and each form field of each endpoint in turn gets deep nesting, huge integers,
# lone surrogates, odd unicode or non-finite literals; each request must get a 2xx or a 4xx with a
# short body, never a 5xx.

JSON_BODIES = {
    "/classify": {"signal": [0.0] * 1500, "signal_type": "ECG", "sampling_rate": 300, "clinical_context": "routine"},
    "/ask": {
        "prompt": "What is AF?",
        "signal_type": "ECG",
        "classification": {"prediction": "Atrial Fibrillation", "confidence": 0.9},
    },
    "/feedback": {
        "interpretation_id": "0" * 36,
        "comment": "ok",
        "ratings": {"clinical_accuracy": 3, "relevance": 3, "clarity": 3, "actionability": 3},
    },
}
FORM_FIELDS = ("signal_type", "channel", "sampling_rate", "clinical_context")
MAX_ERROR_BYTES = 1000
HOSTILE_EXAMPLES = 15
HOSTILE_JSON = st.one_of(
    st.sampled_from(
        [
            "[" * 5000 + "]" * 5000,
            '{"a": ' * 5000 + "1" + "}" * 5000,
            "9" * 400,
            "-" + "9" * 4000,
            "1e999",
            "NaN",
            "-Infinity",
            '"\\ud800"',
            '"\\udfff x"',
            '"a\\u0000b"',
            '"' + "x" * 100_000 + '"',
        ]
    ),
    st.integers(min_value=10**300, max_value=10**1000).map(str),
    st.text(st.characters(codec=None), max_size=50).map(lambda text: json.dumps(text)),
)
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["²", "٣", "9" * 5000, "x" * 100_000, "1e999", "nan", "-0", "\u202e", "\x00"]),
    st.text(st.characters(codec="utf-8"), max_size=50),
)


def json_paths(value, path=()):
    """Every leaf of a JSON body, as key paths."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_paths(item, (*path, key))
    else:
        yield path


def with_raw(body, path, raw):
    """The body as JSON text with the value at ``path`` replaced by the raw JSON text ``raw``."""
    marker = "hostile-value-marker"
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return json.dumps(copy).replace(f'"{marker}"', raw)


def assert_answered(response):
    assert response.status_code < 500, response.get_data()[:300]
    assert len(response.get_data()) < MAX_ERROR_BYTES or response.status_code < 300


JSON_FIELDS = [(endpoint, path) for endpoint, body in JSON_BODIES.items() for path in json_paths(body)]


@pytest.mark.parametrize("endpoint, path", JSON_FIELDS)
@settings(max_examples=HOSTILE_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(raw=HOSTILE_JSON)
def test_a_hostile_value_in_any_json_field_never_gets_a_5xx(endpoint, path, raw):
    body = with_raw(JSON_BODIES[endpoint], path, raw)
    assert_answered(
        app.test_client().post(endpoint, data=body.encode("utf-8", "surrogatepass"), content_type="application/json")
    )


def multipart(fields: dict, file_name: bytes, content: bytes) -> tuple[bytes, str]:
    """A multipart body built byte by byte, so field values may be any bytes at all."""
    boundary = b"hostile-boundary"
    parts = [
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="'
        + name.encode()
        + b'"\r\n\r\n'
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    parts.append(
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="file"; filename="'
        + file_name
        + b'"\r\nContent-Type: text/csv\r\n\r\n'
        + content
        + b"\r\n"
    )
    body = b"".join(parts) + b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


@pytest.mark.parametrize("field", [*FORM_FIELDS, "file name"])
@settings(max_examples=HOSTILE_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(text=HOSTILE_TEXT, raw_bytes=st.sampled_from([b"", b"\xed\xa0\x80", b"\xff\xfe", b"\x00"]))
def test_a_hostile_value_in_any_form_field_never_gets_a_5xx(field, text, raw_bytes):
    value = text.encode("utf-8") + raw_bytes
    fields = {"signal_type": b"ECG", "channel": b"0", "sampling_rate": b"300", "clinical_context": b"routine"}
    file_name = b"recording.csv"
    if field == "file name":
        file_name = value.replace(b'"', b"").replace(b"\r", b"").replace(b"\n", b"") + b".csv"
    else:
        fields[field] = value
    body, content_type = multipart(fields, file_name, b"value\n" + b"0.5\n" * 1500)
    assert_answered(app.test_client().post("/classify", data=body, content_type=content_type))


CRAFTED_HEADERS = [
    {"Content-Type": "application/json; charset=utf-16"},
    {"Content-Type": "multipart/form-data"},  # no boundary
    {"Content-Type": "multipart/form-data; boundary=" + "b" * 5000},
    {"Content-Type": "application/json", "Content-Encoding": "gzip"},
    {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    {"Content-Type": "application/json", "Content-Length": "-1"},
    {"Content-Type": "application/json", "Content-Length": "9" * 40},
    {"Content-Type": "application/json", "X-API-Key": "\u00e9" * 300},
    {"Content-Type": "application/json", "Authorization": "Bearer " + "x" * 10_000},
    {"Content-Type": "application/json", "Host": "h" * 5000},
    {"Content-Type": "\u00ff" * 100},
]


@pytest.mark.parametrize("headers", CRAFTED_HEADERS)
@pytest.mark.parametrize("endpoint", list(JSON_BODIES))
def test_crafted_headers_get_a_short_answer_and_never_a_5xx(endpoint, headers):
    body = json.dumps(JSON_BODIES[endpoint]).encode()
    response = app.test_client().post(endpoint, data=body, headers=headers)
    assert_answered(response)
