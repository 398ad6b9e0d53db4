"""The one contract between the classifiers and everything downstream.

Every classifier returns a :class:`Finding`; the explainer, the API and the store read it. It is
importable without numpy, torch or any model so that the service layer can depend on it cheaply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping, Optional, Sequence, TypedDict

QUALITY_OK = "ok"
QUALITY_POOR = "poor"


class WindowItem(TypedDict):
    """One analysis window: where it lies in the recording, its label and that label's probability
    (None for a window that could not be analysed)."""

    start_s: float
    end_s: float
    label: str
    probability: Optional[float]


def windows_summary(window_s: float, step_s: float, items: Sequence[WindowItem], **summary: Any) -> dict[str, Any]:
    """The one shape of ``Finding.windows``, for every signal type.

    ``{"window_s", "step_s", "items": [WindowItem, ...], ...}`` plus the type's own summary keys:
    EEG adds ``n_unusable``, ``seizure_fraction`` and ``seizure_ranges_s``.
    """
    return {"window_s": float(window_s), "step_s": float(step_s), "items": list(items), **summary}


def window_item(start_s: float, end_s: float, label: str, probability: Optional[float]) -> WindowItem:
    return WindowItem(
        start_s=round(float(start_s), 2),
        end_s=round(float(end_s), 2),
        label=label,
        probability=None if probability is None else round(float(probability), 4),
    )


@dataclass(frozen=True)
class Finding:
    """A classifier's verdict on one recording.

    ``label`` is one of the exact class names of the model that produced it; ``probabilities``
    covers every class of that model and sums to 1; ``confidence`` is the calibrated probability of
    ``label``. ``windows`` (recordings analysed in several windows) has the shape built by
    :func:`windows_summary`. ``quality`` is ``"ok"`` or ``"poor"``: a poor recording is never to be
    explained as a diagnosis, whatever its label.

    ``abstain_reason`` is set, in plain words, by a classifier that declines to report its label
    (a prediction set of more than one class, a recording unlike its training data, a signal that
    does not look like its declared type); the probabilities stay visible and the finding is
    inconclusive (``classifier.inconclusive``). ``signal_check`` is the plausibility check's verdict:
    ``{"plausible": bool, "looks_like": "ECG" | "EEG" | "noise" | "mains hum" | "pure tone" | None,
    "reason": str | None}``.
    """

    signal_type: str
    label: str
    confidence: float
    probabilities: Mapping[str, float]
    quality: str = QUALITY_OK
    heart_rate_bpm: Optional[float] = None
    r_peaks: Sequence[int] = field(default_factory=tuple)
    beats: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    beat_summary: Optional[Mapping[str, Any]] = None
    windows: Optional[Mapping[str, Any]] = None
    model_version: str = ""
    notes: Sequence[str] = field(default_factory=tuple)
    abstain_reason: Optional[str] = None
    signal_check: Optional[Mapping[str, Any]] = None

    def to_dict(self) -> dict:
        """JSON-ready dict; the only place a Finding is turned into plain data.

        ``asdict`` copies every nested value; it is kept off the per-beat fields, which are
        converted below (a 30-minute ECG has thousands of beats: asdict over them took 0.1 s)."""
        data = asdict(replace(self, r_peaks=(), beats=()))
        data["confidence"] = round(float(self.confidence), 4)
        data["probabilities"] = {k: round(float(v), 4) for k, v in self.probabilities.items()}
        data["r_peaks"] = [int(i) for i in self.r_peaks]
        data["beats"] = [dict(b) for b in self.beats]
        data["notes"] = list(self.notes)
        data["signal_check"] = dict(self.signal_check) if self.signal_check is not None else None
        if self.heart_rate_bpm is not None:
            data["heart_rate_bpm"] = round(float(self.heart_rate_bpm), 1)
        return data
