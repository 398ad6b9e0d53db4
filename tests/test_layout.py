"""The layout's promises, checked from outside: serving never loads the training code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SERVE_AND_LIST_MODULES = """
import json, sys, tempfile
import numpy as np
from api import create_app
with tempfile.TemporaryDirectory() as tmp:
    app = create_app({"database_url": f"sqlite:///{tmp}/t.db", "use_base_gpt2": False,
                      "medical_gpt2_path": None, "warm_up_models": True})
    client = app.test_client()
    with np.load("tests/fixtures/bonn/segments.npz") as segments:
        eeg = segments["S012"].astype(float)
    ecg = np.sin(np.linspace(0, 60 * np.pi, 30 * 300))
    answers = [client.post("/classify", json={"signal": x.tolist(), "signal_type": t,
                                              "sampling_rate": r}).status_code
               for x, t, r in ((eeg, "EEG", 173.61), (ecg, "ECG", 300))]
print(json.dumps({"answers": answers, "modules": sorted(sys.modules)}))
"""


def test_building_and_using_the_app_loads_no_training_module():
    """create_app with the models warmed up, then one ECG and one EEG request, in a fresh process."""
    run = subprocess.run(
        [sys.executable, "-c", _SERVE_AND_LIST_MODULES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert all(code in (200, 400) for code in result["answers"]) and 200 in result["answers"]
    loaded = [m for m in result["modules"] if m == "training" or m.startswith("training.")]
    assert "classifier.ecg.beats" in result["modules"] and "classifier.eeg.model" in result["modules"]
    assert loaded == []


def test_the_app_owns_its_explainer_and_reads_no_model_path_it_was_not_given(make_app, monkeypatch, tiny_gpt2_dir):
    """Two apps in one process keep their own chains; an explicit None beats MEDICAL_GPT2_PATH."""
    from service.state import EXTENSION_KEY

    monkeypatch.setenv("MEDICAL_GPT2_PATH", str(tiny_gpt2_dir))
    without = make_app(medical_gpt2_path=None).extensions[EXTENSION_KEY]
    with_model = make_app().extensions[EXTENSION_KEY]
    assert without.generator_status["model_path"] is None
    assert without.generator_status["chain"] == ["knowledge base", "template"]
    assert with_model.generator_status["model_path"] == str(tiny_gpt2_dir)
    assert with_model.explainer is not without.explainer


def test_calibration_error_is_defined_once():
    """Every ECE figure comes from classifier/calibration.py, so the figures share their bins."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    homes = {
        name
        for name in tracked
        if re.search(r"^def \w*calibration_error\b", (ROOT / name).read_text(encoding="utf-8"), re.MULTILINE)
    }
    assert homes == {"classifier/calibration.py"}


def test_only_the_config_reads_the_environment_on_the_serving_side():
    """Config (service/config.py) is the app's one reader; dataset paths (training and tests) and
    gunicorn's own settings are the only other readers."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    readers = {
        name
        for name in tracked
        if not name.startswith(("tests/", "training/", "bench/", "scripts/"))
        and re.search(r"os\.environ|os\.getenv", (ROOT / name).read_text(encoding="utf-8"))
    }
    assert readers == {"service/config.py", "classifier/paths.py", "gunicorn.conf.py"}
