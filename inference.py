"""GPT-2 loading, guarded generation and the fallback chain: the specification's programmatic API.

    from inference import initialize_llm, explain_with_llm, generate_prompt_based_response

Model resolution, first that works: the ``model_path`` argument, then ``MEDICAL_GPT2_PATH``, then a
locally cached base ``gpt2`` (never downloaded here), then the knowledge base, then confidence-aware
templates. Whatever a language model writes passes the guard (``explain/guard.py``) or is replaced
by the next generator's text; every reply says which generator wrote it.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Mapping, Optional, Sequence

import knowledge_base as kb
import prompts
from classifier.finding import QUALITY_OK, QUALITY_POOR, Finding
from explain import answering
from explain.chain import Explainer
from explain.facts import finding_facts
from explain.generators import (BASE, FINE_TUNED, GPT2Generator, KnowledgeBaseGenerator,
                                TemplateGenerator)
from explain.model_loading import (BASE_MODEL_NAME, LOAD_ERRORS, load_model_and_tokenizer,
                                   missing_parts)
from explain.request import INTERPRETATION, QUERY, ExplainRequest, Explanation
from explain.settings import GenerationSettings
from retrieval.passages import Passage

log = logging.getLogger(__name__)

FINE_TUNED_LINE = "✓ Fine-tuned medical GPT-2 model configured: {path}"
BASE_LINE = ("⚠ Using base GPT-2 model (no fine-tuning). Set MEDICAL_GPT2_PATH for "
             "domain-specific model.")
NO_MODEL_LINE = ("⚠ No GPT-2 model available (MEDICAL_GPT2_PATH is not set or not usable, and no "
                 "base gpt2 is cached on this machine): explanations come from the knowledge base, "
                 "then from templates.")

_lock = threading.Lock()
_explainer: Optional[Explainer] = None
_status: dict[str, Any] = {}


def _announce(line: str) -> None:
    print(line, flush=True)


def _language_model(model_path: Optional[str], settings: GenerationSettings,
                    try_base_model: bool) -> tuple[Optional[GPT2Generator], dict[str, Any]]:
    """The fine-tuned model if one is configured and loads, else the cached base model, else None."""
    if model_path:
        missing = missing_parts(model_path)
        if missing:
            _announce(f"⚠ Fine-tuned model path {model_path} cannot be used: missing {', '.join(missing)}.")
        else:
            try:
                model, tokenizer = load_model_and_tokenizer(model_path)
            except LOAD_ERRORS as exc:
                _announce(f"⚠ Fine-tuned model at {model_path} could not be loaded: {type(exc).__name__}: {exc}")
            else:
                _announce(FINE_TUNED_LINE.format(path=model_path))
                return GPT2Generator(model, tokenizer, settings, FINE_TUNED), {"model_path": model_path}
    if try_base_model:
        try:
            model, tokenizer = load_model_and_tokenizer(BASE_MODEL_NAME, local_files_only=True)
        except LOAD_ERRORS:
            pass
        else:
            _announce(BASE_LINE)
            return GPT2Generator(model, tokenizer, settings, BASE), {"model_path": BASE_MODEL_NAME}
    _announce(NO_MODEL_LINE)
    return None, {"model_path": None}


def initialize_llm(model_path: Optional[str] = None, settings: Optional[GenerationSettings] = None,
                   try_base_model: bool = True) -> dict[str, Any]:
    """Build the generator chain and print the startup line; returns the chain's status."""
    global _explainer, _status
    settings = settings or GenerationSettings()
    path = model_path or os.environ.get("MEDICAL_GPT2_PATH") or None
    language_model, status = _language_model(path, settings, try_base_model)
    generators = ([language_model] if language_model else []) + [KnowledgeBaseGenerator(),
                                                                  TemplateGenerator()]
    with _lock:
        _explainer = Explainer(generators)
        _status = {"active": generators[0].name, "chain": [g.name for g in generators], **status,
                   "settings": settings.__dict__.copy()}
    return dict(_status)


def _chain() -> Explainer:
    if _explainer is None:
        initialize_llm()
    assert _explainer is not None
    return _explainer


def generator_status() -> dict[str, Any]:
    _chain()
    return dict(_status)


