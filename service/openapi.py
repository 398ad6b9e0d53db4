"""GET /openapi.json: the API's OpenAPI 3.1 description, built from the limits the code enforces.

The numbers in it (signal durations and rates, text lengths, rating range) are read from the same
constants the validation uses, so the description cannot drift from the behaviour; the tests check
real responses against it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

import knowledge_base as kb
from classifier.signal_types import SIGNAL_TYPES
from service.config import Config
from service.feedback import MAX_RATER_ID_CHARS, MAX_ROLE_CHARS
from service.security import OPEN_ROUTES
from service.state import state
from storage import RATINGS

bp = Blueprint("openapi", __name__)

JSON = "application/json"
# Beat-level detail (``beats``, ``beat_summary``, ``windows``) is documented as open objects: their
# fields follow the classifier that produced them (see the model cards).
OPEN_OBJECT: dict[str, Any] = {"type": "object"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "the request names the problem",
        401: "an API key is configured and missing or wrong",
        404: "no interpretation with that id",
        413: "body larger than the configured limit",
        415: "Content-Type is not application/json",
        503: "the record store is unavailable (Retry-After says when to try again)",
    }
    return {str(s): _json(_ref("Error"), reasons[s]) for s in statuses}


def _schemas(config: Config) -> dict[str, Any]:
    text = {"type": "string", "maxLength": config.max_text_chars}
    kinds = " or ".join(SIGNAL_TYPES)
    limits = "; ".join(
        f"{kind}: {t.limits.min_seconds:g} s to {t.limits.max_seconds:g} s at "
        f"{t.limits.min_rate_hz:g}–{t.limits.max_rate_hz:g} Hz, default "
        f"{t.default_rate_hz:g} Hz"
        for kind, t in SIGNAL_TYPES.items()
    )
    signal_type = {
        "type": "string",
        "pattern": "^(?:"
        + "|".join("".join(f"[{c.upper()}{c.lower()}]" for c in kind) for kind in SIGNAL_TYPES)
        + ")$",
        "description": f"{kinds}, in any letter case",
    }
    confidence = {"type": "number", "minimum": 0, "maximum": 1}
    rate = {
        "type": "number",
        "minimum": min(t.limits.min_rate_hz for t in SIGNAL_TYPES.values()),
        "maximum": max(t.limits.max_rate_hz for t in SIGNAL_TYPES.values()),
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {"type": "string"},
                "channels": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "an uploaded file's channel names, when the error is that "
                    "one must be chosen (send one as channel)",
                },
            },
        },
        "ClassifyRequest": {
            "type": "object",
            "required": ["signal", "signal_type"],
            "description": limits,
            "properties": {
                "signal": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "number"},
                    "description": "samples, in any amplitude unit; finite numbers only",
                },
                "signal_type": signal_type,
                "sampling_rate": rate,
                "clinical_context": _nullable(text),
                "return_signal": {"type": "boolean", "description": "true: the answer carries trace"},
            },
        },
        "ClassifyUpload": {
            "type": "object",
            "required": ["file", "signal_type"],
            "description": "a CSV or text file (one value column, or time in seconds and value), a "
            "WFDB record (its .hea with its .dat or .mat, both under file) or an EDF "
            "file; " + limits,
            "properties": {
                "file": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"}},
                "signal_type": signal_type,
                "sampling_rate": {
                    "type": "string",
                    "description": "Hz; optional when the file states it, and must agree with it",
                },
                "channel": {
                    "type": "string",
                    "description": "index or name; needed when the file has more than one channel",
                },
                "clinical_context": text,
                "return_signal": {"type": "string", "description": "1 or true: the answer carries trace"},
            },
        },
        "ClassifyResponse": {
            "type": "object",
            "required": [
                "classification",
                "confidence",
                "probabilities",
                "interpretation",
                "signal_type",
                "generator",
                "interpretation_id",
                "inconclusive",
                "quality",
            ],
            "properties": {
                "classification": {"type": "string"},
                "confidence": confidence,
                "probabilities": {"type": "object", "additionalProperties": confidence},
                "interpretation": {"type": "string"},
                "signal_type": {"enum": list(SIGNAL_TYPES)},
                "generator": {"type": "string"},
                "interpretation_id": _nullable({"type": "string"}),
                "inconclusive": {"type": "boolean"},
                "inconclusive_reason": _nullable(
                    {"type": "string", "description": "why the finding is inconclusive, in plain words"}
                ),
                "signal_check": _nullable(
                    {
                        "type": "object",
                        "description": "whether the signal looks like its declared type",
                        "properties": {
                            "plausible": {"type": "boolean"},
                            "looks_like": _nullable({"enum": ["ECG", "EEG", "noise", "mains hum", "pure tone"]}),
                            "reason": _nullable({"type": "string"}),
                        },
                    }
                ),
                "quality": {"enum": ["ok", "poor"]},
                "sampling_rate": rate,
                "heart_rate_bpm": _nullable({"type": "number"}),
                "r_peaks": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                "beats": {"type": "array", "items": OPEN_OBJECT},
                "beat_summary": _nullable(OPEN_OBJECT),
                "windows": _nullable(OPEN_OBJECT),
                "model_version": {"type": "string"},
                "notes": {"type": "array", "items": {"type": "string"}},
                "trace": {
                    "type": "object",
                    "required": ["sampling_rate", "samples", "units"],
                    "description": "only when return_signal was asked for: the samples that were "
                    "classified (rounded to 5 significant digits), for drawing; "
                    "r_peaks index into them. Never stored",
                    "properties": {
                        "sampling_rate": rate,
                        "samples": {"type": "array", "items": {"type": "number"}},
                        "units": _nullable({"type": "string"}),
                    },
                },
            },
        },
        "AskRequest": {
            "type": "object",
            "required": ["prompt"],
            "properties": {
                "prompt": dict(text, minLength=1),
                "signal_type": _nullable(signal_type),
                "classification": _nullable(
                    {
                        "type": "object",
                        "required": ["prediction", "confidence"],
                        "properties": {"prediction": {"enum": kb.labels()}, "confidence": confidence},
                    }
                ),
                "interpretation_id": _nullable(
                    {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 36,
                        "description": "a /classify result's id: the answer uses its finding and measured values",
                    }
                ),
            },
        },
        "AskResponse": {
            "type": "object",
            "required": ["response", "generator", "interpretation_id"],
            "properties": {
                "response": {"type": "string"},
                "generator": {"type": "string"},
                "interpretation_id": _nullable({"type": "string"}),
                "signal_type": _nullable({"enum": list(SIGNAL_TYPES)}),
                "classification": _nullable(OPEN_OBJECT),
                "sources": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["title", "origin", "url", "licence", "passage"],
                        "properties": {
                            "title": {"type": "string"},
                            "origin": {"type": "string"},
                            "url": _nullable({"type": "string"}),
                            "licence": {"type": "string"},
                            "passage": {"type": "string"},
                        },
                    },
                },
            },
        },
        "FeedbackRequest": {
            "type": "object",
            "required": ["interpretation_id", "ratings"],
            "properties": {
                "interpretation_id": {"type": "string", "minLength": 1},
                "ratings": {
                    "type": "object",
                    "required": list(RATINGS),
                    "additionalProperties": False,
                    "properties": {name: {"type": "integer", "minimum": 1, "maximum": 5} for name in RATINGS},
                },
                "rater_id": _nullable(
                    {
                        "type": "string",
                        "maxLength": MAX_RATER_ID_CHARS,
                        "description": "a pseudonym the client chooses (not a name or "
                        "an email address); one rating per rater per "
                        "interpretation, a second one replaces the "
                        "first. Absent or blank: an anonymous rating",
                    }
                ),
                "role": _nullable(
                    {
                        "type": "string",
                        "maxLength": MAX_ROLE_CHARS,
                        "description": "e.g. nurse, general practitioner, cardiologist",
                    }
                ),
                "comment": _nullable(
                    dict(
                        text,
                        description="may hold patient details: stored, never "
                        "logged, exported only on request, "
                        "erasable",
                    )
                ),
            },
        },
        "FeedbackStored": {
            "type": "object",
            "required": ["status", "feedback_id", "interpretation_id"],
            "properties": {
                "status": {"enum": ["stored", "updated"]},
                "feedback_id": {"type": "integer"},
                "interpretation_id": {"type": "string"},
            },
        },
        "CommentsDeleted": {
            "type": "object",
            "required": ["status", "interpretation_id", "comments_deleted"],
            "properties": {
                "status": {"const": "deleted"},
                "interpretation_id": {"type": "string"},
                "comments_deleted": {"type": "integer", "minimum": 0},
            },
        },
        "SummaryGroup": {
            "type": "object",
            "required": ["n", "criteria"],
            "properties": {
                "n": {"type": "integer", "minimum": 0},
                "criteria": {
                    "type": "object",
                    "required": list(RATINGS),
                    "additionalProperties": {
                        "type": "object",
                        "required": ["mean", "ci95", "n"],
                        "properties": {
                            "mean": _nullable({"type": "number"}),
                            "ci95": _nullable(
                                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
                            ),
                            "n": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
        },
        "FeedbackSummary": {
            "type": "object",
            "required": ["n", "items", "raters", "overall", "by_generator", "by_model_version", "agreement", "method"],
            "properties": {
                "n": {"type": "integer", "minimum": 0},
                "items": {"type": "integer", "minimum": 0},
                "raters": {"type": "integer", "minimum": 0},
                "overall": _ref("SummaryGroup"),
                "by_generator": {"type": "object", "additionalProperties": _ref("SummaryGroup")},
                "by_model_version": {"type": "object", "additionalProperties": _ref("SummaryGroup")},
                "agreement": {
                    "type": "object",
                    "required": ["level", "items", "ratings", "alpha"],
                    "properties": {
                        "level": {"const": "ordinal"},
                        "items": {"type": "integer", "minimum": 0},
                        "ratings": {"type": "integer", "minimum": 0},
                        "alpha": {
                            "type": "object",
                            "required": list(RATINGS),
                            "additionalProperties": _nullable({"type": "number"}),
                        },
                    },
                },
                "method": {"type": "string"},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "classifier_models", "generator", "generator_chain", "database"],
            "properties": {
                "status": {"enum": ["ok", "degraded"]},
                "classifier_models": OPEN_OBJECT,
                "generator": {"type": "string"},
                "generator_chain": {"type": "array", "items": {"type": "string"}},
                "language_model_path": _nullable({"type": "string"}),
                "database": {"type": "string"},
            },
        },
    }


def _post(summary: str, request: str, status: str, response: str, *errors: int, upload: str = "") -> dict[str, Any]:
    content = {JSON: {"schema": _ref(request)}}
    if upload:
        content["multipart/form-data"] = {"schema": _ref(upload)}
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": content},
            "responses": {status: _json(_ref(response), "success"), **_errors(*errors)},
        }
    }


def openapi_document(config: Config) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every endpoint under ``config``'s limits."""
    keyed = (401,) if config.api_key else ()
    paths = {
        "/classify": _post(
            "Classify an ECG or EEG recording and explain the finding",
            "ClassifyRequest",
            "200",
            "ClassifyResponse",
            400,
            *keyed,
            413,
            415,
            upload="ClassifyUpload",
        ),
        "/ask": _post(
            "Answer a question, optionally about a classification",
            "AskRequest",
            "200",
            "AskResponse",
            400,
            *keyed,
            404,
            413,
            415,
            503,
        ),
        "/feedback": {
            "post": {
                "summary": "Rate an interpretation (1–5 on each criterion); one rating per rater",
                "requestBody": {"required": True, "content": {JSON: {"schema": _ref("FeedbackRequest")}}},
                "responses": {
                    "201": _json(_ref("FeedbackStored"), "a new rating (status stored)"),
                    "200": _json(_ref("FeedbackStored"), "the rater's earlier rating replaced (status updated)"),
                    **_errors(400, *keyed, 404, 413, 415, 503),
                },
            }
        },
        "/feedback/summary": {
            "get": {
                "summary": "Table V: mean, 95% bootstrap interval and n per criterion, overall, per "
                "generator and per model version; Krippendorff's alpha (ordinal) per criterion",
                "responses": {"200": _json(_ref("FeedbackSummary"), "success"), **_errors(*keyed, 503)},
            }
        },
        "/feedback/{interpretation_id}/comments": {
            "delete": {
                "summary": "Erase the comments on an interpretation's ratings (comments may hold patient "
                "details); the ratings stay",
                "parameters": [
                    {"name": "interpretation_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _json(_ref("CommentsDeleted"), "erased"), **_errors(*keyed, 404, 503)},
            }
        },
        "/health": {
            "get": {
                "summary": "Models, generator chain and database status",
                "responses": {"200": _json(_ref("Health"), "always answered")},
            }
        },
        "/openapi.json": {
            "get": {"summary": "This description", "responses": {"200": {"description": "OpenAPI 3.1 document"}}}
        },
        "/": {
            "get": {
                "summary": "The clinicians' page",
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}},
            }
        },
    }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "ECG / EEG clinical decision support",
            "version": "1",
            "description": "Decision support, not a diagnosis.",
        },
        "paths": paths,
        "components": {"schemas": _schemas(config)},
    }
    if config.api_key:
        document["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
        document["security"] = [{"bearer": []}, {"apiKey": []}]
        for path in OPEN_ROUTES & set(paths):
            paths[path]["get"]["security"] = []
    return document


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(state().config))
