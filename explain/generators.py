"""The generators of the fallback chain. Each has a ``name`` and ``generate(request) -> str``.

A generator that has nothing to say for a request raises :class:`CannotAnswer`; the chain then asks
the next one. Language models are marked ``is_language_model`` so the chain can keep them away from
findings that must not be worded as a diagnosis.
"""
from __future__ import annotations

import re
import threading
from typing import Protocol

import knowledge_base as kb
from explain.request import INTERPRETATION, ExplainRequest
from explain.settings import GenerationSettings

DECISION_SUPPORT = ("This is decision support, not a diagnosis: a qualified clinician must confirm "
                    "the finding.")
FINE_TUNED = "fine-tuned GPT-2"
BASE = "base GPT-2"
KNOWLEDGE_BASE = "knowledge base"
TEMPLATE = "template"


class CannotAnswer(Exception):
    """This generator has no text for the request; try the next one."""


class Generator(Protocol):
    name: str
    is_language_model: bool

    def generate(self, request: ExplainRequest) -> str: ...


class GPT2Generator:
    """Sampling from a GPT-2 causal language model, bounded in length and wall-clock time."""

    is_language_model = True

    def __init__(self, model, tokenizer, settings: GenerationSettings, name: str) -> None:
        self.model, self.tokenizer, self.settings, self.name = model, tokenizer, settings, name
        self._lock = threading.Lock()  # one generation at a time per process bounds memory

    def generate(self, request: ExplainRequest) -> str:
        import torch

        s = self.settings
        context_room = self.model.config.n_positions - s.max_new_tokens
        inputs = self.tokenizer(request.prompt, return_tensors="pt", truncation=True,
                                max_length=max(context_room, 8))
        with self._lock, torch.no_grad():
            output = self.model.generate(
                **inputs, do_sample=True, max_new_tokens=s.max_new_tokens, temperature=s.temperature,
                top_p=s.top_p, repetition_penalty=s.repetition_penalty, max_time=s.timeout_s,
                pad_token_id=self.tokenizer.eos_token_id, eos_token_id=self.tokenizer.eos_token_id)
        new_tokens = output[0, inputs["input_ids"].shape[1]:]
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
        entry = kb.get_entry(request.label) if request.label else None
        confidence = request.confidence if request.confidence is not None else 1.0
        if entry is None and request.label is None and request.question:
            mentioned = sorted(kb.find_mentions(request.question))
            if len(mentioned) == 1:  # a general question about exactly one known finding
                entry = kb.get_entry(mentioned[0])
        if entry is None:
            raise CannotAnswer("no knowledge-base entry for this finding or question")
        if request.inconclusive:
            confidence = min(confidence, kb.INCONCLUSIVE_BELOW - 1e-6)
        topic = request.topic or (kb.topic_for_question(request.question) if request.question else None)
        return kb.render_answer(entry, confidence, topic=topic)


class TemplateGenerator:
    """The last resort: a structured, confidence-aware text for any label, known or not."""

    name = TEMPLATE
    is_language_model = False

    def generate(self, request: ExplainRequest) -> str:
        if request.label is None:
            known = ", ".join(kb.labels())
            return ("This service can explain the findings its classifiers report: "
                    f"{known}. Ask about one of them, or classify a recording first, and the answer "
                    "will be specific to it. For any other medical question, please consult a "
                    f"qualified clinician or a trusted clinical reference.\n\n{DECISION_SUPPORT}")
        confidence = request.confidence if request.confidence is not None else 0.0
        signal = request.signal_type or "signal"
        if request.inconclusive or confidence < kb.INCONCLUSIVE_BELOW:
            return (f"Result: inconclusive ({confidence:.0%} confidence).\n"
                    f"1. Explanation of the finding\nThe {signal} analysis could not reach a reliable "
                    f"result; the model leaned towards {request.label}, but not strongly enough to "
                    "report it.\n2. Clinical significance\nNo conclusion should be drawn from this "
                    "recording alone.\n3. Recommended follow-up actions\nRepeat the recording with good "
                    "electrode contact and the patient at rest, or ask a specialist to review it.\n\n"
                    f"{DECISION_SUPPORT}")
        band = kb.confidence_band(confidence)
        return (f"Result: {request.label} ({band}, {confidence:.0%} confidence).\n"
                f"1. Explanation of the finding\nThe {signal} classifier reports {request.label}.\n"
                "2. Clinical significance\nThe meaning of this finding depends on the patient's "
                "symptoms and history.\n3. Recommended follow-up actions\nShare the recording and this "
                f"result with a clinician, who can confirm it and decide on next steps.\n\n{DECISION_SUPPORT}")
