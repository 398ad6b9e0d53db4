"""Load test: mixed requests against gunicorn; no 5xx and bounded worker memory, in one run.

    OMP_NUM_THREADS=1 python -m bench.load [--requests 5000] [--concurrency 16] [--workers 2]

Starts gunicorn as deployed (``gunicorn.conf.py``, preloaded app, knowledge-base explanations,
SQLite in a temporary folder), sends a warm-up round of the mix, reads each worker's resident memory,
sends ``--requests`` requests from ``--concurrency`` client threads, and reads the memory again.
The mix, in a fixed cycle of 20: 5 ECG classifications (the 60 s fixture record A02506), 1 EEG
classification (a 23.6 s Bonn fixture segment), 5 questions, 2 feedback ratings, 1 feedback summary,
2 health checks and 4 bad requests (non-numeric signal, too short a recording, a text body, an
unknown path). Baseline, same run and concurrency: ``GET /health`` round trips (the HTTP stack
alone).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import wfdb

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
RATINGS = {"clinical_accuracy": 4, "relevance": 4, "clarity": 5, "actionability": 3}


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send(
    port: int, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, float, dict]:
    """(status, seconds, JSON answer or {}) of one request; HTTP errors are answers, not failures."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body, method=method, headers={"Content-Type": content_type}
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    elapsed = time.perf_counter() - start
    try:
        return status, elapsed, json.loads(raw)
    except ValueError:
        return status, elapsed, {}


def request_mix(interpretation_id: str) -> list[tuple[str, str, str, bytes | None, str]]:
    """One cycle of 20 (kind, method, path, body, content type)."""
    ecg = np.resize(wfdb.rdrecord(str(FIXTURES / "cinc2017" / "A02506")).p_signal[:, 0], 60 * 300)
    eeg = np.load(FIXTURES / "bonn" / "segments.npz")["S012"]

    def js(payload: dict) -> bytes:
        return json.dumps(payload).encode()

    classify_ecg = (
        "classify ECG 60 s",
        "POST",
        "/classify",
        js({"signal": ecg.round(4).tolist(), "signal_type": "ECG", "sampling_rate": 300}),
        "application/json",
    )
    classify_eeg = (
        "classify EEG 23.6 s",
        "POST",
        "/classify",
        js({"signal": eeg.tolist(), "signal_type": "EEG", "sampling_rate": 173.61}),
        "application/json",
    )
    ask = (
        "ask",
        "POST",
        "/ask",
        js(
            {
                "prompt": "What are the treatment options?",
                "signal_type": "ECG",
                "classification": {"prediction": "Atrial Fibrillation", "confidence": 0.92},
            }
        ),
        "application/json",
    )
    rate = (
        "feedback",
        "POST",
        "/feedback",
        js({"interpretation_id": interpretation_id, "ratings": RATINGS}),
        "application/json",
    )
    summary = ("feedback summary", "GET", "/feedback/summary", None, "application/json")
    health = ("health", "GET", "/health", None, "application/json")
    bad = [
        (
            "bad: non-numeric signal",
            "POST",
            "/classify",
            js({"signal": ["x"], "signal_type": "ECG"}),
            "application/json",
        ),
        ("bad: too short", "POST", "/classify", js({"signal": [0.1] * 300, "signal_type": "ECG"}), "application/json"),
        ("bad: text body", "POST", "/ask", b"prompt=hello", "text/plain"),
        ("bad: unknown path", "GET", "/no-such-endpoint", None, "application/json"),
    ]
    return [classify_ecg] * 5 + [classify_eeg] + [ask] * 5 + [rate] * 2 + [summary] + [health] * 2 + bad


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def run(port: int, jobs: list, concurrency: int) -> list[tuple[str, int, float]]:
    def one(job):
        kind, method, path, body, content_type = job
        status, seconds, _ = send(port, method, path, body, content_type)
        return kind, status, seconds

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, jobs))


def percentile_ms(seconds: list[float], q: float) -> float:
    return float(np.percentile(seconds, q)) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        port = unused_port()
        log = open(Path(tmp) / "gunicorn.log", "w+")
        env = {
            **os.environ,
            "PORT": str(port),
            "DATABASE_URL": f"sqlite:///{tmp}/load.db",
            "USE_BASE_GPT2": "0",
            "WEB_CONCURRENCY": str(args.workers),
        }
        gunicorn = Path(sys.executable).parent / "gunicorn"
        server = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "api:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.time() + 120
            while True:
                try:
                    send(port, "GET", "/health")
                    break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        raise SystemExit("gunicorn did not start") from None
                    time.sleep(0.5)
            log.seek(0)
            workers = [int(p) for p in re.findall(r"Booting worker with pid: (\d+)", log.read())]
            _, _, first = send(port, "POST", "/ask", json.dumps({"prompt": "What is a PVC?"}).encode())
            mix = request_mix(first["interpretation_id"])
            run(port, mix * (4 * args.workers), args.concurrency)  # warm-up: every worker loads its models
            before = {pid: resident_mb(pid) for pid in workers}

            health_job = ("health", "GET", "/health", None, "application/json")
            baseline = run(port, [health_job] * 1000, args.concurrency)
            jobs = (mix * (args.requests // len(mix) + 1))[: args.requests]
            start = time.perf_counter()
            results = run(port, jobs, args.concurrency)
            wall = time.perf_counter() - start
            after = {pid: resident_mb(pid) for pid in workers}
            log.seek(0)
            booted = len(re.findall(r"Booting worker with pid", log.read()))
        finally:
            server.terminate()
            server.wait(timeout=60)

    base_p50 = percentile_ms([s for _, _, s in baseline], 50)
    by_kind: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for kind, status, seconds in results:
        by_kind[kind].append((status, seconds))
    print(
        f"{args.requests} requests, concurrency {args.concurrency}, {args.workers} gunicorn workers, "
        f"{wall:.1f} s ({args.requests / wall:.0f} requests/s)"
    )
    print(f"baseline: GET /health x 1000 at the same concurrency, median {base_p50:.1f} ms")
    print(f"{'kind':<26}{'n':>6}{'statuses':>22}{'median ms':>11}{'p95 ms':>9}{'x baseline':>12}")
    for kind, rows in by_kind.items():
        statuses = ",".join(f"{code}:{n}" for code, n in sorted(Counter(c for c, _ in rows).items()))
        p50 = percentile_ms([s for _, s in rows], 50)
        print(
            f"{kind:<26}{len(rows):>6}{statuses:>22}{p50:>11.1f}"
            f"{percentile_ms([s for _, s in rows], 95):>9.1f}{p50 / base_p50:>12.1f}"
        )
    server_errors = sum(1 for _, status, _ in results if status >= 500)
    print(f"5xx answers: {server_errors}; workers booted: {booted} (started with {len(workers)})")
    for pid in workers:
        growth = after[pid] / before[pid] - 1
        print(
            f"worker {pid}: resident {before[pid]:.0f} MB after warm-up -> {after[pid]:.0f} MB "
            f"after the run ({growth:+.1%})"
        )
    print(f"overall median {statistics.median(s for _, _, s in results) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
