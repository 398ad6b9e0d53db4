"""Generation settings, bounded so that no configuration can make a request run away."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping

# name -> (lowest, highest) accepted value
BOUNDS = {
    "max_new_tokens": (16, 512),
    "temperature": (0.05, 2.0),
    "top_p": (0.1, 1.0),
    "repetition_penalty": (1.0, 2.0),
    "timeout_s": (1.0, 120.0),
    "max_waiting": (0, 64),
}


def parse_bool(value: str | bool) -> bool:
    """A switch from a string ("1", "true", "yes", "on" are true) or a bool."""
    return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}


def _convert(value: str | float | int | bool, kind) -> int | float | bool:
    if kind in (bool, "bool"):
        return parse_bool(value)
    return int(value) if kind in (int, "int") else float(value)


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 220
    temperature: float = 0.7
    top_p: float = 0.9
    repetition_penalty: float = 1.3
    timeout_s: float = 20.0
    max_waiting: int = 4  # generations queued behind the running one; more fall back
    int8: bool = True  # CPU: Conv1D -> Linear, dynamic int8 (explain/model_loading.py)

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name not in BOUNDS:
                continue
            low, high = BOUNDS[f.name]
            value = getattr(self, f.name)
            if not low <= value <= high:
                raise ValueError(f"{f.name} must lie between {low} and {high}, got {value}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, str | float | int]) -> "GenerationSettings":
        """Settings from strings or numbers (e.g. environment variables); unknown keys are ignored."""
        kwargs = {}
        for f in fields(cls):
            if f.name in values and values[f.name] not in (None, ""):
                kwargs[f.name] = _convert(values[f.name], f.type)
        return cls(**kwargs)
