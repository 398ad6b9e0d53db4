"""Hostile and careless requests: the answer, time and peak memory of each, in one run.

    OMP_NUM_THREADS=1 python -m bench.hostile [--skip-servers]

Each case runs in a fresh process: the app is built, one real 10 s ECG is classified (so the models
are loaded), the request body is built, and then the RSS is sampled every 2 ms while
``POST /classify`` (Flask's test client) answers. "peak MB" is the highest RSS above the RSS just
before the request; "× body" is that over the body's size. The baseline, measured in the same run,
is a legitimate upload of 30 minutes of ECG (the CinC fixture A02506 tiled, a WFDB record of 1 MB).

Then the slow-client check: gunicorn with 2 workers and 4 connections that send part of a request
and wait; the time ``/health`` takes to answer, with this repository's gthread workers and with
gunicorn's default sync workers (``-k sync --threads 1``, the baseline; a 10 s cap).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import wfdb

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tests" / "fixtures" / "cinc2017" / "A02506"
HEALTH_CAP_S = 10.0


def _files(*pairs: tuple[str, bytes], **form: str) -> dict[str, Any]:
    data = {"signal_type": "ECG", **form, "file": [(io.BytesIO(content), name) for name, content in pairs]}
    return {"data": data, "content_type": "multipart/form-data"}


def _json_text(text: str) -> dict[str, Any]:
    return {"data": text.encode(), "content_type": "application/json"}


def _wfdb_record(folder: Path, seconds: int, fmt: str) -> tuple[bytes, bytes]:
    record = wfdb.rdrecord(str(RECORD))
    samples = np.resize(record.p_signal[:, 0], seconds * int(record.fs)).reshape(-1, 1)
    wfdb.wrsamp("rec", fs=record.fs, units=["mV"], sig_name=["ECG"], p_signal=samples, fmt=[fmt], write_dir=str(folder))
    return (folder / "rec.hea").read_bytes(), (folder / "rec.dat").read_bytes()


def _claiming(header: bytes, frames: int) -> bytes:
    """The header with its record line's length replaced by ``frames``."""
    lines = header.decode().splitlines()
    fields = lines[0].split()
    fields[3] = str(frames)
    return "\n".join([" ".join(fields), *lines[1:]]).encode() + b"\n"


