"""gunicorn settings: ``gunicorn -c gunicorn.conf.py 'api:create_app()'``.

``preload_app`` builds the app once in the master, so the classifier weights and any GPT-2 model are
loaded once and shared copy-on-write by the workers.
"""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '3333')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
preload_app = True
timeout = 120          # a guarded GPT-2 generation is capped well below this (GEN_TIMEOUT_S)
# Logs go to stdout/stderr. The app writes one line per request (method, route pattern, status,
# time: api.py); gunicorn's own access line would carry the raw path and query string a client
# typed, so it is off.
logconfig_dict = {
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
