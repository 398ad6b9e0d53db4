"""Build the fine-tuning corpus, in the specification's four-file layout, from real public text.

Reads the JSON Lines archives that ``python -m scripts.fetch_data corpus`` puts in
``data/corpus`` and writes to ``--output_dir`` (default ``data/medical_corpus``):

- ``ecg_interpretations.jsonl``: PTB-XL 12-lead ECG reports written by cardiologists (the English
  ones, ``lang_guess == "en"``), each as a finding (its SCP-ECG statements, highest likelihood
  first; confidence = that likelihood) -> the report with the statements' descriptions; then the
  project's own sample interpretations (``medical_corpus/``).
- ``eeg_reports.jsonl``: the project's own sample EEG interpretations; the public archive holds no
  EEG report text.
- ``clinical_guidelines.txt``: OpenStax *Anatomy and Physiology 2e* sections, a glossary of the
  PTB-XL SCP-ECG statements and of the MIT-BIH/PhysioBank annotation codes, the project's own
  guideline notes.
- ``patient_education.txt``: MedQuAD consumer-health question/answer pairs (NIH sources), the
  project's own patient-education notes.
- ``ATTRIBUTION``: sources, licences and the size of each file (documents, GPT-2 tokens).

Original sources for a user without the workplace archive: MedQuAD github.com/abachaa/MedQuAD,
PTB-XL physionet.org/content/ptb-xl/1.0.1, wfdb-python github.com/MIT-LCP/wfdb-python,
OpenStax github.com/openstax/osbooks-anatomy-physiology.

    python -m scripts.build_corpus [--output_dir data/medical_corpus]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Iterable, Iterator

from classifier.paths import PROJECT_ROOT, data_dir  # noqa: E402
from retrieval.passages import read_jsonl_xz  # noqa: E402

BUNDLED = PROJECT_ROOT / "medical_corpus"
SOURCES = {
    "medquad_qa": "MedQuAD (Ben Abacha & Demner-Fushman, BMC Bioinformatics 20:511, 2019), "
    "question/answer pairs from NIH websites; CC BY 4.0",
    "ptbxl": "PTB-XL 1.0.1 (Wagner et al., Scientific Data 7:154, 2020): ECG reports and scp_statements.csv; CC BY 4.0",
    "wfdb_annotation_labels": "wfdb-python annotation label table (PhysioBank/MIT-BIH annotation "
    "codes), MIT-LCP; MIT licence",
    "openstax": "OpenStax Anatomy and Physiology 2e (Rice University), "
    "https://openstax.org/details/books/anatomy-and-physiology-2e; CC BY 4.0. "
    "Changes: text extracted from the CNXML modules, whitespace normalised",
    "project": "the project's own sample corpus (medical_corpus/), written for it",
}


def as_document(text: str) -> str:
    """One document without blank lines (they separate documents in a .txt file), spaces collapsed."""
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def sentence_case(text: str) -> str:
    """PTB-XL reports are lower case: capitalise the start of each sentence."""
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text.strip())


def ptbxl_pairs(reports: Iterable[dict], statements: dict[str, str]) -> Iterator[dict]:
    """English PTB-XL reports as {"classification", "confidence", "interpretation"} records."""
    for report in reports:
        text = re.sub(r"\s+", " ", report["report"]).strip()
        text = text if text.endswith((".", "!", "?")) else text + "."
        codes = [(code, likelihood) for code, likelihood in report["scp_codes"].items() if code in statements]
        if report["lang_guess"] != "en" or not text or not codes:
            continue
        codes.sort(key=lambda item: -item[1])  # stable: ties keep the database's order
        top = codes[0][1]
        if top <= 0:  # no statement with a stated likelihood: no confidence to give
            continue
        names = [statements[code] for code, _ in codes]
        described = "; ".join(
            f"{statements[code]} (likelihood {likelihood:.0f}%)" if likelihood else statements[code]
            for code, likelihood in codes
        )
        yield {
            "classification": names[0][0].upper() + names[0][1:],
            "confidence": f"{top:.0f}%",
            "interpretation": f"Cardiologist's report: {sentence_case(text)} Coded SCP-ECG statements: {described}.",
            "source": "PTB-XL",
            "ecg_id": report["ecg_id"],
        }


def scp_glossary(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        kind = "diagnostic" if row.get("diagnostic") else "rhythm" if row.get("rhythm") else "form"
        text = (
            f"SCP-ECG statement {row['code']}: {row['description']}. It is a {kind} statement"
            f' in the category "{row["Statement Category"]}"'
        )
        if row.get("diagnostic_class"):
            text += f", diagnostic class {row['diagnostic_class']}"
        yield text + "."


def annotation_glossary(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        if row["symbol"].strip():
            yield (
                f"In MIT-BIH and other PhysioBank recordings, the annotation symbol "
                f'"{row["symbol"]}" ({row["short_description"]}) marks: {row["description"]}.'
            )


def openstax_sections(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        body = as_document(row["text"])
        if body:
            yield f"{row['chapter']}: {row['title']}\n{body}"


def medquad_documents(rows: Iterable[dict]) -> Iterator[str]:
    for row in rows:
        answer = as_document(row["answer"])
        if answer:
            yield f"Question: {row['question'].strip()}\nAnswer: {answer}"


def bundled_lines(name: str) -> list[str]:
    return [line for line in (BUNDLED / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def bundled_sections(name: str) -> list[str]:
    text = (BUNDLED / name).read_text(encoding="utf-8")
    return [section.strip() for section in text.split("\n\n") if section.strip()]


def build(corpus_dir: Path, output_dir: Path) -> dict[str, dict[str, int]]:
    """Write the four files and ATTRIBUTION; returns {file: {"documents", "tokens"}}."""
    from gpt2_tokenizer import load_tokenizer

    def source(name: str) -> Iterator[dict]:
        return read_jsonl_xz(corpus_dir / f"{name}.jsonl.xz")

    statements = {row["code"]: row["description"] for row in source("ptbxl_scp_statements")}
    ecg = [json.dumps(r, ensure_ascii=False) for r in ptbxl_pairs(source("ptbxl_reports"), statements)]
    files: dict[str, list[str]] = {
        "ecg_interpretations.jsonl": ecg + bundled_lines("ecg_interpretations.jsonl"),
        "eeg_reports.jsonl": bundled_lines("eeg_reports.jsonl"),
        "clinical_guidelines.txt": [
            *openstax_sections(source("openstax_anatomy_physiology_2e")),
            *scp_glossary(source("ptbxl_scp_statements")),
            *annotation_glossary(source("wfdb_annotation_labels")),
            *bundled_sections("clinical_guidelines.txt"),
        ],
        "patient_education.txt": [*medquad_documents(source("medquad_qa")), *bundled_sections("patient_education.txt")],
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer()
    sizes = {}
    for name, documents in files.items():
        separator = "\n" if name.endswith(".jsonl") else "\n\n"
        (output_dir / name).write_text(separator.join(documents) + "\n", encoding="utf-8")
        texts = [json.loads(d)["interpretation"] for d in documents] if name.endswith(".jsonl") else documents
        tokens = sum(len(ids) for ids in tokenizer(texts, verbose=False)["input_ids"])
        sizes[name] = {"documents": len(documents), "tokens": tokens}
    write_attribution(output_dir, sizes, n_ptbxl=len(ecg))
    return sizes


def write_attribution(output_dir: Path, sizes: dict[str, dict[str, int]], n_ptbxl: int) -> None:
    lines = [
        "Attribution for the text in this directory (written by scripts/build_corpus.py).",
        "",
        "Sources and licences:",
        *[f"- {text}" for text in SOURCES.values()],
        "",
        "Where each file's text comes from:",
        f"- ecg_interpretations.jsonl: {n_ptbxl} English PTB-XL reports with their SCP-ECG "
        "statement descriptions; then the project's own sample interpretations",
        "- eeg_reports.jsonl: the project's own sample interpretations",
        "- clinical_guidelines.txt: OpenStax Anatomy and Physiology 2e; PTB-XL SCP-ECG "
        "statement glossary; wfdb annotation codes; the project's own notes",
        "- patient_education.txt: MedQuAD answers; the project's own notes",
        "",
        "Size (GPT-2 tokens of the text; for .jsonl files, of the interpretations):",
        *[f"- {name}: {s['documents']} documents, {s['tokens']} tokens" for name, s in sizes.items()],
        f"- total: {sum(s['documents'] for s in sizes.values())} documents, "
        f"{sum(s['tokens'] for s in sizes.values())} tokens",
        "",
    ]
    (output_dir / "ATTRIBUTION").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--corpus_dir",
        type=Path,
        default=data_dir() / "corpus",
        help="the fetched *.jsonl.xz archives (default: %(default)s)",
    )
    parser.add_argument(
        "--output_dir",
        type=Path,
        default=data_dir() / "medical_corpus",
        help="where the corpus is written (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    sizes = build(args.corpus_dir, args.output_dir)
    for name, size in sizes.items():
        print(f"{name}: {size['documents']} documents, {size['tokens']} tokens")
    print(
        f"total: {sum(s['documents'] for s in sizes.values())} documents, "
        f"{sum(s['tokens'] for s in sizes.values())} tokens -> {args.output_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
