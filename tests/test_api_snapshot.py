"""The API's answers on the test recordings, pinned: a refactor must leave every field as it was.

``tests/fixtures/api_snapshot.json`` holds what POST /classify answered (classification,
confidence, probabilities, inconclusive, interpretation text, beats, windows, ...) for every
recording in tests/fixtures plus two long recordings joined from them (so the windowed paths run),
with the template explainer (no GPT-2). Rewrite it only for a deliberate change of behaviour, and say
why in the commit:

    python -m tests.test_api_snapshot
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import wfdb

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SNAPSHOT = FIXTURES / "api_snapshot.json"
CONTEXT = "Patient presents with palpitations"
BONN_RATE = 173.61
# Differences below this are floating-point noise between runs, not a change of behaviour.
TOLERANCE = 1e-6


def _cinc(record_id: str) -> tuple[np.ndarray, float]:
    record = wfdb.rdrecord(str(FIXTURES / "cinc2017" / record_id))
    return record.p_signal[:, 0], float(record.fs)


def recordings() -> Iterator[tuple[str, str, np.ndarray, float]]:
    """(name, signal type, samples, sampling rate) of every test recording."""
    cinc_ids = sorted(p.stem for p in (FIXTURES / "cinc2017").glob("*.hea"))
    for record_id in cinc_ids:
        samples, fs = _cinc(record_id)
        yield record_id, "ECG", samples, fs
    long_ecg = np.concatenate([_cinc("A02506")[0], _cinc("A00011")[0]])
    yield "A02506+A00011", "ECG", long_ecg, 300.0
    with np.load(FIXTURES / "bonn" / "segments.npz") as segments:
        bonn = {key: segments[key].astype(float) for key in segments.files}
    for segment_id, samples in bonn.items():
        yield segment_id, "EEG", samples, BONN_RATE
    yield "Z003+S012", "EEG", np.concatenate([bonn["Z003"], bonn["S012"]]), BONN_RATE


def answers(client) -> dict[str, Any]:
    """Each recording's /classify answer, less the row id the store hands out."""
    result = {}
    for name, kind, samples, rate in recordings():
        response = client.post(
            "/classify",
            json={"signal": samples.tolist(), "signal_type": kind, "sampling_rate": rate, "clinical_context": CONTEXT},
        )
        assert response.status_code == 200, (name, response.get_json())
        data = response.get_json()
        data.pop("interpretation_id")
        result[name] = data
    return result


def _differences(expected: Any, actual: Any, where: str = "") -> Iterator[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual or key not in expected:
                yield f"{where}/{key}: only in {'snapshot' if key in expected else 'answer'}"
            else:
                yield from _differences(expected[key], actual[key], f"{where}/{key}")
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from _differences(e, a, f"{where}[{i}]")
    elif isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        if not math.isclose(expected, actual, rel_tol=0, abs_tol=TOLERANCE):
            yield f"{where}: {expected!r} became {actual!r}"
    elif expected != actual:
        yield f"{where}: {expected!r} became {actual!r}"


def test_api_answers_on_the_test_recordings_match_the_snapshot(make_app):
    expected = json.loads(SNAPSHOT.read_text())
    actual = answers(make_app().test_client())
    assert list(_differences(expected, actual)) == []


def main() -> None:
    from api import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "database_url": f"sqlite:///{tmp}/snapshot.db",
                "use_base_gpt2": False,
                "medical_gpt2_path": None,
                "warm_up_models": False,
            }
        )
        data = answers(app.test_client())
    SNAPSHOT.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT} ({len(data)} recordings)")


if __name__ == "__main__":
    main()
