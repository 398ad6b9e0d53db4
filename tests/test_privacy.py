"""No request content reaches the logs: a marker sent through every field of every endpoint.

The marker goes into clinical context, prompts, predictions, comments, ids, rating names, signal
types, API keys, malformed bodies, uploaded file names and channel choices, with a (tiny, random)
GPT-2 configured so that the language model's path runs too. It may come back in a response (an
error names the bad value), but it must appear in no log record at any level and in nothing printed.
"""

import io
import logging

from tests.test_api_classify import cinc_records, read_cinc

MARKER = "zq-privacy-marker-5b8e"
KEY = "the-right-key"


def test_a_marker_in_every_field_never_reaches_the_logs(make_app, tiny_gpt2_dir, caplog, capsys):
    with caplog.at_level(logging.DEBUG):
        client = make_app(medical_gpt2_path=str(tiny_gpt2_dir), api_key=KEY).test_client()
        auth = {"X-API-Key": KEY}
        samples, fs = read_cinc(cinc_records()[0][0])
        classified = client.post(
            "/classify",
            headers=auth,
            json={
                "signal": samples.tolist(),
                "signal_type": "ECG",
                "sampling_rate": fs,
                "clinical_context": f"{MARKER} palpitations",
            },
        ).get_json()
        requests = [
            ("/classify", {"signal": [1.0] * 10, "signal_type": MARKER}),
            ("/classify", {"signal": [MARKER], "signal_type": "ECG"}),
            ("/classify", {"signal": samples.tolist(), "signal_type": "ECG", "sampling_rate": MARKER}),
            ("/ask", {"prompt": f"What does {MARKER} mean?"}),
            (
                "/ask",
                {
                    "prompt": "Is it serious?",
                    "signal_type": "ECG",
                    "classification": {"prediction": MARKER, "confidence": 0.9},
                },
            ),
            (
                "/ask",
                {
                    "prompt": f"Treatment for {MARKER}?",
                    "signal_type": "ECG",
                    "classification": {"prediction": "Atrial Fibrillation", "confidence": 0.9},
                },
            ),
            (
                "/feedback",
                {
                    "interpretation_id": classified["interpretation_id"],
                    "comment": MARKER,
                    "ratings": {"clinical_accuracy": 4, "relevance": 4, "clarity": 4, "actionability": 4},
                },
            ),
            ("/feedback", {"interpretation_id": MARKER, "ratings": {MARKER: 3}}),
            (
                "/feedback",
                {
                    "interpretation_id": MARKER,
                    "comment": MARKER,
                    "ratings": {"clinical_accuracy": 4, "relevance": 4, "clarity": 4, "actionability": 4},
                },
            ),
        ]
        statuses = [client.post(path, json=body, headers=auth).status_code for path, body in requests]
        statuses.append(
            client.post(
                "/ask", data=f'{{"prompt": "{MARKER}"', headers=auth, content_type="application/json"
            ).status_code
        )
        statuses.append(client.post("/ask", json={"prompt": "hi"}, headers={"X-API-Key": MARKER}).status_code)
        statuses.append(client.get(f"/{MARKER}", headers=auth).status_code)
        text_file = "\n".join(f"{x:.4f}" for x in samples).encode()
        for channel in (None, MARKER):
            form = {
                "signal_type": "ECG",
                "sampling_rate": str(fs),
                "clinical_context": MARKER,
                "file": (io.BytesIO(text_file), f"{MARKER}.csv"),
            }
            if channel:
                form["channel"] = channel
            statuses.append(
                client.post("/classify", data=form, headers=auth, content_type="multipart/form-data").status_code
            )

    assert classified["interpretation_id"] and sorted(set(statuses)) == [200, 201, 400, 401, 404]
    logged = [record.getMessage() + str(record.exc_text or "") for record in caplog.records]
    assert any("POST /ask" in line for line in logged)  # the logs were captured
    assert not [line for line in logged if MARKER in line]
    printed = capsys.readouterr()
    assert MARKER not in printed.out and MARKER not in printed.err
