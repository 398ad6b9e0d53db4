"""The retrieval index: built from the corpus files, searched by BM25, rebuilt when a source changes."""

import json
import lzma

from retrieval import index as ix
from retrieval.evaluate import held_out_questions
from retrieval.passages import CORPUS_FILES, medquad


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


def _medquad_row(qid, subset, source, focus, answer, qtype="information"):
    return {
        "source": source,
        "focus": focus,
        "qtype": qtype,
        "question": f"What is {focus} ?",
        "qid": qid,
        "subset": subset,
        "url": "",
        "answer": answer,
    }


def test_identical_answers_are_one_document_and_a_repeated_qid_is_not(tmp_path):
    write_corpus(tmp_path, "unused")
    generic = "This condition is inherited in an autosomal recessive pattern."
    rows = [
        _medquad_row("1", "GHR", "GHR", "Alpha syndrome", generic, "inheritance"),
        _medquad_row("1", "GARD", "GARD", "Alpha syndrome", generic + "  ", "inheritance"),
        _medquad_row("1", "NHLBI", "NHLBI", "Beta disease", generic, "inheritance"),
        _medquad_row("2", "NHLBI", "NHLBI", "Gamma disease", "Gamma disease slowly scars the lungs over many years."),
    ]
    path = tmp_path / CORPUS_FILES[0]
    with lzma.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(row) for row in rows) + "\n")
    passages = list(medquad(path))
    assert [p.doc_id for p in passages] == ["medquad:GHR/1", "medquad:NHLBI/1", "medquad:NHLBI/2"]
    assert passages[0].origin == "MedQuAD (GHR, GARD)"
    # A question is answered by any document carrying its answer text, whatever the focus.
    answering = dict(held_out_questions(tmp_path, "tune", n=4))
    assert answering["What is Alpha syndrome ?"] == {"medquad:GHR/1", "medquad:NHLBI/1"}
    assert answering["What is Gamma disease ?"] == {"medquad:NHLBI/2"}


def test_the_tune_and_held_out_samples_do_not_share_a_question(tmp_path):
    write_corpus(tmp_path, "unused")
    rows = [
        _medquad_row(str(i), "S", "S", f"Disease {i}", f"Answer number {i}, long enough to be indexed as a passage.")
        for i in range(10)
    ]
    with lzma.open(tmp_path / CORPUS_FILES[0], "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(row) for row in rows) + "\n")
    tune = held_out_questions(tmp_path, "tune", n=5)
    held_out = held_out_questions(tmp_path, "held-out", n=5)
    assert len(tune) == len(held_out) == 5
    assert not {q for q, _ in tune} & {q for q, _ in held_out}


def test_a_definition_question_ranks_the_overview_first(tmp_path):
    write_corpus(tmp_path, "unused")
    rows = [
        _medquad_row(
            "1", "S", "S", "Gamma disease", "Gamma disease is treated with rest and breathing exercises.", "treatment"
        ),
        _medquad_row("2", "S", "S", "Gamma disease", "Gamma disease is a rare lung illness of older adults."),
    ]
    with lzma.open(tmp_path / CORPUS_FILES[0], "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(row) for row in rows) + "\n")
    index = ix.load(tmp_path, tmp_path / "index.sqlite")
    assert index.search("What is gamma disease?", 1)[0].passage.doc_id == "medquad:S/2"
