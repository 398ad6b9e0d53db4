"""What a question is about: its topic, the glossary terms it names, and whether it is in the field.

The topics and their general answers live in ``topics.json``, the definitions in ``glossary.json``;
both are the project's own plain words. Recognition is by word patterns, tried in the file's order,
so it works the same on questions nobody here has seen.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import knowledge_base as kb

HERE = Path(__file__).resolve().parent

# Words that place a question in this service's field: the heart's and the brain's electrical
# activity, the recordings, and what the service reports about them.
_FIELD_WORDS = re.compile(
    r"\b(?:heart\w*|cardi\w*|ecgs?|ekgs?|eegs?|brain|seiz\w*|epilep\w*|fit(?:s|ting)?|convuls\w*|rhythm\w*"
    r"|arr?h?ythm\w*|beats?|beating|pulse|palpitat\w*|fibril\w*|flutter|qtc?|qrs|pr interval"
    r"|st[- ](?:segment|elevation|depression)|electrod\w*|recordings?|strips?|traces?|tracings?"
    r"|faint\w*|syncope|blackouts?|bpm|pacemaker|stroke|ectopic\w*|pvcs?|pacs?|a-?fib|tachy\w*"
    r"|brady\w*|chest|results?|findings?|classifier|confidence|reading|interictal|ictal|spikes?|shaking|jerking)\b",
    re.I,
)
# Other fields a health worker may ask about, which this service has no reliable text for.
_OTHER_FIELDS = re.compile(
    r"\b(?:diabet\w*|blood sugar|sugar|insulin|glucose|cancer\w*|tumou?rs?|covid\w*|flu|influenza"
    r"|malaria|hiv|aids|tubercul\w*|\btb\b|asthma|rash\w*|eczema|fractur\w*|broken|sprain\w*|ankle"
    r"|knee|back pain|tooth|teeth|dental|ear infection|eye\w*|kidney stones?|hepatitis|vaccin\w*"
    r"|weather|(?:football|soccer) (?:scores?|results?|match(?:es)?|teams?)|who won|recipe|capital of|poem"
    r"|stock|bitcoin|homework|election)\b",
    re.I,
)


@dataclass(frozen=True)
class Topic:
    id: str
    pattern: re.Pattern[str]
    answer: str
    with_medicine: Optional[re.Pattern[str]] = None  # also this topic when the question names a medicine


@dataclass(frozen=True)
class Term:
    term: str
    names: tuple[str, ...]
    text: str
    pattern: re.Pattern[str]
    medicine: bool = False  # a medicine or a group of them: a question naming one is about treatment


@lru_cache(maxsize=1)
def topics() -> tuple[Topic, ...]:
    data = json.loads((HERE / "topics.json").read_text(encoding="utf-8"))
    return tuple(
        Topic(
            t["id"],
            re.compile(t["pattern"], re.I),
            t["answer"],
            re.compile(t["with_medicine"], re.I) if "with_medicine" in t else None,
        )
        for t in data["topics"]
    )


@lru_cache(maxsize=1)
def glossary() -> tuple[Term, ...]:
    data = json.loads((HERE / "glossary.json").read_text(encoding="utf-8"))
    terms = []
    for item in data["terms"]:
        names = tuple(item["names"])
        pattern = re.compile("|".join(kb._name_pattern(name) for name in names), re.I)
        terms.append(Term(item["term"], names, item["text"], pattern, item.get("medicine", False)))
    return tuple(terms)


def topic_of(question: str) -> Optional[Topic]:
    """The first topic (in ``topics.json`` order) whose pattern occurs in ``question``, or whose
    ``with_medicine`` pattern does when the question names a medicine ("she forgot her keppra")."""
    names_medicine = None  # looked up only when a with_medicine pattern matches
    for topic in topics():
        if topic.pattern.search(question):
            return topic
        if topic.with_medicine and topic.with_medicine.search(question):
            if names_medicine is None:
                names_medicine = any(term.medicine for term in terms_in(question))
            if names_medicine:
                return topic
    return None


def topic_by_id(topic_id: str) -> Topic:
    return next(t for t in topics() if t.id == topic_id)


def terms_in(question: str) -> list[Term]:
    """Glossary terms the question names, in order of first appearance; a term named only inside
    another's name ("seizure" in "febrile seizure") is left out."""
    found = [(m.span(), term) for term in glossary() if (m := term.pattern.search(question))]
    return [
        term
        for (start, end), term in sorted(found, key=lambda pair: pair[0][0])
        if not any(a <= start and end <= b and b - a > end - start for (a, b), _ in found)
    ]


# Topics that are about this service's own results, in the field even when no field word is used.
SERVICE_TOPICS = ("dose", "interactions", "service", "pregnancy", "driving_work", "confidence", "recording", "numbers")


def in_field(question: str, about_a_finding: bool) -> bool:
    """Whether the service has reliable text for ``question``.

    Field words, a known finding or a glossary term put it in; a question about another field
    (diabetes, a sprained ankle, the weather) with none of those is out, even next to a finding.
    """
    if _FIELD_WORDS.search(question) or kb.find_mentions_in_question(question) or terms_in(question):
        return True
    if _OTHER_FIELDS.search(question):
        return False
    topic = topic_of(question)
    return about_a_finding or (topic is not None and topic.id in SERVICE_TOPICS)
