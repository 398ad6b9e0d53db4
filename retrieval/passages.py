"""The passages the index holds: where each comes from, its licence, and its text.

MedQuAD answers and OpenStax sections are cut into passages of about :data:`PASSAGE_WORDS` words.
MedQuAD's questions are never indexed (only the focus and the answer), so held-out questions can
measure retrieval honestly. MedQuAD repeats some answers word for word under several questions and
sources; one answer text about one focus is one document (:func:`medquad_documents`), indexed once.
"""

from __future__ import annotations

import json
import lzma
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import knowledge_base as kb
from knowledge_base import topics as kb_topics

PASSAGE_WORDS = 120
KB_ORIGIN = "project knowledge base"
KB_LICENCE = "this project's own text"
PTBXL_URL = "https://physionet.org/content/ptb-xl/1.0.1/"
WFDB_URL = "https://github.com/MIT-LCP/wfdb-python"
CORPUS_FILES = (
    "medquad_qa.jsonl.xz",
    "openstax_anatomy_physiology_2e.jsonl.xz",
    "ptbxl_scp_statements.jsonl.xz",
    "wfdb_annotation_labels.jsonl.xz",
)


@dataclass(frozen=True)
class Passage:
    doc_id: str
    title: str
    origin: str
    url: str
    licence: str
    text: str


def _chunks(text: str, size: int = PASSAGE_WORDS) -> Iterator[str]:
    words = re.sub(r"\s+", " ", text).strip().split(" ")
    for start in range(0, len(words), size):
        chunk = " ".join(words[start : start + size])
        if len(chunk) > 40:
            yield chunk


def read_jsonl_xz(path: Path) -> Iterator[dict]:
    """The rows of an xz-compressed JSON-lines archive (the corpus sources' format), blank lines skipped."""
    with lzma.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def answer_key(answer: str) -> str:
    """What makes two MedQuAD answers the same document: the text, case and spacing aside."""
    return re.sub(r"\s+", " ", answer).strip().lower()


def medquad_documents(path: Path) -> dict[str, list[dict]]:
    """MedQuAD's rows grouped by focus and answer text (:func:`answer_key`), keyed by document id."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in read_jsonl_xz(path):
        groups.setdefault((row["focus"].lower(), answer_key(row["answer"])), []).append(row)
    return {f"medquad:{rows[0]['subset']}/{rows[0]['qid']}": rows for rows in groups.values()}


def medquad(path: Path) -> Iterator[Passage]:
    for doc_id, rows in medquad_documents(path).items():
        first = rows[0]
        sources = ", ".join(dict.fromkeys(row["source"] for row in rows))
        for chunk in _chunks(first["answer"]):
            yield Passage(
                doc_id,
                f"{first['focus']} ({first['qtype']})",
                f"MedQuAD ({sources})",
                first.get("url") or "",
                "CC BY 4.0",
                chunk,
            )


def openstax(path: Path) -> Iterator[Passage]:
    for row in read_jsonl_xz(path):
        for chunk in _chunks(row["text"]):
            yield Passage(
                f"openstax:{row['module_id']}",
                f"{row['chapter']}: {row['title']}",
                "OpenStax Anatomy and Physiology 2e",
                row.get("url") or "",
                row.get("license") or "CC BY 4.0",
                chunk,
            )


def scp_statements(path: Path) -> Iterator[Passage]:
    for row in read_jsonl_xz(path):
        category = row.get("Statement Category") or "SCP-ECG statement"
        text = f"{row['code']}: {row['description']}. {row.get('SCP-ECG Statement Description') or ''} ({category})."
        yield Passage(
            f"scp:{row['code']}",
            f"PTB-XL SCP-ECG statement {row['code']}",
            "PTB-XL scp_statements",
            PTBXL_URL,
            "CC BY 4.0",
            text,
        )


def wfdb_labels(path: Path) -> Iterator[Passage]:
    for row in read_jsonl_xz(path):
        if not row["symbol"].strip():
            continue
        yield Passage(
            f"wfdb:{row['symbol']}",
            f"WFDB annotation {row['symbol']}",
            "wfdb-python annotation labels",
            WFDB_URL,
            "MIT",
            f"{row['symbol']} ({row['short_description']}): {row['description']}.",
        )


def knowledge_base() -> Iterator[Passage]:
    for entry in kb.load_entries().values():
        body = " ".join(
            [entry.summary, entry.explanation, entry.significance, entry.follow_up, *entry.questions.values()]
        )
        for chunk in _chunks(body):
            yield Passage(f"kb:{entry.label}", entry.label, KB_ORIGIN, "", KB_LICENCE, chunk)
    for term in kb_topics.glossary():
        yield Passage(f"glossary:{term.term}", term.term, KB_ORIGIN, "", KB_LICENCE, term.text)


def all_passages(corpus_dir: Path) -> Iterator[Passage]:
    readers = (medquad, openstax, scp_statements, wfdb_labels)
    for name, reader in zip(CORPUS_FILES, readers):
        yield from reader(corpus_dir / name)
    yield from knowledge_base()


def source_files(corpus_dir: Path) -> list[Path]:
    """Every file the index is built from: a change to any of them means a rebuild."""
    kb_dir = Path(kb.__file__).resolve().parent
    return (
        [corpus_dir / name for name in CORPUS_FILES]
        + sorted(kb.ENTRIES_DIR.glob("*.json"))
        + [kb_dir / "glossary.json"]
    )
