"""What a generator is asked to write, and what it wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

INTERPRETATION = "interpretation"
QUERY = "query"


@dataclass(frozen=True)
class ExplainRequest:
    """One thing to explain.

        ``prompt`` is the filled template a language model sees; the other fields let the knowledge base,
        the templates and the guard work without parsing it. ``label`` is the classifier's finding (None
        for a general question); ``inconclusive`` means the finding must not be presented as a diagnosis,
    and ``inconclusive_reason`` says why in plain words (when known).
    """

    kind: str
    prompt: str
    label: Optional[str] = None
    confidence: Optional[float] = None
    signal_type: Optional[str] = None
    inconclusive: bool = False
    inconclusive_reason: Optional[str] = None
    question: Optional[str] = None
    topic: Optional[str] = None
    facts: Optional[Mapping[str, Any]] = field(default=None, hash=False)
    passages: tuple = ()  # retrieved ``retrieval.passages.Passage``s the answer may draw on


@dataclass(frozen=True)
class Explanation:
    text: str
    generator: str
    rejected: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
    sources: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
