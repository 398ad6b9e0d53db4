"""POST /feedback: clinicians rate an interpretation (the spec's Table V criteria, 1–5)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from service import validation as v
from service.errors import ApiError, shorten
from service.state import state
from storage import RATINGS

bp = Blueprint("feedback", __name__)
MAX_ID_CHARS = 100  # ids are UUIDs (36 characters)


@bp.post("/feedback")
def submit_feedback():
    settings, store = state().config, state().store
    payload = v.json_body()
    record_id = payload.get("interpretation_id")
    if not isinstance(record_id, str) or not record_id:
        raise ApiError("interpretation_id is required: the id returned by /classify or /ask")
    v.required_text(payload, "interpretation_id", MAX_ID_CHARS)  # bounded, valid Unicode
    ratings = payload.get("ratings")
    if not isinstance(ratings, dict):
        raise ApiError(f"ratings must be an object with {', '.join(RATINGS)}")
    unknown = sorted(set(ratings) - set(RATINGS))
    if unknown:
        named = ", ".join(shorten(name) for name in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise ApiError(f"unknown rating(s): {named}{more}; expected {', '.join(RATINGS)}")
    for name in RATINGS:
        value = ratings.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ApiError(f"ratings.{name} must be an integer from 1 to 5")
    comment = v.optional_text(payload, "comment", settings.max_text_chars)
    if not store.interpretation_exists(record_id):
        raise ApiError(f"no interpretation with id {shorten(repr(record_id))}", 404)
    feedback_id = store.save_feedback(record_id, ratings, comment)
    return jsonify(status="stored", feedback_id=feedback_id, interpretation_id=record_id), 201


@bp.get("/feedback/summary")
def feedback_summary():
    return jsonify(state().store.feedback_summary())
