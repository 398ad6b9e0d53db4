"""Table V's statistics: Krippendorff's alpha matches the package and a hand-worked example, the
bootstrap intervals match scipy's and behave as intervals of a mean should."""

import krippendorff
import numpy as np
import pytest
from scipy import stats

from storage.schema import RATINGS
from storage.summary import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, bootstrap_interval, ordinal_alpha, summarise


def test_alpha_matches_a_hand_worked_ordinal_example():
    # Three interpretations, two raters each: (1, 2), (2, 2), (3, 3). Pairable values n = 6 with
    # marginals n1 = 1, n2 = 3, n3 = 2. Coincidences: o12 = o21 = 1, o22 = 2, o33 = 2.
    # Ordinal distances (sum of marginals from c to k minus half the ends, squared):
    #   d12 = ((1 + 3) - (1 + 3) / 2)^2 = 4, d13 = (6 - (1 + 2) / 2)^2 = 20.25,
    #   d23 = ((3 + 2) - (3 + 2) / 2)^2 = 6.25.
    # Observed: sum o_ck d_ck = 2 * 4 = 8. Expected: sum n_c n_k d_ck = 2 * (3*4 + 2*20.25 + 6*6.25)
    # = 180. alpha = 1 - (n - 1) * 8 / 180 = 1 - 40 / 180 = 7 / 9.
    assert ordinal_alpha([[1, 2], [2, 2], [3, 3]]) == round(7 / 9, 3)


def test_alpha_matches_the_package_on_raters_by_items_data_with_gaps():
    rng = np.random.default_rng(3)
    truth = rng.integers(1, 6, size=40)
    data = np.clip(truth + rng.integers(-1, 2, size=(4, 40)), 1, 5).astype(float)
    data[rng.random(data.shape) < 0.3] = np.nan  # not every rater rates every item
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5])
    per_item = [[int(v) for v in column if not np.isnan(v)] for column in data.T]
    assert ordinal_alpha(per_item) == pytest.approx(expected, abs=5e-4)


def test_alpha_ignores_items_rated_once_and_is_undefined_without_disagreement_to_expect():
    assert ordinal_alpha([[1, 2], [2, 2], [3, 3], [5]]) == round(7 / 9, 3)
    assert ordinal_alpha([[4, 4], [4, 4]]) is None
    assert ordinal_alpha([[5], [1]]) is None


def test_the_interval_is_scipys_percentile_bootstrap_of_the_mean():
    values = np.array([5, 4, 4, 3, 5, 2, 4, 4, 5, 3], dtype=float)
    expected = stats.bootstrap(
        (values,),
        np.mean,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    ).confidence_interval
    assert bootstrap_interval(values) == [expected.low, expected.high]


def test_the_interval_brackets_the_mean_and_narrows_like_a_standard_error():
    rng = np.random.default_rng(0)
    values = rng.integers(1, 6, size=400).astype(float)
    low, high = bootstrap_interval(values)
    half_width = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
    assert low < values.mean() < high
    assert (high - low) / 2 == pytest.approx(half_width, rel=0.1)
    assert bootstrap_interval(np.array([4.0, 4.0, 4.0])) == [4.0, 4.0]
    assert bootstrap_interval(np.array([4.0])) is None


def row(item, rater, generator="knowledge base", version=None, **ratings):
    return {
        "interpretation_id": item,
        "rater_id": rater,
        "generator": generator,
        "language_model_version": version,
        "knowledge_base_version": "kb-1",
        **{name: ratings.get(name, 4) for name in RATINGS},
    }


def test_the_summary_groups_by_generator_and_by_model_version():
    rows = [
        row("i1", "a", "fine-tuned GPT-2", "m@1", clarity=5),
        row("i1", "b", "fine-tuned GPT-2", "m@1", clarity=4),
        row("i2", "a", "fine-tuned GPT-2", "m@2", clarity=2),
        row("i3", None, clarity=3),
        row("i3", None, clarity=3),
    ]
    summary = summarise(rows)
    assert summary["n"] == 5 and summary["items"] == 3 and summary["raters"] == 4
    assert set(summary["by_generator"]) == {"fine-tuned GPT-2", "knowledge base"}
    assert set(summary["by_model_version"]) == {"fine-tuned GPT-2 m@1", "fine-tuned GPT-2 m@2", "knowledge base kb-1"}
    assert summary["by_model_version"]["fine-tuned GPT-2 m@1"]["criteria"]["clarity"]["mean"] == 4.5
    assert summary["overall"]["criteria"]["clarity"] == {
        "mean": 3.4,
        "ci95": [round(v, 3) for v in bootstrap_interval(np.array([5, 4, 2, 3, 3.0]))],
        "n": 5,
    }
    assert summary["agreement"]["items"] == 2 and summary["agreement"]["ratings"] == 4
    assert summary["agreement"]["alpha"]["clarity"] == ordinal_alpha([[5, 4], [3, 3]])


def test_table_v_prints_the_summary_in_the_specifications_layout(make_app, tmp_path, capsys):
    from storage.table_v import main as table_v

    url = f"sqlite:///{tmp_path / 't.db'}"
    client = make_app(database_url=url).test_client()
    record_id = client.post("/ask", json={"prompt": "What is a PVC?"}).get_json()["interpretation_id"]
    for rater, clarity in (("a", 5), ("b", 3)):
        client.post(
            "/feedback",
            json={
                "interpretation_id": record_id,
                "rater_id": rater,
                "ratings": {"clinical_accuracy": 4, "relevance": 4, "clarity": clarity, "actionability": 4},
            },
        )
    summary = client.get("/feedback/summary").get_json()
    assert table_v(["--database-url", url]) == 0
    printed = capsys.readouterr().out
    clarity = summary["overall"]["criteria"]["clarity"]
    low, high = clarity["ci95"]
    assert (
        f"| Clarity | 4.00 | {low:.2f}–{high:.2f} | 2 | {summary['agreement']['alpha']['clarity']:.2f} |"
    ) in printed
    assert "| Relevance | 4.00 | 4.00–4.00 | 2 | — |" in printed  # no disagreement to expect
    assert table_v(["--database-url", url, "--by", "generator"]) == 0
    assert "**knowledge base**" in capsys.readouterr().out
