"""The one rule for when a finding must be reported as inconclusive, never as a diagnosis.

Every caller (the explainer's wording, the API's ``inconclusive`` field) asks
:func:`inconclusive_reason`; nothing else decides it.
"""

from __future__ import annotations

from typing import Optional

from classifier.finding import QUALITY_POOR, Finding
from classifier.signal_types import NOISY_RECORDING

# Calibrated confidence below which a finding is never worded as a diagnosis. A policy value;
# knowledge_base/README.md explains the choice.
INCONCLUSIVE_BELOW = 0.6


def inconclusive_reason(finding: Finding) -> Optional[str]:
    """Why ``finding`` is inconclusive, in plain words, or None when it may be reported.

    In order: the classifier abstained (``Finding.abstain_reason``), the recording is too noisy to
    read, its quality is poor, or the calibrated confidence is below ``INCONCLUSIVE_BELOW``.
    """
    if finding.abstain_reason:
        return finding.abstain_reason
    if finding.label == NOISY_RECORDING:
        return "the recording is too noisy to be read reliably"
    if finding.quality == QUALITY_POOR:
        return "the recording's quality is too poor to be read reliably"
    if finding.confidence < INCONCLUSIVE_BELOW:
        return (
            f"the classifier's confidence ({finding.confidence:.0%}) is below the "
            f"{INCONCLUSIVE_BELOW:.0%} needed to report a finding"
        )
    return None
