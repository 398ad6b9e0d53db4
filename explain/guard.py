"""The guard: may a generated text be served for this request?

One implementation, used by the service and by evaluation. ``problems`` returns the reasons a text
is refused (empty when it may be served). The checks are conservative: a refused text falls back to
the knowledge base, so a false refusal costs fluency, never safety.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import knowledge_base as kb
import prompts
from explain.request import INTERPRETATION, ExplainRequest
from knowledge_base import topics as kb_topics

MIN_CHARACTERS = 80
MIN_DISTINCT_TRIGRAM_RATIO = 0.6
MAX_SENTENCE_REPEATS = 1
GROUNDED_SHARE = 0.8  # share of a text's content words that must occur in its sources

# A medicine amount: a number with a unit or a dosing frequency ("5 mg", "2 tablets", "twice a day").
DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|micrograms?|milligrams?|grams?|g|ml|millilitres?|"
    r"milliliters?|units?|iu|tablets?|pills?|capsules?|puffs?|drops?)\b"
    r"|\b(?:once|twice|three times|\d+ times)\s+(?:a|per|each)\s+day\b",
    re.I,
)
_CONTENT_WORD = re.compile(r"[a-z]{4,}")
_NEGATED = (
    r"(?:\bno|\bnot|\bwithout|\brules? out|\bruled out|\bexcludes?|\babsence of|\bfree of)\s+"
    r"(?:(?:any|signs?|evidence|sign|longer|real|true|actual|of|a|an)\s+){0,3}"
)

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


def has_dose(text: str) -> bool:
    """True when ``text`` states a medicine amount or dosing frequency."""
    return bool(DOSE.search(text))


def contradicts(text: str, label: str) -> bool:
    """True when ``text`` denies the classifier's finding ("no atrial fibrillation", "not AF")."""
    entry = kb.get_entry(label)
    names = (entry.label.lower(), *entry.synonyms) if entry else (label.lower(),)
    pattern = _NEGATED + "(?:" + "|".join(kb._name_pattern(name) for name in names) + ")"
    return bool(re.search(pattern, text, re.I))


@lru_cache(maxsize=1)
def _knowledge_words() -> frozenset[str]:
    """Every content word of the knowledge base, glossary, topic answers and prompt templates."""
    texts = [
        " ".join(
            [
                e.label,
                *e.synonyms,
                e.summary,
                e.explanation,
                e.significance,
                e.follow_up,
                e.limitations,
                *e.red_flags,
                *e.questions.values(),
            ]
        )
        for e in kb.load_entries().values()
    ]
    texts += [t.text for t in kb_topics.glossary()] + [t.answer for t in kb_topics.topics()]
    texts += [prompts.CLINICAL_INTERPRETATION, prompts.GENERAL_QUERY, prompts.CLINICAL_QUERY]
    return frozenset(_CONTENT_WORD.findall(" ".join(texts).lower()))


def grounded_share(text: str, passages: tuple = ()) -> float:
    """The share of ``text``'s content words found in the knowledge base or the given passages."""
    words = _CONTENT_WORD.findall(text.lower())
    if not words:
        return 0.0
    support = _knowledge_words() | set(_CONTENT_WORD.findall(" ".join(f"{p.title} {p.text}" for p in passages).lower()))
    return sum(word in support or word.rstrip("s") in support for word in words) / len(words)


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
    if has_dose(text):
        found.append("states a dose")
    if grounded_share(text, request.passages) < GROUNDED_SHARE:
        found.append("not grounded in the knowledge base or the retrieved passages")
    if request.label:
        if contradicts(text, request.label):
            found.append("contradicts the finding")
        if not mentions_finding(text, request.label):
            found.append("does not name the finding")
        if kb.find_mentions(text) - {request.label}:
            found.append("names a different diagnosis")
    else:
        # A general answer may discuss at most what the question itself asked about.
        asked = kb.find_mentions_in_question(request.question or "")
        if kb.find_mentions(text) - asked:
            found.append("names diagnoses the question did not ask about")
    if request.kind == INTERPRETATION:
        missing = [part for part, pattern in REQUIRED_PARTS.items() if not pattern.search(text)]
        if missing:
            found.append(f"lacks {', '.join(missing)}")
    return found
