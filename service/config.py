"""One configuration object: embedded defaults, then an optional JSON file, then the environment."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping, Optional

from explain.settings import GenerationSettings, parse_bool

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'clinical.db'}"

# environment variable -> Config field
ENVIRONMENT = {
    "PORT": "port",
    "HOST": "host",
    "DATABASE_URL": "database_url",
    "MEDICAL_GPT2_PATH": "medical_gpt2_path",
    "USE_BASE_GPT2": "use_base_gpt2",
    "MAX_CONTENT_LENGTH": "max_content_length",
    "MAX_CONTEXT_CHARS": "max_text_chars",
    "WARM_UP_MODELS": "warm_up_models",
    "MEDICAL_API_KEY": "api_key",
    "CORS_ORIGINS": "cors_origins",
    "USE_RETRIEVAL": "use_retrieval",
}
GENERATION_ENVIRONMENT = {
    "GEN_MAX_NEW_TOKENS": "max_new_tokens",
    "GEN_TEMPERATURE": "temperature",
    "GEN_TOP_P": "top_p",
    "GEN_REPETITION_PENALTY": "repetition_penalty",
    "GEN_TIMEOUT_S": "timeout_s",
    "GEN_MAX_WAITING": "max_waiting",
    "GEN_INT8": "int8",
}


@dataclass(frozen=True)
class Config:
    host: str = "0.0.0.0"
    port: int = 3333
    database_url: str = DEFAULT_DATABASE_URL
    medical_gpt2_path: Optional[str] = None
    use_base_gpt2: bool = True  # try a locally cached base "gpt2" when no fine-tuned model
    max_content_length: int = 16 * 1024 * 1024
    max_text_chars: int = 2000  # prompt, clinical_context and comment
    warm_up_models: bool = True  # load classifier weights at start-up (once, with --preload)
    api_key: Optional[str] = None  # when set, required but on /health, /openapi.json and the page
    cors_origins: Optional[str] = None  # comma-separated origins allowed to call from a browser
    use_retrieval: bool = True  # load (or build) the retrieval index under data/retrieval
    generation: GenerationSettings = field(default_factory=GenerationSettings)

    @classmethod
    def from_sources(cls, file: Optional[str] = None, environ: Optional[Mapping[str, str]] = None) -> "Config":
        """Defaults, overridden by a JSON file (``CONFIG_FILE``), overridden by the environment."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        path = file or environ.get("CONFIG_FILE")
        if path:
            values.update(json.loads(Path(path).read_text(encoding="utf-8")))
        for name, key in ENVIRONMENT.items():
            if environ.get(name) not in (None, ""):
                values[key] = environ[name]
        generation = dict(values.pop("generation", {}) or {})
        for name, key in GENERATION_ENVIRONMENT.items():
            if environ.get(name) not in (None, ""):
                generation[key] = environ[name]
        return cls().updated(values, generation)

    def updated(self, values: Mapping[str, Any], generation: Optional[Mapping[str, Any]] = None) -> "Config":
        """A copy with ``values`` applied, each converted to its field's type."""
        types = {f.name: f.type for f in fields(self)}
        unknown = set(values) - set(types)
        if unknown:
            raise ValueError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        converted: dict[str, Any] = {}
        for key, value in values.items():
            kind = types[key]
            if kind in ("bool", bool):
                converted[key] = parse_bool(value)
            elif kind in ("int", int):
                converted[key] = int(value)
            elif key == "generation":
                converted[key] = value
            else:
                converted[key] = None if value is None else str(value)
        if generation:
            converted["generation"] = GenerationSettings.from_mapping({**self.generation.__dict__, **generation})
        return replace(self, **converted)
