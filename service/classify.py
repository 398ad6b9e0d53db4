"""POST /classify: a recording in (JSON samples or an uploaded file), the finding and its explanation out."""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np
from flask import Blueprint, jsonify, request

import inference
from classifier import SignalError, classify
from classifier.inconclusive import inconclusive_reason
from classifier.signal_types import SIGNAL_TYPES
from explain.facts import measurable, stored_facts
from service import validation as v
from service.errors import ApiError
from service.state import record_interpretation, state
from service.trace import display_trace
from service.uploads import UploadError, read_recording

bp = Blueprint("classify", __name__)
TRUE_WORDS = ("1", "true", "yes", "on")


class Submission(NamedTuple):
    kind: str
    rate: float
    samples: np.ndarray
    context: Optional[str]
    units: Optional[str]  # stated by the file (WFDB, EDF); None for JSON and text
    return_signal: bool  # the client asked for the signal back, to draw it
    notes: tuple[str, ...] = ()  # what was done to an uploaded recording's samples (gaps filled)


def _json_request(max_text_chars: int) -> Submission:
    payload = v.json_body()
    kind = v.signal_type(payload)
    rate = v.sampling_rate(payload, kind)
    samples = v.signal(payload, kind, rate)
    return Submission(
        kind,
        rate,
        samples,
        v.optional_text(payload, "clinical_context", max_text_chars),
        None,
        payload.get("return_signal") is True,
    )


def _upload_request(max_text_chars: int) -> Submission:
    """The recording from ``file`` (one file, or a WFDB .hea with its .dat/.mat) and the form fields."""
    form = request.form
    kind = v.signal_type(form)
    try:
        recording = read_recording(request.files.getlist("file"), form.get("channel"), SIGNAL_TYPES[kind].limits, kind)
    except UploadError as exc:
        details = {"channels": exc.channels} if exc.channels is not None else None
        raise ApiError(str(exc), details=details) from None
    rate = v.upload_sampling_rate(form, recording.sampling_rate, kind)
    samples = v.recorded_signal(recording.samples, kind, rate)
    return Submission(
        kind,
        rate,
        samples,
        v.optional_text(form, "clinical_context", max_text_chars),
        recording.units,
        form.get("return_signal", "").strip().lower() in TRUE_WORDS,
        recording.notes,
    )


@bp.post("/classify")
def classify_signal():
    settings = state().config
    if request.mimetype == "multipart/form-data":
        submission = _upload_request(settings.max_text_chars)
    elif request.is_json:
        submission = _json_request(settings.max_text_chars)
    else:
        raise ApiError("Content-Type must be application/json or multipart/form-data (a file upload)", 415)
    kind, rate, samples, context, units, return_signal, input_notes = submission
    try:
        finding = classify(samples, rate, kind)
    except SignalError as exc:
        raise ApiError(str(exc)) from exc
    explanation = inference.explain_finding(finding, context, state().explainer)
    reason = inconclusive_reason(finding)
    inconclusive = reason is not None
    record_id = record_interpretation(
        kind="classify",
        generator=explanation.generator,
        text=explanation.text,
        signal_type=kind,
        label=finding.label,
        confidence=finding.confidence,
        model_version=finding.model_version,
        facts=stored_facts(finding, reason),
    )
    details = finding.to_dict()
    trace = display_trace(samples, rate, units) if return_signal else None
    reason = inference.inconclusive_reason(finding)
    return jsonify(
        classification=finding.label,
        confidence=details["confidence"],
        probabilities=details["probabilities"],
        interpretation=explanation.text,
        signal_type=kind,
        generator=explanation.generator,
        interpretation_id=record_id,
        inconclusive=inconclusive,
        inconclusive_reason=reason,
        signal_check=details["signal_check"],
        quality=finding.quality,
        sampling_rate=rate,
        heart_rate_bpm=details["heart_rate_bpm"] if measurable(finding) else None,
        r_peaks=details["r_peaks"],
        beats=details["beats"],
        beat_summary=details["beat_summary"],
        windows=details["windows"],
        model_version=finding.model_version,
        notes=[*input_notes, *details["notes"]],
        **({"trace": trace} if trace is not None else {}),
    )