def _edf_zero_duration(folder: Path) -> bytes:
    import pyedflib

    path = folder / "zero.edf"
    writer = pyedflib.EdfWriter(str(path), 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    writer.setSignalHeaders(
        [
            {
                "label": "ECG",
                "dimension": "mV",
                "sample_frequency": 300,
                "physical_min": -5,
                "physical_max": 5,
                "digital_min": -32768,
                "digital_max": 32767,
            }
        ]
    )
    writer.writeSamples([np.zeros(3000)])
    writer.close()
    content = bytearray(path.read_bytes())
    content[244:252] = b"0       "
    return bytes(content)


def cases(folder: Path) -> dict[str, Callable[[], dict[str, Any]]]:
    def flac_claiming_1e8() -> dict[str, Any]:
        header, dat = _wfdb_record(folder, 60, "516")
        return _files(("rec.hea", _claiming(header, 100_000_000)), ("rec.dat", dat))

    def skew_1e9() -> dict[str, Any]:
        header = b"rec 1 300 3000\nrec.dat 16:1000000000 200/mV 16 0 0 0 0 ECG\n"
        return _files(("rec.hea", header), ("rec.dat", b"\0" * 2048))

    return {
        "baseline: 30 min ECG, WFDB upload": lambda: _files(
            *zip(("rec.hea", "rec.dat"), _wfdb_record(folder, 30 * 60, "16"))
        ),
        "FLAC .dat, header claims 10^8 samples": flac_claiming_1e8,
        "header skew 10^9, 2 KB .dat": skew_1e9,
        "16 MB CSV, 8 million lines": lambda: _files(("x.csv", b"1\n" * 8_000_000)),
        "16 MB CSV, one line of 8 million columns": lambda: _files(("x.csv", b"1," * 8_000_000)),
        "CSV field of 200,000 characters": lambda: _files(("x.csv", b"v\n" + b"1" * 200_000)),
        "EDF with record duration 0": lambda: _files(("x.edf", _edf_zero_duration(folder))),
        "JSON nested 100,000 deep": lambda: _json_text('{"signal": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        "JSON 400-digit integer in signal": lambda: _json_text(
            '{"signal_type": "ECG", "signal": [' + "9" * 400 + ", 1" * 3000 + "]}"
        ),
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def run_case(name: str) -> dict[str, Any]:
    """In this (fresh) process: the answer to one case, its time and its peak RSS above idle."""
    from api import create_app

    with tempfile.TemporaryDirectory() as tmp:
        client = create_app({"database_url": f"sqlite:///{tmp}/bench.db", "use_base_gpt2": False}).test_client()
        record = wfdb.rdrecord(str(RECORD))
        warm = client.post(
            "/classify",
            json={"signal": record.p_signal[:3000, 0].tolist(), "signal_type": "ECG", "sampling_rate": record.fs},
        )
        assert warm.status_code == 200
        request = cases(Path(tmp))[name]()
        body_mb = _body_mb(request)
        idle = _rss_mb()
        peak = [idle]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _rss_mb())
                time.sleep(0.002)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        response = client.post("/classify", **request)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    return {
        "status": response.status_code,
        "seconds": seconds,
        "peak_mb": peak[0] - idle,
        "body_mb": body_mb,
        "answer": (response.get_json() or {}).get("error", "")[:70],
    }


def _body_mb(request: dict[str, Any]) -> float:
    data = request["data"]
    if isinstance(data, bytes):
        return len(data) / 1e6
    return sum(len(handle.getvalue()) for handle, _ in data["file"]) / 1e6


def health_under_slow_clients(worker_class: str) -> float:
    """Seconds /health takes while 4 slow connections are held on 2 workers (capped)."""
    import urllib.request

    from tests.test_server import free_port, hold_slow_connections

    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "USE_BASE_GPT2": "0",
        "DATABASE_URL": "sqlite:///" + tempfile.mkdtemp() + "/db.sqlite",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-c",
        "gunicorn.conf.py",
        "-w",
        "2",
        "-k",
        worker_class,
        "--threads",
        "1" if worker_class == "sync" else "8",
        "api:create_app()",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/health"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        held = hold_slow_connections(port, 4)
        time.sleep(1)
        started = time.perf_counter()
        try:
            urllib.request.urlopen(url, timeout=HEALTH_CAP_S).read()
            seconds = time.perf_counter() - started
        except OSError:
            seconds = float("inf")
        for connection in held:
            connection.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one case, in a child process
    parser.add_argument("--skip-servers", action="store_true", help="only the request cases")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case)))
        return

    print(f"{'case':<42}{'status':>7}{'s':>7}{'peak MB':>9}{'body MB':>9}{'× body':>8}  answer")
    for name in cases(Path(tempfile.gettempdir())):
        child = subprocess.run(
            [sys.executable, "-m", "bench.hostile", "--case", name],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        ratio = result["peak_mb"] / result["body_mb"] if result["body_mb"] else float("nan")
        print(
            f"{name:<42}{result['status']:>7}{result['seconds']:>7.2f}{result['peak_mb']:>9.1f}"
            f"{result['body_mb']:>9.2f}{ratio:>8.1f}  {result['answer']}"
        )
    if args.skip_servers:
        return
    for worker_class in ("sync", "gthread"):
        seconds = health_under_slow_clients(worker_class)
        shown = f"> {HEALTH_CAP_S:g} (no answer)" if seconds == float("inf") else f"{seconds:.3f}"
        print(f"/health with 4 slow clients on 2 {worker_class} workers: {shown} s")


if __name__ == "__main__":
    main()
