"""POST /classify: a recording in (JSON samples or an uploaded file), the finding and its explanation out."""
from __future__ import annotations

from typing import Optional

import numpy as np
from flask import Blueprint, jsonify, request

import inference
from classifier import SignalError, classify
from service import validation as v
from service.errors import ApiError
from service.state import record_interpretation, state
from service.uploads import UploadError, read_recording

bp = Blueprint("classify", __name__)


def _json_request(max_text_chars: int) -> tuple[str, float, np.ndarray, Optional[str]]:
    payload = v.json_body()
    kind = v.signal_type(payload)
    rate = v.sampling_rate(payload, kind)
    samples = v.signal(payload, kind, rate)
    return kind, rate, samples, v.optional_text(payload, "clinical_context", max_text_chars)


def _upload_request(max_text_chars: int) -> tuple[str, float, np.ndarray, Optional[str]]:
    """The recording from ``file`` (one file, or a WFDB .hea with its .dat/.mat) and the form fields."""
    form = request.form
    kind = v.signal_type(form)
    try:
        recording = read_recording(request.files.getlist("file"), form.get("channel"))
    except UploadError as exc:
        raise ApiError(str(exc)) from None
    rate = v.upload_sampling_rate(form, recording.sampling_rate, kind)
    samples = v.recorded_signal(recording.samples, kind, rate)
    return kind, rate, samples, v.optional_text(form, "clinical_context", max_text_chars)


@bp.post("/classify")
def classify_signal():
    settings = state().config
    if request.mimetype == "multipart/form-data":
        kind, rate, samples, context = _upload_request(settings.max_text_chars)
    elif request.is_json:
        kind, rate, samples, context = _json_request(settings.max_text_chars)
    else:
        raise ApiError("Content-Type must be application/json or multipart/form-data (a file upload)", 415)
    try:
        finding = classify(samples, rate, kind)
    except SignalError as exc:
        raise ApiError(str(exc)) from exc
    explanation = inference.explain_finding(finding, context, state().explainer)
    record_id = record_interpretation(
        kind="classify", generator=explanation.generator, text=explanation.text,
        signal_type=kind, label=finding.label, confidence=finding.confidence,
        model_version=finding.model_version)
    details = finding.to_dict()
    return jsonify(
        classification=finding.label,
        confidence=details["confidence"],
        probabilities=details["probabilities"],
        interpretation=explanation.text,
        signal_type=kind,
        generator=explanation.generator,
        interpretation_id=record_id,
        inconclusive=inference.is_inconclusive(finding),
        quality=finding.quality,
        sampling_rate=rate,
        heart_rate_bpm=details["heart_rate_bpm"],
        r_peaks=details["r_peaks"],
        beats=details["beats"],
        beat_summary=details["beat_summary"],
        windows=details["windows"],
        model_version=finding.model_version,
        notes=details["notes"],
    )
