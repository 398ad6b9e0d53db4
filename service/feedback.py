"""Clinicians' ratings of interpretations (the spec's Table V criteria, 1–5), their summary, and the
erasure of their comments.

POST /feedback           one rating per rater per interpretation: 201 stored, 200 when it replaced
                         the rater's earlier rating; without ``rater_id`` an anonymous rating (201)
GET /feedback/summary    Table V from the store (storage/summary.py)
DELETE /feedback/<id>/comments   erase the comments on an interpretation's ratings (patient data)

Comments are never logged; the log line names the route pattern, not the id.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from service import validation as v
from service.errors import ApiError, shorten
from service.state import state
from storage import RATINGS

bp = Blueprint("feedback", __name__)
MAX_ID_CHARS = 100  # ids are UUIDs (36 characters)

MAX_RATER_ID_CHARS = 64
MAX_ROLE_CHARS = 40


def _ratings(payload) -> dict[str, int]:  # noqa: ANN001 - the JSON object
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
    return ratings


@bp.post("/feedback")
def submit_feedback():
    settings, store = state().config, state().store
    payload = v.json_body()
    record_id = payload.get("interpretation_id")
    if not isinstance(record_id, str) or not record_id:
        raise ApiError("interpretation_id is required: the id returned by /classify or /ask")
    v.required_text(payload, "interpretation_id", MAX_ID_CHARS)  # bounded, valid Unicode
    ratings = _ratings(payload)
    rater_id = v.optional_text(payload, "rater_id", MAX_RATER_ID_CHARS)  # blank: anonymous
    role = v.optional_text(payload, "role", MAX_ROLE_CHARS)
    comment = v.optional_text(payload, "comment", settings.max_text_chars)
    if not store.interpretation_exists(record_id):
        raise ApiError(f"no interpretation with id {shorten(repr(record_id))}", 404)
    feedback_id, created = store.save_feedback(record_id, ratings, comment, rater_id, role)
    return (
        jsonify(status="stored" if created else "updated", feedback_id=feedback_id, interpretation_id=record_id),
        201 if created else 200,
    )


@bp.get("/feedback/summary")
def feedback_summary():
    return jsonify(state().store.feedback_summary())


@bp.delete("/feedback/<interpretation_id>/comments")
def delete_comments(interpretation_id: str):
    erased = state().store.delete_comments(interpretation_id)
    if erased is None:
        raise ApiError(f"no interpretation with id {shorten(repr(interpretation_id))}", 404)
    return jsonify(status="deleted", interpretation_id=interpretation_id, comments_deleted=erased)
