"""GPT-2 loading, guarded generation and the fallback chain: the specification's programmatic API.

    from inference import initialize_llm, explain_with_llm, generate_prompt_based_response

Model resolution, first that works: the ``model_path`` argument, then ``MEDICAL_GPT2_PATH``, then a
locally cached base ``gpt2`` (never downloaded here), then the knowledge base, then confidence-aware
templates. The app builds its own chain (``build_explainer``, kept on the app by ``create_app``);
these functions serve scripts with a default chain built on first use. Whatever a language model
writes passes the guard (``explain/guard.py``) or is replaced by the next generator's text; every
reply says which generator wrote it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Mapping, Optional, Sequence

import prompts
from classifier.finding import QUALITY_OK, Finding
from classifier.inconclusive import inconclusive_reason
from explain import answering
from explain.chain import Explainer
from explain.facts import finding_facts
from explain.generators import BASE, FINE_TUNED, GPT2Generator, KnowledgeBaseGenerator, TemplateGenerator
from explain.model_loading import BASE_MODEL_NAME, LOAD_ERRORS, load_model_and_tokenizer, missing_parts
from explain.request import INTERPRETATION, QUERY, ExplainRequest, Explanation
from explain.settings import GenerationSettings
from retrieval.passages import Passage

log = logging.getLogger(__name__)

FINE_TUNED_LINE = "✓ Fine-tuned medical GPT-2 model configured: {path}"
BASE_LINE = "⚠ Using base GPT-2 model (no fine-tuning). Set MEDICAL_GPT2_PATH for domain-specific model."
NO_MODEL_LINE = (
    "⚠ No GPT-2 model available (MEDICAL_GPT2_PATH is not set or not usable, and no "
    "base gpt2 is cached on this machine): explanations come from the knowledge base, "
    "then from templates."
)

_lock = threading.Lock()
# The scripts' default chain and its status, built by initialize_llm or on first use.
_default: Optional[tuple[Explainer, dict[str, Any]]] = None


def _announce(line: str) -> None:
    print(line, flush=True)


def _language_model(
    model_path: Optional[str], settings: GenerationSettings, try_base_model: bool
) -> tuple[Optional[GPT2Generator], dict[str, Any]]:
    """The fine-tuned model if one is configured and loads, else the cached base model, else None."""
    if model_path:
        missing = missing_parts(model_path)
        if missing:
            _announce(f"⚠ Fine-tuned model path {model_path} cannot be used: missing {', '.join(missing)}.")
        else:
            try:
                model, tokenizer = load_model_and_tokenizer(model_path, int8=settings.int8)
            except LOAD_ERRORS as exc:
                _announce(f"⚠ Fine-tuned model at {model_path} could not be loaded: {type(exc).__name__}: {exc}")
            else:
                _announce(FINE_TUNED_LINE.format(path=model_path))
                return GPT2Generator(model, tokenizer, settings, FINE_TUNED), {"model_path": model_path}
    if try_base_model:
        try:
            model, tokenizer = load_model_and_tokenizer(BASE_MODEL_NAME, int8=settings.int8)
        except LOAD_ERRORS:
            pass
        else:
            _announce(BASE_LINE)
            return GPT2Generator(model, tokenizer, settings, BASE), {"model_path": BASE_MODEL_NAME}
    _announce(NO_MODEL_LINE)
    return None, {"model_path": None}


def build_explainer(
    model_path: Optional[str], settings: GenerationSettings, try_base_model: bool = True
) -> tuple[Explainer, dict[str, Any]]:
    """A generator chain for ``model_path`` (None: no fine-tuned model) and its status; prints the
    startup line. Reads no environment: the caller's configuration says what to load."""
    language_model, status = _language_model(model_path, settings, try_base_model)
    generators = ([language_model] if language_model else []) + [KnowledgeBaseGenerator(), TemplateGenerator()]
    return Explainer(generators), {
        "active": generators[0].name,
        "chain": [g.name for g in generators],
        **status,
        "settings": settings.__dict__.copy(),
    }


def initialize_llm(
    model_path: Optional[str] = None, settings: Optional[GenerationSettings] = None, try_base_model: bool = True
) -> dict[str, Any]:
    """Build the scripts' default generator chain and print the startup line; returns its status.

    ``model_path`` and ``settings`` default to the configuration's (``MEDICAL_GPT2_PATH`` ...).
    """
    global _default
    from service.config import Config

    config = Config.from_sources()
    chain = build_explainer(model_path or config.medical_gpt2_path, settings or config.generation, try_base_model)
    with _lock:
        _default = chain
    return dict(chain[1])


