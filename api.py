"""The Flask application: ``create_app(config)``; ``python api.py`` serves on 0.0.0.0:3333.

Under gunicorn (see gunicorn.conf.py): ``gunicorn -c gunicorn.conf.py 'api:create_app()'``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Mapping, Optional, Union

from flask import Flask, g, request
from werkzeug.serving import WSGIRequestHandler

import classifier
import inference
import retrieval.index
from service import ask, classify, feedback, health, openapi, page
from service.config import Config
from service.errors import register_error_handlers
from service.json_provider import FastJSONProvider
from service.security import register_security
from service.state import EXTENSION_KEY, ServiceState
from storage import Store

log = logging.getLogger("clinical_service")


def create_app(config: Optional[Union[Config, Mapping[str, Any]]] = None) -> Flask:
    """Build the app. ``config`` is a Config, or a mapping of overrides on the environment's config."""
    if config is None or isinstance(config, Mapping):
        settings = Config.from_sources()
        if config:
            config = dict(config)
            generation = config.pop("generation", None)
            settings = settings.updated(config, generation)
    else:
        settings = config

    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.json = FastJSONProvider(app)
    app.json.sort_keys = False
    retriever = retrieval.index.load() if settings.use_retrieval else None
    explainer, generator_status = inference.build_explainer(
        settings.medical_gpt2_path, settings.generation, try_base_model=settings.use_base_gpt2
    )
    app.extensions[EXTENSION_KEY] = ServiceState(
        config=settings,
        store=Store(settings.database_url),
        explainer=explainer,
        generator_status=generator_status,
        retriever=retriever,
    )
    if settings.warm_up_models:
        classifier.warm_up()

    register_error_handlers(app)
    for blueprint in (classify.bp, ask.bp, feedback.bp, health.bp, openapi.bp, page.bp):
        app.register_blueprint(blueprint)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        # Method, route, status and time only: never bodies, signals, context or generated text, and
        # the route's pattern rather than the path the client typed.
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        route = request.url_rule.rule if request.url_rule else "(no such endpoint)"
        log.info("%s %s %s %.0f ms", request.method, route, response.status_code, elapsed_ms)
        return response

    register_security(app, settings)  # after the timer, so refused requests are timed too

    return app


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler without the stdlib's error lines, which quote the raw
    request line a client sent (``Bad request syntax ('...')``)."""

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's signature)
        log.warning("a malformed or timed-out request was refused (its text is not logged)")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its request lines carry the raw URL
    application = create_app()
    settings = application.extensions[EXTENSION_KEY].config
    application.run(host=settings.host, port=settings.port, threaded=True, request_handler=QuietRequestHandler)
