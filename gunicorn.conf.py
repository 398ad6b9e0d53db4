"""gunicorn settings: ``gunicorn -c gunicorn.conf.py 'api:create_app()'``.

``preload_app`` builds the app once in the master, so the classifier weights and any GPT-2 model are
loaded once and shared copy-on-write by the workers.

Workers are ``gthread``: each worker's main thread only accepts connections and polls them, and a
connection is handed to one of ``threads`` threads once its request arrives. A slow client that sends
part of its headers or body holds at most one thread, never the worker, so ``/health`` keeps
answering while a few such clients hang on (tests/test_server.py; latency in BENCHMARKS.md). Many
more slow clients than threads need a buffering reverse proxy in front (nginx buffers whole requests
by default).
"""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '3333')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
preload_app = True
timeout = 120  # a guarded GPT-2 generation is capped well below this (GEN_TIMEOUT_S)
keepalive = 5  # seconds an idle keep-alive connection is held
# Logs go to stdout/stderr. The app writes one line per request (method, route pattern, status,
# time: api.py); gunicorn's own access line would carry the raw path and query string a client
# typed, so it is off.
logconfig_dict = {
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}
