"""Every error leaves the service as JSON ``{"error": "..."}`` with a 4xx or 5xx status."""

from __future__ import annotations

import logging
from typing import Any, Mapping, Optional

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from storage import StoreUnavailable

log = logging.getLogger(__name__)


def shorten(text: str, max_chars: int = 40) -> str:
    """Client text quoted in an error message, cut to ``max_chars`` so an error body stays small."""
    return text if len(text) <= max_chars else f"{text[:max_chars]}... ({len(text)} characters)"


class ApiError(Exception):
    """A client error with the message the client should read (and fields it can act on)."""

    def __init__(self, message: str, status: int = 400, details: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(message)
        self.message, self.status, self.details = message, status, dict(details or {})


# Seconds a client is asked to wait when the database is down (a restart or fail-over).
STORE_RETRY_AFTER_S = "30"
MESSAGES = {
    404: "no such endpoint",
    405: "method not allowed for this endpoint",
    413: "request body is larger than the configured limit",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify(error=exc.message, **exc.details), exc.status

    @app.errorhandler(StoreUnavailable)
    def _store_unavailable(exc: StoreUnavailable):
        log.warning("%s", exc)
        response = jsonify(error="the record store is unavailable; try again later")
        response.headers["Retry-After"] = STORE_RETRY_AFTER_S
        return response, 503

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        message = MESSAGES.get(exc.code or 500, exc.description or exc.name)
        if exc.code == 413:
            message = f"{message} ({app.config['MAX_CONTENT_LENGTH'] // (1024 * 1024)} MB); send a shorter recording"
        response = jsonify(error=message)
        for name, value in exc.get_headers():  # e.g. Allow on a 405, as RFC 9110 requires
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, exc.code

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # The traceback names code, not request content; no payload is logged.
        log.exception("unhandled error: %s", type(exc).__name__)
        return jsonify(error="internal error; the request was not processed"), 500
