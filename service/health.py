"""GET /health: is the service up, and which models and generator serve requests."""

from __future__ import annotations

from flask import Blueprint, jsonify

import classifier
from service.state import state

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    try:
        database = "ok" if state().store.ping() else "unavailable"
    except Exception as exc:  # the database being down is what /health must report, not raise
        database = f"unavailable ({type(exc).__name__})"
    try:
        models, models_ok = classifier.models_info(), True
    except Exception as exc:  # a missing or corrupt weights file degrades the service, visibly
        models, models_ok = {"error": f"classifier models unavailable ({type(exc).__name__})"}, False
    generator = state().generator_status
    return jsonify(
        status="ok" if database == "ok" and models_ok else "degraded",
        classifier_models=models,
        generator=generator["active"],
        generator_chain=generator["chain"],
        language_model_path=generator["model_path"],
        database=database,
    )
