"""The specification's three prompt templates, word for word, and one function each that fills them.

The same functions serve inference and fine-tuning, so the model is trained on exactly the prompts
it will be given.
"""

from __future__ import annotations

from typing import Optional

CLINICAL_INTERPRETATION = """Medical Signal Analysis Report:
Signal Type: {signal_type}
Classification: {classification}
Confidence: {confidence:.2%}
Clinical Context: {context}

Provide a detailed clinical interpretation suitable for primary care practitioners, including:
1. Explanation of the finding
2. Clinical significance
3. Recommended follow-up actions

Interpretation:"""

GENERAL_QUERY = """Medical Question: {prompt}

Provide an educational explanation suitable for healthcare practitioners, covering:
- Key medical concepts
- Clinical relevance
- Important considerations

Answer:"""

CLINICAL_QUERY = """Clinical Query: {prompt}
Diagnostic Finding: {prediction}
Confidence Level: {confidence:.1%}

Provide a clear, accessible explanation for healthcare workers addressing:
- What this finding means
- Clinical implications
- Recommended next steps

Response:"""

NO_CONTEXT = "None provided"


def parse_confidence(value) -> float:
    """A confidence as a fraction in [0, 1]: accepts 0.92, "0.92", "92%" or 92."""
    if isinstance(value, str):
        text = value.strip()
        number = float(text.rstrip("%"))
        fraction = number / 100.0 if text.endswith("%") or number > 1 else number
    else:
        number = float(value)
        fraction = number / 100.0 if number > 1 else number
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"confidence must lie between 0 and 1 (or 0% and 100%), got {value!r}")
    return fraction


def clinical_interpretation_prompt(
    signal_type: str, classification: str, confidence, context: Optional[str] = None
) -> str:
    return CLINICAL_INTERPRETATION.format(
        signal_type=signal_type,
        classification=classification,
        confidence=parse_confidence(confidence),
        context=context or NO_CONTEXT,
    )


def general_query_prompt(prompt: str) -> str:
    return GENERAL_QUERY.format(prompt=prompt)


def clinical_query_prompt(prompt: str, prediction: str, confidence) -> str:
    return CLINICAL_QUERY.format(prompt=prompt, prediction=prediction, confidence=parse_confidence(confidence))
