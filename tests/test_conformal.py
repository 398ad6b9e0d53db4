"""Conformal sets keep their coverage promise, for every class, whether calibrated on one split or
across folds; the Mahalanobis score separates shifted data."""

from __future__ import annotations

import numpy as np

from classifier import conformal


def one_class_calibration(scores: np.ndarray, folds: np.ndarray | None = None) -> conformal.Calibration:
    folds = np.zeros(len(scores), int) if folds is None else folds
    return conformal.Calibration(np.asarray(scores), np.zeros(len(scores), int), folds)


def test_one_fold_is_split_conformal_with_the_finite_sample_quantile():
    calibration = one_class_calibration(np.linspace(0.01, 1.0, 100))  # scores 0.01 ... 1.0
    # ceil(101 * 0.9) = 91: a score up to the 91st smallest (0.91) is in the 90% set, above it out
    p_true = np.array([1 - 0.91, 1 - 0.9101]).reshape(1, 2, 1)  # (folds, items, classes)
    assert conformal.prediction_sets(conformal.p_values(calibration, p_true), 0.1)[:, 0].tolist() == [True, False]
    few = one_class_calibration(np.full(5, 0.5))  # too few to promise 90%: every class is in
    assert conformal.prediction_sets(conformal.p_values(few, np.zeros((1, 1, 1))), 0.1).all()


def test_each_fold_model_is_compared_with_its_own_calibration_items():
    # fold 0's model gives low scores, fold 1's high ones: pooled, a fold-0 score would look typical
    calibration = one_class_calibration(np.r_[np.full(50, 0.01), np.full(50, 0.5)], np.repeat([0, 1], 50))
    new = np.array([[[1 - 0.4]], [[1 - 0.4]]])  # score 0.4 under both folds
    # beats every fold-0 item and none of fold 1: (1 + 50) / 101
    assert conformal.p_values(calibration, new)[0, 0] == 51 / 101


def calibrated_model(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, truth) of a calibrated 3-class model, sure of class 0, unsure of rare class 2."""
    truth = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    p_true = np.where(truth == 0, rng.uniform(0.9, 1.0, n), rng.uniform(0.3, 1.0, n))
    probabilities = np.zeros((n, 3))
    probabilities[np.arange(n), truth] = p_true
    probabilities[np.arange(n), (truth + 1) % 3] = 1 - p_true
    return probabilities, truth


def test_cross_conformal_sets_cover_every_class_not_just_the_average():
    rng = np.random.default_rng(2)
    n, n_folds = 10000, 5
    calibration_p, calibration_truth = calibrated_model(rng, n)
    folds = rng.integers(0, n_folds, n)
    calibration = conformal.Calibration(1 - calibration_p[np.arange(n), calibration_truth], calibration_truth, folds)
    test_p, test_truth = calibrated_model(rng, n)
    sets = conformal.prediction_sets(conformal.p_values(calibration, np.stack([test_p] * n_folds)), 0.1)
    covered = sets[np.arange(n), test_truth]
    for k in range(3):
        assert 0.87 <= covered[test_truth == k].mean() <= 0.93
    assert (sets.sum(axis=1) > 1).any()  # ambiguous items get more than one class


def test_mahalanobis_distance_grows_with_the_shift():
    rng = np.random.default_rng(1)
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    train = rng.multivariate_normal([0, 0], cov, size=2000)
    fitted = conformal.Mahalanobis.fit(train)
    along, across = fitted.distances(np.array([[2.0, 2.0], [2.0, -2.0]]))
    assert across > 3 * along  # a point against the correlation is far more unusual
    assert np.median(fitted.distances(train)) < np.median(fitted.distances(train + 3.0))
