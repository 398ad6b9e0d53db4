"""Access and browser hardening: the optional API key, optional CORS, and security headers.

With ``MEDICAL_API_KEY`` set, every endpoint but ``/health``, ``/openapi.json``, the page shell at
``/`` and its static files asks for the key, as ``Authorization: Bearer <key>`` or
``X-API-Key: <key>``; the page itself holds no data and sends the key the user types with each
call. The comparison takes the same time whatever the key sent, and the key is never logged.
Preflight (OPTIONS) requests carry no key and no data, so they pass.

Cross-origin calls are refused by browsers (no CORS headers) unless ``CORS_ORIGINS`` lists the
origins allowed, comma-separated; flask-cors answers for those.
"""

from __future__ import annotations

import hmac
from typing import Optional

from flask import Flask, Response, jsonify, request
from flask_cors import CORS

from service.config import Config

KEY_HEADER = "X-API-Key"
# Routes served without the key (the OpenAPI description marks the same ones as open).
OPEN_ROUTES = frozenset({"/health", "/openapi.json", "/", "/static/<path:filename>"})
# The page loads its script and style from this origin only: no inline script, no framing.
HTML_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def presented_key() -> Optional[str]:
    """The key the request carries, from ``Authorization: Bearer`` or ``X-API-Key``, else None."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get(KEY_HEADER)


def key_matches(presented: Optional[str], expected: str) -> bool:
    """Constant-time comparison (``hmac.compare_digest``), so timing does not leak the key."""
    return presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


def register_security(app: Flask, config: Config) -> None:
    """The API-key check and CORS (each when configured) and the security headers."""
    api_key = config.api_key
    if api_key:

        @app.before_request
        def _require_key() -> Optional[Response]:
            route = request.url_rule.rule if request.url_rule else None
            if request.method == "OPTIONS" or route in OPEN_ROUTES or key_matches(presented_key(), api_key):
                return None
            response = jsonify(
                error="a valid API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
            )
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer realm="clinical-decision-support"'
            return response

    if config.cors_origins:
        CORS(
            app,
            origins=[origin.strip() for origin in config.cors_origins.split(",") if origin.strip()],
            methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "Authorization", KEY_HEADER],
            max_age=600,
        )

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            for name, value in HTML_HEADERS.items():
                response.headers.setdefault(name, value)
        return response
