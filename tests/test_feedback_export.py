"""The loop back to fine-tuning: well-rated interpretations exported in the spec's format, which
finetune_gpt2.py's corpus loader reads as it is; low-rated ones to a review file; comments only
with the flag."""

import json

import pytest

import finetune_gpt2
from storage.export import main as export_main
from tests.test_api_classify import cinc_records, classify, read_cinc

HIGH = {"clinical_accuracy": 5, "relevance": 4, "clarity": 5, "actionability": 4}
LOW = {"clinical_accuracy": 2, "relevance": 4, "clarity": 3, "actionability": 4}


@pytest.fixture()
def rated(make_app, tmp_path):
    """A database with: a classification rated well by two raters, one rated low by two, one rated
    well by a single rater, and a well-rated /ask answer; returns (url, ids)."""
    url = f"sqlite:///{tmp_path / 'rated.db'}"
    client = make_app(database_url=url).test_client()
    ids = {}
    for name, (record, _label) in zip(("good", "low", "single"), cinc_records()):
        samples, fs = read_cinc(record)
        ids[name] = classify(client, samples, fs).get_json()["interpretation_id"]
    ids["answer"] = client.post("/ask", json={"prompt": "What is atrial fibrillation?"}).get_json()["interpretation_id"]
    plan = {"good": [HIGH, HIGH], "low": [HIGH, LOW], "single": [HIGH], "answer": [HIGH, HIGH]}
    for name, ratings in plan.items():
        for rater, values in enumerate(ratings):
            response = client.post(
                "/feedback",
                json={
                    "interpretation_id": ids[name],
                    "ratings": values,
                    "rater_id": f"rater-{rater}",
                    "comment": f"comment-marker-{name}-{rater}",
                },
            )
            assert response.status_code == 201
    return url, ids


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_well_rated_classifications_become_a_corpus_finetune_gpt2_reads(rated, tmp_path, capsys):
    url, ids = rated
    out, review = tmp_path / "corpus" / "rated.jsonl", tmp_path / "review.jsonl"
    assert (
        export_main(
            [
                "--database-url",
                url,
                "--min-rating",
                "4",
                "--min-raters",
                "2",
                "--out",
                str(out),
                "--review",
                str(review),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "training: 1" in printed and "review: 1" in printed and "too few raters: 1" in printed
    assert "well rated answers not trainable: 1" in printed and "comment-marker" not in printed

    (line,) = read_jsonl(out)
    assert set(line) == {"classification", "confidence", "interpretation", "signal_type"}
    assert line["confidence"].endswith("%") and not line["interpretation"].startswith("Measured:")
    corpus = finetune_gpt2.load_corpus(out.parent)  # the trainer's own reader, on the file as it is
    assert corpus.skipped_lines == 0 and len(corpus.pairs) == 1
    prompt, interpretation = corpus.pairs[0]["prompt"], corpus.pairs[0]["answer"]
    assert f"Classification: {line['classification']}" in prompt and interpretation == line["interpretation"]

    (low,) = read_jsonl(review)
    assert low["interpretation_id"] == ids["low"] and low["mean_ratings"]["clinical_accuracy"] == 3.5
    assert "comments" not in low and "comment-marker" not in review.read_text()


def test_comments_are_exported_only_with_the_flag(rated, tmp_path):
    url, _ = rated
    out, review = tmp_path / "corpus" / "rated.jsonl", tmp_path / "review.jsonl"
    export_main(["--database-url", url, "--out", str(out), "--review", str(review), "--include-comments"])
    (low,) = read_jsonl(review)
    assert low["comments"] == ["comment-marker-low-0", "comment-marker-low-1"]
    assert "comment-marker" not in out.read_text()  # never in the training text


def test_the_review_file_may_not_sit_where_the_trainer_reads(rated, tmp_path):
    url, _ = rated
    with pytest.raises(SystemExit):
        export_main(
            [
                "--database-url",
                url,
                "--out",
                str(tmp_path / "c" / "a.jsonl"),
                "--review",
                str(tmp_path / "c" / "b.jsonl"),
            ]
        )
