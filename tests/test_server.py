"""The real servers: `python api.py` and gunicorn answer on a port, with the spec's startup line."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import wfdb

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PATH_MARKER = "path-marker-3c9a"


def call(port, path, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return json.loads(response.read())


def start(command, port, env_extra, tmp_path):
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "USE_BASE_GPT2": "0",
        **env_extra,
    }
    log = open(tmp_path / "server.log", "w+")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            call(port, "/health", timeout=2)
            return process, log
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.5)
    process.kill()
    log.seek(0)
    pytest.fail(f"server did not start:\n{log.read()[-3000:]}")


@pytest.fixture()
def cinc_record(dataset):
    record = wfdb.rdrecord(str(dataset("cinc2017") / "A00001"))  # labelled N in REFERENCE-v3.csv
    return record.p_signal[:, 0].tolist(), record.fs


def test_python_api_py_serves_a_real_record_and_names_the_fine_tuned_model(tmp_path, tiny_gpt2_dir, cinc_record):
    port = free_port()
    process, log = start([sys.executable, "api.py"], port, {"MEDICAL_GPT2_PATH": str(tiny_gpt2_dir)}, tmp_path)
    try:
        samples, fs = cinc_record
        result = call(
            port,
            "/classify",
            {"signal": samples, "signal_type": "ECG", "sampling_rate": fs, "clinical_context": "Routine check"},
        )
        health = call(port, "/health")
        with pytest.raises(urllib.error.HTTPError):
            call(port, f"/{PATH_MARKER}?context={PATH_MARKER}")
        with socket.create_connection(("127.0.0.1", port)) as raw:  # a malformed request line
            raw.sendall(f"NOT-HTTP {PATH_MARKER} {PATH_MARKER}\r\n\r\n".encode())
            raw.recv(1024)
    finally:
        process.terminate()
        process.wait(timeout=30)
    for key in (
        "classification",
        "confidence",
        "probabilities",
        "interpretation",
        "signal_type",
        "generator",
        "interpretation_id",
    ):
        assert key in result
    assert result["classification"] == "Normal Sinus Rhythm"
    assert set(result["probabilities"]) == {
        "Normal Sinus Rhythm",
        "Atrial Fibrillation",
        "Other Rhythm",
        "Noisy Recording",
    }
    assert health["generator"] == "fine-tuned GPT-2"
    log.seek(0)
    output = log.read()
    assert f"✓ Fine-tuned medical GPT-2 model configured: {tiny_gpt2_dir}" in output
    assert "Routine check" not in output  # clinical context never reaches the logs
    assert "POST /classify 200" in output and PATH_MARKER not in output  # routes, not typed URLs
    assert "a malformed or timed-out request was refused" in output


def hold_slow_connections(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that send part of a request and then wait: every other one stops
    inside its headers, the rest after the headers with part of the body they declared."""
    held = []
    for index in range(count):
        connection = socket.create_connection(("127.0.0.1", port))
        if index % 2:
            connection.sendall(
                b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: "
                b'application/json\r\nContent-Length: 100000\r\n\r\n{"signal": ['
            )
        else:
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        held.append(connection)
    return held


def worker_pids(log):
    log.seek(0)
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log.read())]


def test_gunicorn_serves_the_same_app_with_two_preloaded_workers_and_replaces_a_killed_one(tmp_path):
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process, log = start([gunicorn, "-c", "gunicorn.conf.py", "-w", "2", "api:create_app()"], port, {}, tmp_path)
    question = {"prompt": "What does atrial fibrillation mean?"}
    try:
        answers = [call(port, "/ask", question) for _ in range(4)]
        with pytest.raises(urllib.error.HTTPError):
            call(port, f"/{PATH_MARKER}")
        os.kill(worker_pids(log)[0], signal.SIGKILL)
        answers += [call(port, "/ask", question) for _ in range(6)]  # the other worker answers
        deadline = time.time() + 60
        while len(worker_pids(log)) < 3 and time.time() < deadline:
            time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert len(answers) == 10 and all(a["generator"] == "knowledge base" for a in answers)
    assert len(worker_pids(log)) == 3  # the master booted a replacement
    log.seek(0)
    output = log.read()
    assert output.count("No GPT-2 model available") == 1  # preloaded once, not per worker
    assert "POST /ask 200" in output and PATH_MARKER not in output  # app's route line, no access line


def test_health_answers_while_four_slow_clients_hold_connections_on_two_workers(tmp_path):
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process, log = start(
        [gunicorn, "-c", "gunicorn.conf.py", "-w", "2", "api:create_app()"], port, {"HOST": "127.0.0.1"}, tmp_path
    )
    held = []
    try:
        held = hold_slow_connections(port, 4)
        time.sleep(1)  # the workers have picked them up
        # With sync workers this waited for the worker timeout (120 s). The bound is generous so
        # that a loaded machine cannot fail it; the latency itself is in BENCHMARKS.md.
        health = call(port, "/health", timeout=20)
    finally:
        for connection in held:
            connection.close()
        process.terminate()
        process.wait(timeout=30)
    assert health["status"] == "ok"
    log.seek(0)
    assert f"Listening at: http://127.0.0.1:{port}" in log.read()  # HOST is honoured
