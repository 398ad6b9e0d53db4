"""POST /classify: a recording in, the classifier's finding and its explanation out."""
from __future__ import annotations

from flask import Blueprint, jsonify

import inference
from classifier import SignalError, classify
from service import validation as v
from service.errors import ApiError
from service.state import record_interpretation, state

bp = Blueprint("classify", __name__)


@bp.post("/classify")
def classify_signal():
    settings = state().config
    payload = v.json_body()
    kind = v.signal_type(payload)
    rate = v.sampling_rate(payload, kind)
    samples = v.signal(payload, kind, rate)
    context = v.optional_text(payload, "clinical_context", settings.max_text_chars)
    try:
        finding = classify(samples, rate, kind)
    except SignalError as exc:
        raise ApiError(str(exc)) from exc
    explanation = inference.explain_finding(finding, context)
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
