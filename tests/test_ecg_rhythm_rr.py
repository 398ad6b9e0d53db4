"""AF episodes and burden of long recordings, and how the evaluated RR evidence of AF would join the
rhythm model (``evaluate_af`` scores it; it is not served)."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.ecg.rhythm import AF, af_burden, af_episodes, load_model
from training.ecg.rhythm_rr import RrAfModel, combine

CLASSES = ["Normal Sinus Rhythm", AF, "Other Rhythm", "Noisy Recording"]


def test_strong_rr_evidence_turns_a_window_to_af_and_rows_still_sum_to_one():
    model = np.array(
        [
            [0.2, 0.1, 0.6, 0.1],  # Other, strong RR evidence -> AF
            [0.2, 0.1, 0.6, 0.1],  # Other, weak RR evidence -> kept
            [0.1, 0.1, 0.2, 0.6],  # Noisy: irregular detections in noise -> kept
            [0.0, 0.98, 0.02, 0.0],
        ]
    )  # AF already above the RR evidence -> kept
    rr = np.array([0.95, 0.5, 0.99, 0.95])
    out = combine(model, rr, CLASSES, threshold=0.9)
    assert out.sum(axis=1) == pytest.approx(np.ones(4))
    assert out[0, 1] == pytest.approx(0.95)
    assert out[0, [0, 2, 3]] == pytest.approx(0.05 * np.array([0.2, 0.6, 0.1]) / 0.9)
    assert out[1:].tolist() == model[1:].tolist()


def test_consecutive_or_overlapping_af_windows_make_one_episode():
    items = [
        {"start_s": 0.0, "end_s": 30.0, "label": AF},
        {"start_s": 30.0, "end_s": 60.0, "label": "Other Rhythm"},
        {"start_s": 60.0, "end_s": 90.0, "label": AF},
        {"start_s": 90.0, "end_s": 120.0, "label": AF},
        {"start_s": 100.0, "end_s": 130.0, "label": AF},
    ]
    episodes = af_episodes(items)
    assert episodes == [{"start_s": 0.0, "end_s": 30.0}, {"start_s": 60.0, "end_s": 130.0}]
    assert af_burden(episodes, 130.0) == pytest.approx(100 / 130)
    assert af_burden([], 130.0) == 0.0


def test_the_committed_rr_model_reads_the_rhythm_models_features():
    rr_model = RrAfModel.load()
    assert set(rr_model.feature_names) <= set(load_model().feature_names)
    assert 0.5 <= rr_model.threshold < 1.0
