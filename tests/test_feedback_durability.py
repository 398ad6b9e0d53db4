"""Nothing acknowledged is lost, on SQLite and PostgreSQL, under gunicorn: SIGKILL of a worker in
the middle of a stream of feedback posts loses no rating answered 201, and 2,000 concurrent posts
over 4 workers (each rating sent twice, as a client that retries does) are stored exactly once; a
rater's change, a second rater and a restart of the server, checked through the API."""

import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import Store, feedback
from tests.test_server import free_port, start, worker_pids

RATINGS = {"clinical_accuracy": 4, "relevance": 4, "clarity": 5, "actionability": 3}


def post(port, body):
    """(status, answer) for one POST /feedback; (None, None) when the connection broke."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/feedback",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except OSError:  # reset by the killed worker: not acknowledged
        return None, None


@pytest.fixture()
def served(database_url, tmp_path):
    """``served(workers) -> (port, store, log, process)``: gunicorn on the database, stopped
    afterwards."""
    processes = []

    def serve(workers):
        store = Store(database_url)
        port = free_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        process, log = start(
            [gunicorn, "-c", "gunicorn.conf.py", "-w", str(workers), "api:create_app()"],
            port,
            {"DATABASE_URL": database_url, "WARM_UP_MODELS": "0"},
            tmp_path,
        )
        processes.append(process)
        return port, store, log, process

    yield serve
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            process.wait(timeout=30)


def stored_ratings(store):
    with store.engine.connect() as conn:
        return {
            (row.interpretation_id, row.rater_id): row.id
            for row in conn.execute(select(feedback.c.id, feedback.c.interpretation_id, feedback.c.rater_id))
        }


def test_sigkill_of_a_worker_mid_stream_loses_no_acknowledged_rating(served):
    port, store, log, _ = served(2)
    items = [store.save_interpretation(kind="ask", generator="templates", text="shown") for _ in range(5)]
    answers, killed = [], threading.Event()

    def stream(client):
        for number in range(50):
            body = {
                "interpretation_id": items[number % 5],
                "ratings": RATINGS,
                "rater_id": f"c{client}-{number}",
                "comment": "kept",
            }
            answers.append((body, *post(port, body)))
            if len(answers) >= 60 and not killed.is_set():
                killed.set()
                os.kill(worker_pids(log)[0], signal.SIGKILL)

    threads = [threading.Thread(target=stream, args=(client,)) for client in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert killed.is_set()
    acknowledged = [(body, answer) for body, status, answer in answers if status == 201]
    assert len(acknowledged) >= 150  # the other worker and the replacement kept answering
    stored = stored_ratings(Store(store.engine.url.render_as_string(hide_password=False)))
    for body, answer in acknowledged:
        assert stored[(body["interpretation_id"], body["rater_id"])] == answer["feedback_id"]


def test_2000_concurrent_posts_over_4_workers_are_stored_exactly_once(served):
    port, store, *_ = served(4)
    items = [store.save_interpretation(kind="ask", generator="templates", text="shown") for _ in range(20)]
    bodies = [
        {"interpretation_id": items[number % 20], "ratings": RATINGS, "rater_id": f"r{number}"}
        for number in range(1000)
    ]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda body: post(port, body), bodies + bodies))  # each sent twice

    statuses = [status for status, _ in answers]
    assert statuses.count(201) == 1000 and statuses.count(200) == 1000
    stored = stored_ratings(store)
    assert len(stored) == 1000
    for body, (first, second) in zip(bodies, zip(answers[:1000], answers[1000:])):
        assert (
            first[1]["feedback_id"] == second[1]["feedback_id"] == stored[(body["interpretation_id"], body["rater_id"])]
        )


def test_a_changed_rating_and_a_second_rater_survive_a_restart_of_the_server(served):
    port, store, _, process = served(1)
    record_id = store.save_interpretation(kind="ask", generator="templates", text="shown")
    body = {"interpretation_id": record_id, "ratings": RATINGS, "rater_id": "gp-1"}
    assert post(port, body)[0] == 201
    assert post(port, {**body, "ratings": {**RATINGS, "clarity": 1}})[0] == 200
    assert post(port, {**body, "rater_id": "nurse-2"})[0] == 201
    process.terminate()
    process.wait(timeout=30)

    port, *_ = served(1)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/feedback/summary", timeout=60) as response:
        summary = json.loads(response.read())
    assert summary["n"] == 2 and summary["raters"] == 2 and summary["items"] == 1
    assert summary["overall"]["criteria"]["clarity"]["mean"] == 3.0  # (1 + 5) / 2
