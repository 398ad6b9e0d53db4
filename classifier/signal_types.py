"""The one table of signal types: their names, limits, default sampling rates and class names.

Everything that needs one of these facts (validation, the page, the OpenAPI description, the
models, the knowledge-base check) reads it here. Importable without numpy or any model.
"""

from __future__ import annotations

from dataclasses import dataclass

from classifier.limits import SignalLimits

NOISY_RECORDING = "Noisy Recording"
# The rhythm model's classes, in its output order (CinC 2017 letters N, A, O, ~).
ECG_RHYTHM_CLASSES = ("Normal Sinus Rhythm", "Atrial Fibrillation", "Other Rhythm", NOISY_RECORDING)
# The beat model's five AAMI EC57 classes, in its output order; they are per-beat counts in
# ``Finding.beats``/``beat_summary``, never a recording's label.
BEAT_CLASSES = ("N", "S", "V", "F", "Q")
# The ectopic beat classes that have a knowledge-base entry of their own. The explainer's guard
# recognises these names and their synonyms (PVC, PAC, ...) in generated text, and /ask answers
# questions about them; the counts themselves are in ``Finding.beat_summary``.
BEAT_FINDINGS = {"V": "Premature Ventricular Contractions", "S": "Premature Atrial Contractions"}
EEG_CLASSES = ("Normal EEG", "Interictal Epileptiform Activity", "Seizure Activity")


@dataclass(frozen=True)
class SignalType:
    """One kind of recording the service classifies.

    ``default_rate_hz`` is assumed when a client omits the sampling rate (the specification's
    example does): the rate of the model's training data. ``classes`` are the labels a finding of
    this type can carry.
    """

    name: str
    limits: SignalLimits
    default_rate_hz: float
    classes: tuple[str, ...]


# ECG: a rhythm call needs several beats (the CinC 2017 records start at 9 s); up to 31 minutes, so
# that a whole MIT-BIH record (650,000 samples at 360 Hz, 30 min 6 s) fits. EEG: at least one 4 s
# analysis window, at most one hour.
SIGNAL_TYPES = {
    "ECG": SignalType(
        "ECG",
        SignalLimits(min_rate_hz=100, max_rate_hz=1000, min_seconds=5, max_seconds=31 * 60),
        default_rate_hz=300.0,
        classes=ECG_RHYTHM_CLASSES,
    ),
    "EEG": SignalType(
        "EEG",
        SignalLimits(min_rate_hz=100, max_rate_hz=1000, min_seconds=4, max_seconds=60 * 60),
        default_rate_hz=173.61,
        classes=EEG_CLASSES,
    ),
}
