"""The one inconclusive rule: which findings may be reported, and the plain-words reason when not."""

from __future__ import annotations

import pytest

from classifier.finding import QUALITY_POOR, Finding
from classifier.inconclusive import INCONCLUSIVE_BELOW, inconclusive_reason


def finding(label="Atrial Fibrillation", confidence=0.9, **extra) -> Finding:
    return Finding(signal_type="ECG", label=label, confidence=confidence, probabilities={label: confidence}, **extra)


def test_a_confident_good_quality_finding_may_be_reported():
    assert inconclusive_reason(finding()) is None
    assert inconclusive_reason(finding(confidence=INCONCLUSIVE_BELOW)) is None


def test_low_confidence_is_inconclusive_and_says_how_low():
    reason = inconclusive_reason(finding(confidence=0.45))
    assert reason and "45%" in reason and "60%" in reason


def test_a_noisy_recording_is_inconclusive_at_any_confidence():
    assert "noisy" in inconclusive_reason(finding("Noisy Recording", 0.99, quality=QUALITY_POOR))


def test_poor_quality_is_inconclusive_whatever_the_label():
    assert "quality" in inconclusive_reason(finding(quality=QUALITY_POOR))


@pytest.mark.parametrize("confidence", [0.99, 0.3])
def test_a_classifier_that_abstains_gives_its_own_reason(confidence):
    reason = "the signal does not look like an ECG"
    assert inconclusive_reason(finding(confidence=confidence, abstain_reason=reason)) == reason
