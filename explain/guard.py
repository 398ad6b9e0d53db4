"""The guard: may a generated text be served for this request?

One implementation, used by the service and by evaluation. ``problems`` returns the reasons a text
is refused (empty when it may be served). The checks are conservative: a refused text falls back to
the knowledge base, so a false refusal costs fluency, never safety.
"""
from __future__ import annotations

import re
from collections import Counter

import knowledge_base as kb
from explain.request import INTERPRETATION, ExplainRequest

MIN_CHARACTERS = 80
MIN_DISTINCT_TRIGRAM_RATIO = 0.6
MAX_SENTENCE_REPEATS = 1

# The three parts the clinical-interpretation prompt asks for, as the words that introduce them.
REQUIRED_PARTS = {
    "explanation": re.compile(r"explanation|what (?:this|the finding|it) means|^\s*1[.)]", re.I | re.M),
    "clinical significance": re.compile(r"significan|implication|^\s*2[.)]", re.I | re.M),
    "follow-up": re.compile(r"follow[- ]?up|recommend|next step|refer|^\s*3[.)]", re.I | re.M),
}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def is_repetitive(text: str) -> bool:
    """True when word trigrams or whole sentences repeat (GPT-2's typical failure)."""
    words = _words(text)
    trigrams = list(zip(words, words[1:], words[2:]))
    if trigrams and len(set(trigrams)) / len(trigrams) < MIN_DISTINCT_TRIGRAM_RATIO:
        return True
    sentences = [s.strip().lower() for s in re.split(r"[.!?\n]+", text) if len(s.strip()) > 20]
    return any(count > MAX_SENTENCE_REPEATS for count in Counter(sentences).values())


def mentions_finding(text: str, label: str) -> bool:
    return label in kb.find_mentions(text) or label.lower() in text.lower()


def problems(text: str, request: ExplainRequest) -> list[str]:
    """Why ``text`` may not be served for ``request`` (an empty list means it may).

    The reasons are fixed phrases, never the label or the text: the chain logs them.
    """
    found = []
    if len(text.strip()) < MIN_CHARACTERS:
        return ["empty or too short"]
    if is_repetitive(text):
        found.append("repetitive")
    if request.label:
        if not mentions_finding(text, request.label):
            found.append("does not name the finding")
        if kb.find_mentions(text) - {request.label}:
            found.append("names a different diagnosis")
    else:
        # A general answer may discuss at most what the question itself asked about.
        asked = kb.find_mentions(request.question or "")
        if kb.find_mentions(text) - asked:
            found.append("names diagnoses the question did not ask about")
    if request.kind == INTERPRETATION:
        missing = [part for part, pattern in REQUIRED_PARTS.items() if not pattern.search(text)]
        if missing:
            found.append(f"lacks {', '.join(missing)}")
    return found
