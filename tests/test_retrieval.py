"""The retrieval index: built from the corpus files, searched by BM25, rebuilt when a source changes."""

import json
import lzma

from retrieval import index as ix


def write_corpus(folder, medquad_answer):
    rows = {
        "medquad_qa.jsonl.xz": [
            {
                "source": "NHLBI",
                "focus": "Atrial Fibrillation",
                "qtype": "treatment",
                "question": "How to treat atrial fibrillation ?",
                "qid": "q1",
                "subset": "1_NHLBI",
                "url": "https://example.org/af",
                "answer": medquad_answer,
            }
        ],
        "openstax_anatomy_physiology_2e.jsonl.xz": [
            {
                "module_id": "m1",
                "chapter": "The Heart",
                "title": "Conduction",
                "url": "https://example.org/os",
                "license": "CC BY 4.0",
                "text": "The sinoatrial node starts each heartbeat and sets the pace of the heart.",
            }
        ],
        "ptbxl_scp_statements.jsonl.xz": [
            {
                "code": "LNGQT",
                "description": "long QT-interval",
                "SCP-ECG Statement Description": "long QT-interval",
                "Statement Category": "other ST-T descriptive statements",
            }
        ],
        "wfdb_annotation_labels.jsonl.xz": [
            {"symbol": "V", "short_description": "PVC", "description": "Premature ventricular contraction"}
        ],
    }
    for name, items in rows.items():
        with lzma.open(folder / name, "wt", encoding="utf-8") as handle:
            handle.write("\n".join(json.dumps(item) for item in items) + "\n")


def test_the_index_finds_the_passage_and_names_its_source(tmp_path):
    write_corpus(tmp_path, "Blood thinners lower the risk of stroke in atrial fibrillation.")
    index = ix.load(tmp_path, tmp_path / "index.sqlite")
    hit = index.search("do blood thinners help in atrial fibrillation", 3)[0]
    assert hit.passage.doc_id == "medquad:1_NHLBI/q1"
    assert (hit.passage.origin, hit.passage.url, hit.passage.licence) == (
        "MedQuAD (NHLBI)",
        "https://example.org/af",
        "CC BY 4.0",
    )
    assert index.search("sinoatrial node pace", 1)[0].passage.origin.startswith("OpenStax")


def test_a_changed_source_is_noticed_and_the_index_rebuilt(tmp_path):
    write_corpus(tmp_path, "Blood thinners lower the risk of stroke in atrial fibrillation.")
    first = ix.load(tmp_path, tmp_path / "index.sqlite")
    assert first.search("cardioversion", 1) == []
    write_corpus(tmp_path, "Cardioversion can restore a normal rhythm in atrial fibrillation.")
    second = ix.load(tmp_path, tmp_path / "index.sqlite")
    assert second.sources != first.sources
    assert second.search("cardioversion", 1)[0].passage.doc_id == "medquad:1_NHLBI/q1"


def test_questions_without_content_words_find_nothing(tmp_path):
    write_corpus(tmp_path, "Blood thinners lower the risk of stroke.")
    assert ix.load(tmp_path, tmp_path / "index.sqlite").search("what is it?", 3) == []
