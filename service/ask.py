"""POST /ask: a health worker's question, optionally about a classification."""
from __future__ import annotations

from flask import Blueprint, jsonify

import inference
from service import validation as v
from service.errors import ApiError
from service.state import record_interpretation, state

bp = Blueprint("ask", __name__)


@bp.post("/ask")
def ask():
    settings = state().config
    payload = v.json_body()
    prompt = v.required_text(payload, "prompt", settings.max_text_chars)
    kind = v.signal_type(payload, required=False)
    classification = payload.get("classification")
    if classification is not None:
        if not isinstance(classification, dict):
            raise ApiError("classification must be an object with prediction and confidence")
        prediction = v.required_text(classification, "prediction", 80)
        confidence = v.confidence(classification.get("confidence"), "classification.confidence")
        classification = {"prediction": prediction, "confidence": confidence}
    explanation = inference.answer_question(prompt, classification, kind, state().explainer)
    record_id = record_interpretation(
        kind="ask", generator=explanation.generator, text=explanation.text, signal_type=kind,
        label=classification["prediction"] if classification else None,
        confidence=classification["confidence"] if classification else None)
    return jsonify(response=explanation.text, generator=explanation.generator,
                   interpretation_id=record_id, signal_type=kind,
                   classification=classification)
