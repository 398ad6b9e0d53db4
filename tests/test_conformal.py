"""Split-conformal sets keep their coverage promise; the Mahalanobis score separates shifted data."""

from __future__ import annotations

import numpy as np
import pytest

from classifier import conformal


def test_threshold_is_the_finite_sample_corrected_quantile():
    p_true = np.linspace(0.0, 0.99, 100)  # scores 1 - p: 0.01 ... 1.0
    # ceil(101 * 0.9) / 100 = 0.91: the 91st smallest score
    assert conformal.conformal_threshold(p_true, 0.1) == pytest.approx(np.sort(1 - p_true)[90])
    assert conformal.conformal_threshold(p_true[:5], 0.1) == 1.0  # too few to promise 90%


def test_sets_cover_the_promised_share_on_exchangeable_data():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4000, 3)) * 2
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = np.array([rng.choice(3, p=p) for p in probabilities])  # a calibrated model
    calibration, test = slice(0, 2000), slice(2000, None)
    threshold = conformal.conformal_threshold(probabilities[calibration][np.arange(2000), truth[calibration]], 0.1)
    sets = conformal.prediction_sets(probabilities[test], threshold)
    coverage = sets[np.arange(2000), truth[test]].mean()
    assert 0.88 <= coverage <= 0.92
    assert (sets.sum(axis=1) > 1).any()  # ambiguous items get more than one class


def test_class_conditional_sets_cover_every_class_not_just_the_average():
    rng = np.random.default_rng(2)
    n = 20000
    truth = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    # the model is sure of class 0 and unsure of the rare class 2
    p_true = np.where(truth == 0, rng.uniform(0.9, 1.0, n), rng.uniform(0.3, 1.0, n))
    probabilities = np.full((n, 3), 0.0)
    probabilities[np.arange(n), truth] = p_true
    probabilities[np.arange(n), (truth + 1) % 3] = 1 - p_true
    calibration, test = slice(0, n // 2), slice(n // 2, None)
    thresholds = conformal.class_conditional_thresholds(probabilities[calibration], truth[calibration], 0.1)
    assert thresholds.shape == (3,) and thresholds[0] < thresholds[2]
    sets = conformal.prediction_sets(probabilities[test], thresholds)
    covered = sets[np.arange(n // 2), truth[test]]
    for k in range(3):
        assert 0.87 <= covered[truth[test] == k].mean() <= 0.93


def test_mahalanobis_distance_grows_with_the_shift():
    rng = np.random.default_rng(1)
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    train = rng.multivariate_normal([0, 0], cov, size=2000)
    fitted = conformal.Mahalanobis.fit(train)
    along, across = fitted.distances(np.array([[2.0, 2.0], [2.0, -2.0]]))
    assert across > 3 * along  # a point against the correlation is far more unusual
    assert np.median(fitted.distances(train)) < np.median(fitted.distances(train + 3.0))