def _inconclusive_reason(label: str, confidence: float, quality: str = QUALITY_OK,
                         abstain_reason: Optional[str] = None) -> Optional[str]:
    """Why a finding is inconclusive, in plain words, or None when it is not: the classifier
    abstained (its reason), poor quality, a "Noisy Recording" call, or confidence below the
    knowledge base's threshold."""
    if abstain_reason:
        return abstain_reason
    if quality == QUALITY_POOR:
        return "the recording quality is too poor for a reliable reading"
    if label == kb.NOISY_LABEL:
        return "the recording is too noisy to be read reliably"
    if confidence < kb.INCONCLUSIVE_BELOW:
        return (f"the classifier's confidence ({confidence:.0%}) is below the "
                f"{kb.INCONCLUSIVE_BELOW:.0%} needed to report a finding")
    return None


def inconclusive_reason(finding: Finding) -> Optional[str]:
    """The one inconclusive rule: the reason in plain words, or None for a reportable finding."""
    return _inconclusive_reason(finding.label, finding.confidence, finding.quality,
                                finding.abstain_reason)


def is_inconclusive(finding: Finding) -> bool:
    return inconclusive_reason(finding) is not None


def explain_finding(finding: Finding, clinical_context: Optional[str] = None) -> Explanation:
    """The interpretation of a classifier finding, with the classifier's measured facts on top."""
    request = ExplainRequest(
        kind=INTERPRETATION, label=finding.label, confidence=finding.confidence,
        signal_type=finding.signal_type, inconclusive=is_inconclusive(finding),
        inconclusive_reason=inconclusive_reason(finding),
        prompt=prompts.clinical_interpretation_prompt(finding.signal_type, finding.label,
                                                      finding.confidence, clinical_context))
    explanation = _chain().explain(request)
    facts = finding_facts(finding)
    text = explanation.text
    if facts:
        text = "Measured: " + " ".join(facts) + "\n\n" + text
    # Red flags in the context raise the urgency of the advice; the finding stays the classifier's.
    text = answering.emergency_first(text, clinical_context)
    return Explanation(text=text, generator=explanation.generator, rejected=explanation.rejected)


def _finding_from_result(result: Mapping[str, Any], signal_type: str) -> Finding:
    label = str(result.get("prediction") or result.get("classification") or result.get("label"))
    confidence = prompts.parse_confidence(result.get("confidence", 0.0))
    return Finding(signal_type=signal_type, label=label, confidence=confidence,
                   probabilities={label: confidence})


def explain_with_llm(classification_result: Mapping[str, Any], signal_type: str,
                     clinical_context: Optional[str] = None) -> str:
    """The specification's call: ``{"prediction", "confidence"}`` in, interpretation text out."""
    finding = _finding_from_result(classification_result, signal_type)
    return explain_finding(finding, clinical_context).text


def _with_passages(prompt: str, passages: Sequence[Passage]) -> str:
    """The specification's prompt, preceded by the retrieved passages the model is to write from."""
    if not passages:
        return prompt
    listed = "\n".join(f"- {p.title}: {p.text}" for p in passages)
    return f"Reference passages:\n{listed}\n\n{prompt}"


def answer_question(prompt: str, classification: Optional[Mapping[str, Any]] = None,
                    signal_type: Optional[str] = None, facts: Optional[Mapping[str, Any]] = None,
                    passages: Sequence[Passage] = ()) -> Explanation:
    """An answer to a health worker's question, about a finding when one is given.

    ``facts`` are a stored result's measured values; ``passages`` are retrieved texts the answer
    may draw on and cite. Emergency advice goes first when the question holds a red flag.
    """
    passages = tuple(passages)
    if classification:
        label = str(classification.get("prediction"))
        confidence = prompts.parse_confidence(classification.get("confidence", 0.0))
        quality = (facts or {}).get("quality", QUALITY_OK)
        request = ExplainRequest(
            kind=QUERY, label=label, confidence=confidence, signal_type=signal_type,
            prompt=_with_passages(prompts.clinical_query_prompt(prompt, label, confidence), passages),
            question=prompt, inconclusive=_inconclusive_reason(label, confidence, quality) is not None,
            facts=facts, passages=passages)
    else:
        request = ExplainRequest(kind=QUERY, signal_type=signal_type, question=prompt,
                                 prompt=_with_passages(prompts.general_query_prompt(prompt), passages),
                                 passages=passages)
    explanation = _chain().explain(request)
    text = answering.emergency_first(explanation.text, prompt)
    return Explanation(text=text, generator=explanation.generator, rejected=explanation.rejected,
                       sources=tuple(answering.sources_for(text, request, passages)))


def generate_prompt_based_response(prompt: str, classification: Optional[Mapping[str, Any]] = None,
                                   signal_type: Optional[str] = None) -> str:
    """The specification's call for free questions, with optional classification context."""
    return answer_question(prompt, classification, signal_type).text
