"""Request bodies parsed with orjson: a 30-minute ECG is megabytes of JSON numbers, and the
standard library's parser was most of the HTTP layer's cost. Bodies orjson refuses (the NaN and
Infinity literals Python's parser accepts, integers beyond 64 bits, invalid JSON) go to the standard
parser, so what is accepted and every error message stay as they were. Responses are small and keep
Flask's default encoder."""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider


class FastJSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return orjson.loads(s)
        except orjson.JSONDecodeError:
            return json.loads(s, **kwargs)
