"""The store on SQLite and PostgreSQL: Alembic migrations (fresh, from a database made before
migrations existed, and matching the tables the queries use), one rating per rater even when the
same rater's requests race, and a read-only or full database answering 503 while classification
goes on."""

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.exc import OperationalError

from storage import Store, feedback, interpretations, make_engine, metadata
from storage.migrate import alembic_config, head_revision
from storage.migrate import main as migrate_main
from tests.test_api_classify import cinc_records, classify, read_cinc

RATINGS = {"clinical_accuracy": 4, "relevance": 4, "clarity": 5, "actionability": 3}


def test_a_fresh_database_is_migrated_to_the_tables_the_queries_use(database_url):
    store = Store(database_url)
    assert store.revision == head_revision()
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_the_migrate_command_upgrades_and_says_to_which_revision(database_url, capsys):
    assert migrate_main(["--url", database_url]) == 0
    assert f"database at revision {head_revision()}" in capsys.readouterr().out
    assert Store(database_url).revision == head_revision()  # a second upgrade is a no-op


def test_instances_starting_together_on_a_new_database_migrate_it_once(database_url):
    with ThreadPoolExecutor(4) as pool:
        revisions = list(pool.map(lambda _: Store(database_url).revision, range(4)))
    assert revisions == [head_revision()] * 4


def test_a_new_sqlite_file_another_worker_is_writing_is_switched_to_wal_once_it_is_free(tmp_path):
    """SQLite refuses the switch to WAL at once, without waiting out busy_timeout, while another
    connection holds the write lock of a new file: workers starting together must wait, not fail."""
    path = tmp_path / "store.db"
    other_worker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other_worker.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, other_worker.rollback).start()
    with make_engine(f"sqlite:///{path}").connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    other_worker.close()


def test_a_database_from_before_migrations_keeps_its_ratings(database_url):
    engine = make_engine(database_url)
    with engine.begin() as conn:  # the baseline schema, as create_all made it, with no version table
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text(
                "INSERT INTO interpretations (id, created_at, kind, generator, text) "
                "VALUES ('old', CURRENT_TIMESTAMP, 'ask', 'templates', 'shown')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO feedback (interpretation_id, created_at, clinical_accuracy, "
                "relevance, clarity, actionability, comment) "
                "VALUES ('old', CURRENT_TIMESTAMP, 5, 4, 3, 2, 'kept')"
            )
        )
    engine.dispose()
    store = Store(database_url)
    (row,) = store.rated_interpretations()
    assert (row["interpretation_id"], row["clarity"], row["comment"], row["rater_id"]) == ("old", 3, "kept", None)
    assert "facts" in {c["name"] for c in inspect(store.engine).get_columns("interpretations")}
    assert store.save_feedback("old", RATINGS, None, rater_id="new")[1] is True


def test_racing_requests_of_one_rater_store_one_rating(database_url):
    store = Store(database_url)
    record_id = store.save_interpretation(kind="ask", generator="templates", text="shown")
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                lambda i: store.save_feedback(record_id, {**RATINGS, "clarity": 1 + i % 5}, None, rater_id="same"),
                range(24),
            )
        )
    assert sum(created for _, created in results) == 1
    assert len({feedback_id for feedback_id, _ in results}) == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(feedback.c.id)).all() == [(results[0][0],)]


def make_read_only(url, store):
    """The database refuses writes from now on (reads still work)."""
    if url.startswith("sqlite"):
        return url.replace("sqlite:///", "sqlite:///file:") + "?mode=ro&uri=true"
    name = store.engine.url.database
    with store.engine.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        conn.commit()
    return url


def make_full(url, store, record_id):
    """Every write that needs space fails as a full disk does (SQLite: no page may be added;
    PostgreSQL: the server's disk_full error, raised by a trigger since a test cannot fill a disk)."""
    if url.startswith("sqlite"):
        with store.engine.connect() as conn:
            pages = conn.execute(text("PRAGMA page_count")).scalar()

        def fill(engine):  # no page may be added, and the free space left in the last ones is used up
            event.listen(engine, "connect", lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count = {pages}"))
            engine.dispose()
            rows = {
                interpretations: dict(created_at=func.now(), kind="ask", generator="templates", text="z"),
                feedback: dict(interpretation_id=record_id, created_at=func.now(), **RATINGS),
            }
            for table, values in rows.items():  # small rows, until not even one more fits
                with pytest.raises(OperationalError, match="full"):
                    for number in range(100_000):
                        with engine.begin() as conn:
                            conn.execute(
                                table.insert().values(
                                    **({"id": f"filler-{number}"} if table is interpretations else {}), **values
                                )
                            )

        return url, fill
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$"
            )
        )
        for table in ("interpretations", "feedback"):
            conn.execute(
                text(
                    f"CREATE TRIGGER full_{table} BEFORE INSERT OR UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION disk_full()"
                )
            )
    return url, None


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_read_only_or_full_database_answers_503_and_classification_goes_on(make_app, database_url, fault):
    store = Store(database_url)
    record_id = store.save_interpretation(kind="ask", generator="templates", text="x" * 5000)
    store.save_feedback(record_id, RATINGS, None, rater_id="before")
    if fault == "read-only":
        url, on_engine = make_read_only(database_url, store), None
    else:
        url, on_engine = make_full(database_url, store, record_id)
    store.engine.dispose()
    app = make_app(database_url=url)
    if on_engine:
        engine = app.extensions["clinical_service"].store.engine
        on_engine(engine)
    client = app.test_client()
    stored = len(app.extensions["clinical_service"].store.rated_interpretations())

    posted = client.post(
        "/feedback",
        json={"interpretation_id": record_id, "ratings": RATINGS, "rater_id": "after", "comment": "y" * 2000},
    )
    assert posted.status_code == 503 and posted.headers["Retry-After"] == "30"
    samples, fs = read_cinc(cinc_records()[0][0])
    classified = classify(client, samples, fs)
    assert classified.status_code == 200 and classified.get_json()["interpretation_id"] is None
    assert classified.get_json()["classification"] == cinc_records()[0][1]
    summary = client.get("/feedback/summary")  # what was stored can still be read, nothing added
    assert summary.status_code == 200 and summary.get_json()["n"] == stored
