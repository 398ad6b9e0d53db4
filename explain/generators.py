"""The generators of the fallback chain. Each has a ``name`` and ``generate(request) -> str``.

A generator that has nothing to say for a request raises :class:`CannotAnswer`; the chain then asks
the next one. Language models are marked ``is_language_model`` so the chain can keep them away from
findings that must not be worded as a diagnosis.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import knowledge_base as kb
from classifier.inconclusive import INCONCLUSIVE_BELOW
from explain import answering
from explain.request import QUERY, ExplainRequest
from explain.settings import GenerationSettings

DECISION_SUPPORT = kb.DECISION_SUPPORT
FINE_TUNED = "fine-tuned GPT-2"
BASE = "base GPT-2"
KNOWLEDGE_BASE = "knowledge base"
TEMPLATE = "template"


class CannotAnswer(Exception):
    """This generator has no text for the request; try the next one."""


class Busy(CannotAnswer):
    """The language model already has as many generations running and waiting as it may."""


class GenerationSlots:
    """One generation at a time per process (bounds memory), at most ``waiting`` more queued.

    A request beyond that raises :class:`Busy` at once instead of queueing without limit; the chain
    then lets the knowledge base answer, so a busy model costs wording, never the finding.
    """

    def __init__(self, waiting: int) -> None:
        self.capacity = 1 + waiting
        self._admitted = 0
        self._counting = threading.Lock()
        self._running = threading.Lock()

    @property
    def admitted(self) -> int:
        """Generations running or waiting now."""
        return self._admitted

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._counting:
            if self._admitted >= self.capacity:
                raise Busy("the language model is busy")
            self._admitted += 1
        try:
            with self._running:
                yield
        finally:
            with self._counting:
                self._admitted -= 1


class Generator(Protocol):
    name: str
    is_language_model: bool

    def generate(self, request: ExplainRequest) -> str: ...


class GPT2Generator:
    """Sampling from a GPT-2 causal language model, bounded in length and wall-clock time."""

    is_language_model = True

    def __init__(self, model, tokenizer, settings: GenerationSettings, name: str) -> None:
        self.model, self.tokenizer, self.settings, self.name = model, tokenizer, settings, name
        self.slots = GenerationSlots(settings.max_waiting)

    def generate(self, request: ExplainRequest) -> str:
        import torch

        s = self.settings
        context_room = self.model.config.n_positions - s.max_new_tokens
        inputs = self.tokenizer(
            request.prompt, return_tensors="pt", truncation=True, max_length=max(context_room, 8)
        ).to(self.model.device)
        with self.slots.hold(), torch.no_grad():
            output = self.model.generate(
                **inputs,
                do_sample=True,
                max_new_tokens=s.max_new_tokens,
                temperature=s.temperature,
                top_p=s.top_p,
                repetition_penalty=s.repetition_penalty,
                max_time=s.timeout_s,
                use_cache=True,
                pad_token_id=self.tokenizer.eos_token_id,
                eos_token_id=self.tokenizer.eos_token_id,
            )
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        return tidy_generated_text(self.tokenizer.decode(new_tokens, skip_special_tokens=True))


def tidy_generated_text(text: str) -> str:
    """Cut a continuation where the model starts a new document, and drop a trailing half sentence."""
    text = re.split(r"\n\s*(?:Medical Signal Analysis Report:|Medical Question:|Clinical Query:)", text)[0]
    text = text.strip()
    last_stop = max(text.rfind("."), text.rfind("!"), text.rfind("?"))
    if last_stop > 0:
        text = text[: last_stop + 1]
    return text


class KnowledgeBaseGenerator:
    """The project's own plain-language entries, worded by confidence band."""

    name = KNOWLEDGE_BASE
    is_language_model = False

    def generate(self, request: ExplainRequest) -> str:
        if request.kind == QUERY:
            if request.label is not None and kb.get_entry(request.label) is None:
                raise CannotAnswer(f"no knowledge-base entry for {request.label!r}")
            return answering.answer(request)[0]
        topic = request.topic
        entry = kb.get_entry(request.label)
        if entry is None:
            raise CannotAnswer(f"no knowledge-base entry for {request.label!r}")
        confidence = request.confidence if request.confidence is not None else 0.0
        if request.inconclusive and not request.inconclusive_reason:
            confidence = min(confidence, INCONCLUSIVE_BELOW - 1e-6)
        return kb.render_answer(entry, confidence, topic=topic, reason=request.inconclusive_reason)


def _structured(headline: str, explanation: str, significance: str, follow_up: str) -> str:
    parts = [headline]
    for heading, body in zip(kb.HEADINGS, (explanation, significance, follow_up)):
        parts += [heading, body]
    return "\n".join(parts + ["", DECISION_SUPPORT])


class TemplateGenerator:
    """The last resort: a structured, confidence-aware text for any label, known or not."""

    name = TEMPLATE
    is_language_model = False

    def generate(self, request: ExplainRequest) -> str:
        if request.label is None:
            known = ", ".join(kb.labels())
            return (
                "This service can explain the findings its classifiers report: "
                f"{known}. Ask about one of them, or classify a recording first, and the answer "
                "will be specific to it. For any other medical question, please consult a "
                f"qualified clinician or a trusted clinical reference.\n\n{DECISION_SUPPORT}"
            )
        confidence = request.confidence if request.confidence is not None else 0.0
        signal = request.signal_type or "signal"
        if request.inconclusive or confidence < INCONCLUSIVE_BELOW:
            return _structured(
                kb.inconclusive_headline(confidence, request.inconclusive_reason),
                f"The {signal} analysis could not reach a reliable result; the model leaned towards "
                f"{request.label}, but not strongly enough to report it.",
                "No conclusion should be drawn from this recording alone.",
                "Repeat the recording with good electrode contact and the patient at rest, or ask a "
                "specialist to review it.",
            )
        band = kb.confidence_band(confidence)
        return _structured(
            f"Result: {request.label} ({band}, {confidence:.0%} confidence).",
            f"The {signal} classifier reports {request.label}.",
            "The meaning of this finding depends on the patient's symptoms and history.",
            "Share the recording and this result with a clinician, who can confirm it and decide on next steps.",
        )
