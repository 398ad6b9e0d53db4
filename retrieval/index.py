"""The retrieval index: one SQLite file with an FTS5 table (porter stemming) ranked by BM25; stdlib only.

Chosen over ``bm25s`` by measured recall and latency (``python -m retrieval compare``; figures in
README.md). The file records a hash of every source it was built from, so a changed source is
noticed at start-up and the index rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from classifier.paths import data_dir
from retrieval.passages import Passage, all_passages, source_files

log = logging.getLogger(__name__)

TITLE_WEIGHT, TEXT_WEIGHT = 10.0, 1.0
# Terms in more than this share of passages add little to BM25 but make a query scan thousands of
# rows; they are left out of the match (unless nothing else is left).
COMMON_TERM_SHARE = 0.03
MAX_CACHED_TERMS = 50_000
LAYOUT = "fts5 porter unicode61; v5"  # change it when build() changes
STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does doing for from
had has have having he her him his how i if in into is it its me my no not of on or our pt patient
she should so than that the their them then there these they this those to too us was we were what
when where which who why will with would you your is are about any also get got just like may
might much many must tell know explain say please""".split()
)


def default_paths() -> tuple[Path, Path]:
    """``(corpus folder, index file)`` under the project's data folder."""
    return data_dir() / "corpus", data_dir() / "retrieval" / "index.sqlite"


def sources_hash(corpus_dir: Path) -> str:
    """A hash of every source file and of the index layout (:data:`LAYOUT`)."""
    digest = hashlib.sha256(LAYOUT.encode())
    for path in source_files(corpus_dir):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build(corpus_dir: Path, index_path: Path) -> int:
    """Build the index from scratch into ``index_path`` (atomically); returns the passage count."""
    index_path.parent.mkdir(parents=True, exist_ok=True)
    partial = index_path.with_suffix(f".{os.getpid()}.partial")  # workers may build at once
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    with connection:
        connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        connection.execute(
            "CREATE VIRTUAL TABLE passages USING fts5(title, text, doc_id UNINDEXED, "
            "origin UNINDEXED, url UNINDEXED, licence UNINDEXED, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        rows = ((p.title, p.text, p.doc_id, p.origin, p.url, p.licence) for p in all_passages(corpus_dir))
        connection.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?)", rows)
        count = connection.execute("SELECT count(*) FROM passages").fetchone()[0]
        connection.execute("INSERT INTO passages(passages) VALUES ('optimize')")
        connection.execute("INSERT INTO meta VALUES ('sources', ?)", (sources_hash(corpus_dir),))
        connection.execute("INSERT INTO meta VALUES ('count', ?)", (str(count),))
    connection.close()
    partial.replace(index_path)
    return count


# A question asking what something is wants the overview passage: MedQuAD titles it "(information)".
DEFINITION_QUESTION = re.compile(
    r"^\W*(what\s+(is|are)|define|definition|meaning)\b(?!.*\b(caus|symptom|"
    r"treat|sign|test|inherit|outlook|risk|prevent)\w*)",
    re.I,
)
DEFINITION_TERM = "information"


def query_terms(text: str) -> list[str]:
    """The content words of ``text``, lower case, as FTS5 can take them (no operators)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return [w for w in dict.fromkeys(words) if w not in STOPWORDS and len(w) > 1]


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


class Index:
    """A read-only view of a built index; safe to share between threads (one connection each)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._counts: dict[str, int] = {}
        meta = dict(self._connection().execute("SELECT key, value FROM meta").fetchall())
        self.sources, self.count = meta["sources"], int(meta["count"])

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.connection = connection
        return connection

    def _match(self, terms: list[str]) -> str:
        """An FTS5 query: at least one of the rarer terms, ranked by all of them.

        Requiring a rare term keeps the rows to rank few (fast); the common terms still count in
        the ranking, where words such as "symptoms" or "treatment" tell passages of one topic apart.
        """
        rare = [t for t in terms if self._documents(t) <= COMMON_TERM_SHARE * self.count]
        every = " OR ".join(f'"{term}"' for term in terms)
        if not rare or len(rare) == len(terms):
            return every
        return "(" + " OR ".join(f'"{term}"' for term in rare) + f") AND ({every})"

    def _documents(self, term: str) -> int:
        """How many passages hold ``term`` (as the index's stemmer reads it)."""
        if term not in self._counts:
            if len(self._counts) > MAX_CACHED_TERMS:  # clients choose the words: bound the cache
                self._counts.clear()
            self._counts[term] = (
                self._connection()
                .execute("SELECT count(*) FROM passages WHERE passages MATCH ?", (f'"{term}"',))
                .fetchone()[0]
            )
        return self._counts[term]

    def search(self, text: str, k: int = 5, origin: Optional[str] = None) -> list[Hit]:
        """The best ``k`` passages for ``text`` (distinct documents), best first."""
        terms = query_terms(text)
        if not terms:
            return []
        match = self._match(terms)
        if DEFINITION_QUESTION.search(text):  # ranks the overview first, matches no more rows
            every = " OR ".join(f'"{term}"' for term in terms)
            match = f'({match}) AND ({every} OR title : "{DEFINITION_TERM}")'
        where = "passages MATCH ?" + (" AND origin = ?" if origin else "")
        params = (match, origin) if origin else (match,)
        rows = (
            self._connection()
            .execute(
                f"SELECT title, text, doc_id, origin, url, licence, "
                f"bm25(passages, {TITLE_WEIGHT}, {TEXT_WEIGHT}) AS rank FROM passages "
                f"WHERE {where} ORDER BY rank LIMIT ?",
                (*params, k * 4),
            )
            .fetchall()
        )
        hits, seen = [], set()
        for title, body, doc_id, row_origin, url, licence, rank in rows:
            if doc_id in seen:
                continue
            seen.add(doc_id)
            hits.append(Hit(Passage(doc_id, title, row_origin, url, licence, body), -float(rank)))
            if len(hits) == k:
                break
        return hits


def load(
    corpus_dir: Optional[Path] = None, index_path: Optional[Path] = None, rebuild_if_stale: bool = True
) -> Optional[Index]:
    """The index, rebuilt first when missing or built from other sources; None without a corpus."""
    default_corpus, default_index = default_paths()
    corpus_dir, index_path = corpus_dir or default_corpus, index_path or default_index
    try:
        wanted = sources_hash(corpus_dir)
    except FileNotFoundError:
        log.warning("retrieval disabled: the corpus is missing (run scripts/fetch_data.py corpus)")
        return Index(index_path) if index_path.exists() else None
    if index_path.exists():
        index = Index(index_path)
        if index.sources == wanted or not rebuild_if_stale:
            return index
        log.info("retrieval index is older than its sources: rebuilding")
    started = time.perf_counter()
    count = build(corpus_dir, index_path)
    log.info("retrieval index built: %d passages in %.1f s", count, time.perf_counter() - started)
    return Index(index_path)