def _default_explainer() -> Explainer:
    if _default is None:
        initialize_llm()
    assert _default is not None
    return _default[0]


def is_inconclusive(finding: Finding) -> bool:
    return inconclusive_reason(finding) is not None


def explain_finding(
    finding: Finding, clinical_context: Optional[str] = None, explainer: Optional[Explainer] = None
) -> Explanation:
    """The interpretation of a classifier finding, with the classifier's measured facts on top.

    ``explainer`` is the app's chain; scripts leave it out and get the default one.
    """
    request = ExplainRequest(
        kind=INTERPRETATION,
        label=finding.label,
        confidence=finding.confidence,
        signal_type=finding.signal_type,
        inconclusive=is_inconclusive(finding),
        inconclusive_reason=inconclusive_reason(finding),
        prompt=prompts.clinical_interpretation_prompt(
            finding.signal_type, finding.label, finding.confidence, clinical_context
        ),
    )
    explanation = (explainer or _default_explainer()).explain(request)
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
    return Finding(signal_type=signal_type, label=label, confidence=confidence, probabilities={label: confidence})


def explain_with_llm(
    classification_result: Mapping[str, Any], signal_type: str, clinical_context: Optional[str] = None
) -> str:
    """The specification's call: ``{"prediction", "confidence"}`` in, interpretation text out."""
    finding = _finding_from_result(classification_result, signal_type)
    return explain_finding(finding, clinical_context).text


def _with_passages(prompt: str, passages: Sequence[Passage]) -> str:
    """The specification's prompt, preceded by the retrieved passages the model is to write from."""
    if not passages:
        return prompt
    listed = "\n".join(f"- {p.title}: {p.text}" for p in passages)
    return f"Reference passages:\n{listed}\n\n{prompt}"


def answer_question(
    prompt: str,
    classification: Optional[Mapping[str, Any]] = None,
    signal_type: Optional[str] = None,
    facts: Optional[Mapping[str, Any]] = None,
    passages: Sequence[Passage] = (),
    explainer: Optional[Explainer] = None,
) -> Explanation:
    """An answer to a health worker's question, about a finding when one is given.

    ``facts`` are a stored result's measured values; ``passages`` are retrieved texts the answer
    may draw on and cite. Emergency advice goes first when the question holds a red flag.
    """
    passages = tuple(passages)
    if classification:
        label = str(classification.get("prediction"))
        confidence = prompts.parse_confidence(classification.get("confidence", 0.0))
        quality = (facts or {}).get("quality", QUALITY_OK)
        # a stored result keeps the reason /classify gave (a plausibility check, the prediction set);
        # otherwise the rule is applied to what the client sent
        reason = (facts or {}).get("inconclusive_reason") or inconclusive_reason(
            Finding(
                signal_type=signal_type or "",
                label=label,
                confidence=confidence,
                probabilities={label: confidence},
                quality=quality,
            )
        )
        if reason is None and (facts or {}).get("inconclusive"):  # stored before reasons were kept
            reason = "/classify reported this recording as inconclusive"
        request = ExplainRequest(
            kind=QUERY,
            label=label,
            confidence=confidence,
            signal_type=signal_type,
            prompt=_with_passages(prompts.clinical_query_prompt(prompt, label, confidence), passages),
            question=prompt,
            facts=facts,
            passages=passages,
            inconclusive=reason is not None,
            inconclusive_reason=reason,
        )
    else:
        request = ExplainRequest(
            kind=QUERY,
            signal_type=signal_type,
            question=prompt,
            prompt=_with_passages(prompts.general_query_prompt(prompt), passages),
            passages=passages,
        )
    explanation = (explainer or _default_explainer()).explain(request)
    text = answering.emergency_first(explanation.text, prompt)
    return Explanation(
        text=text,
        generator=explanation.generator,
        rejected=explanation.rejected,
        sources=tuple(answering.sources_for(explanation.text, request, passages)),  # the advice cites none
    )


def generate_prompt_based_response(
    prompt: str, classification: Optional[Mapping[str, Any]] = None, signal_type: Optional[str] = None
) -> str:
    """The specification's call for free questions, with optional classification context."""
    return answer_question(prompt, classification, signal_type).text
