"""Signal classifiers: ``classify(signal, sampling_rate, signal_type) -> Finding``.

The models load lazily on first use (``warm_up`` loads them up front, e.g. before gunicorn forks).
Nothing here knows about HTTP or language models.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from classifier import plausibility
from classifier.finding import Finding
from classifier.limits import SignalError
from classifier.signal_types import SIGNAL_TYPES

__all__ = ["Finding", "SignalError", "SIGNAL_TYPES", "classify", "models_info", "warm_up"]


def classify(signal: Sequence[float] | np.ndarray, sampling_rate: float, signal_type: str) -> Finding:
    """Classify one single-channel recording.

    Raises SignalError for a recording outside the limits of its type (rate, duration) or one that
    cannot be analysed at all; the caller turns that into a client error. A recording that does not
    look like its declared type (noise, mains hum, a pure tone, an ECG sent as EEG or the reverse)
    is still classified, so its probabilities stay visible, but the finding abstains with the
    plausibility check's reason (``Finding.signal_check``, ``Finding.abstain_reason``), which is
    more specific than any reason the classifier itself had to abstain.
    """
    kind = signal_type.upper()
    if kind not in SIGNAL_TYPES:
        raise SignalError(f"signal_type must be one of {', '.join(SIGNAL_TYPES)}, got {signal_type!r}")
    x = np.asarray(signal, dtype=np.float64)
    SIGNAL_TYPES[kind].limits.check(len(x), float(sampling_rate), kind)
    if kind == "ECG":
        from classifier.ecg import analyze_ecg as analyze
    else:
        from classifier.eeg import analyze_eeg as analyze
    finding = analyze(x, float(sampling_rate))
    verdict = plausibility.check(x, float(sampling_rate), kind)
    reason = finding.abstain_reason if verdict.plausible else verdict.reason
    return replace(finding, signal_check=verdict.to_dict(), abstain_reason=reason)


def models_info() -> dict[str, list[dict]]:
    """Per signal type, the models that serve it (name, version, classes, whether loaded)."""
    from classifier.ecg import models_info as ecg_info
    from classifier.eeg import models_info as eeg_info

    return {"ECG": ecg_info(), "EEG": eeg_info()}


def warm_up() -> None:
    """Load every model now rather than on the first request."""
    from classifier.ecg import warm_up as ecg_warm_up
    from classifier.eeg import warm_up as eeg_warm_up

    ecg_warm_up()
    eeg_warm_up()
