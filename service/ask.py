"""POST /ask: a health worker's question, optionally about a classification or a stored result."""

from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, jsonify

import inference
import knowledge_base as kb
from explain import answering
from service import validation as v
from service.errors import ApiError
from service.state import record_interpretation, state
from storage import StoreUnavailable

bp = Blueprint("ask", __name__)
PASSAGES = 3
MAX_ID_CHARS = 36


def _known_prediction(classification: Any, kind: Optional[str]) -> dict:
    """``classification`` checked: a finding this service's classifiers report, and a confidence."""
    if not isinstance(classification, dict):
        raise ApiError("classification must be an object with prediction and confidence")
    prediction = v.required_text(classification, "prediction", 80)
    entry = kb.get_entry(prediction)
    known = kb.labels(kind)
    if entry is None or (kind and entry.signal_type != kind):
        raise ApiError(
            "classification.prediction must be one of the classifiers' findings"
            f"{f' for {kind}' if kind else ''}: {', '.join(known)}"
        )
    confidence = v.confidence(classification.get("confidence"), "classification.confidence")
    return {"prediction": entry.label, "confidence": confidence}


def _stored_result(payload: dict) -> Optional[dict]:
    """The stored /classify result named by ``interpretation_id``, or None when none is named."""
    record_id = payload.get("interpretation_id")
    if record_id is None:
        return None
    if not isinstance(record_id, str) or not record_id or len(record_id) > MAX_ID_CHARS:
        raise ApiError("interpretation_id must be the id returned by /classify")
    try:
        record = state().store.get_interpretation(record_id)
    except StoreUnavailable:
        raise ApiError("the record store is unavailable, so interpretation_id cannot be read", 503) from None
    if record is None or record["kind"] != "classify":
        raise ApiError("no /classify result with that interpretation_id", 404)
    return record


@bp.post("/ask")
def ask():
    settings = state().config
    payload = v.json_body()
    prompt = v.required_text(payload, "prompt", settings.max_text_chars)
    kind = v.signal_type(payload, required=False)
    stored = _stored_result(payload)
    facts = None
    if stored is not None:
        if payload.get("classification") is not None:
            raise ApiError("send either interpretation_id or classification, not both")
        kind = stored["signal_type"]
        classification = {"prediction": stored["label"], "confidence": stored["confidence"]}
        facts = stored["facts"]
    elif payload.get("classification") is not None:
        classification = _known_prediction(payload["classification"], kind)
    else:
        classification = None
    retriever = state().retriever
    label = classification["prediction"] if classification else ""
    hits = retriever.search(f"{prompt} {label}", PASSAGES) if retriever else []
    passages = [hit.passage for hit in hits if answering.relevant(hit.passage, prompt, label or None)]
    explanation = inference.answer_question(
        prompt, classification, kind, facts=facts, passages=passages, explainer=state().explainer
    )
    record_id = record_interpretation(
        kind="ask",
        generator=explanation.generator,
        text=explanation.text,
        signal_type=kind,
        label=classification["prediction"] if classification else None,
        confidence=classification["confidence"] if classification else None,
    )
    return jsonify(
        response=explanation.text,
        generator=explanation.generator,
        interpretation_id=record_id,
        signal_type=kind,
        classification=classification,
        sources=list(explanation.sources),
    )
