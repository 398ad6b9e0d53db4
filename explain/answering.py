"""The knowledge base's answer to a health worker's question: the question's topic, answered first.

Order of an answer: emergency advice when the question or context holds a red flag (added by
:func:`emergency_first` for every generator's text), then the answer to the topic asked about, then
one line on the finding the question is about. Everything said comes from the knowledge base, the
glossary, the measured facts of a stored result, or a quoted retrieved passage.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

import knowledge_base as kb
from classifier.signal_types import NOISY_RECORDING
from explain.request import ExplainRequest
from knowledge_base import red_flags
from knowledge_base import topics as kb_topics
from retrieval.index import query_terms
from retrieval.passages import KB_LICENCE, KB_ORIGIN, Passage

NO_INFORMATION = (
    "I don't have reliable information on that. This service covers heart rhythm "
    "(ECG) and brain wave (EEG) findings. Please ask a qualified clinician or a "
    "trusted clinical reference."
)
QUOTE_WORDS = 60
SLOW_BPM, FAST_BPM = 60, 100
_NUMBER_IN_QUESTION = re.compile(r"\b(\d{2,3})\b")


def emergency_first(text: str, *texts: Optional[str]) -> str:
    """``text`` with the emergency sentence put first when ``texts`` hold a red flag."""
    advice = red_flags.emergency_advice(red_flags.find_red_flags(*texts))
    if not advice or text.startswith(advice):
        return text
    # "the patient is not breathing": the emergency advice is the answer, not "I don't have ..."
    return f"{advice}\n\n{text.replace(NO_INFORMATION, '').lstrip()}"


def _finding_line(label: str, confidence: float, inconclusive: bool, reason: Optional[str] = None) -> str:
    if inconclusive or label == NOISY_RECORDING:
        return (
            f"About this result: it is inconclusive ({reason or f'{confidence:.0%} confidence'}), so it does "
            "not show whether the patient has any finding."
        )
    band = kb.confidence_band(confidence)
    return (
        f"About this result: the classifier reported {label} ({band}, {confidence:.0%} "
        "confidence), which a clinician must confirm."
    )


# Usual resting heart rates of children, as in the numbers topic's answer: (who, words, low, high)
_CHILD_RANGES = (
    ("a baby", re.compile(r"\b(?:bab(?:y|ies)|infants?|newborns?|neonates?)\b", re.I), 100, 160),
    ("a toddler", re.compile(r"\btoddlers?\b|\b[1-3][- ]?(?:years?|yrs?)[- ]?old\b", re.I), 80, 140),
    (
        "a school-age child",
        re.compile(r"\b(?:child|children|kids?|boy|girl)\b|\b(?:[4-9]|1[0-2])[- ]?(?:years?|yrs?)[- ]?old\b", re.I),
        70,
        120,
    ),
)


def _child_rate_words(rate: float, who: str, low: int, high: int) -> str:
    usual = f"the usual resting range for {who} of {low} to {high}"
    if rate < low:
        return (
            f"{rate:.0f} beats per minute is slower than {usual}. A slow rate in a child is unusual and needs "
            "a clinician soon; with floppiness, pale or blue skin, poor feeding or breathing trouble it is an "
            "emergency."
        )
    if rate > high:
        return (
            f"{rate:.0f} beats per minute is faster than {usual}. Crying, fever, pain or activity raise it, so "
            "count again when the child is calm. A rate that stays high at rest, or a fast rate with poor "
            "feeding, pale or mottled skin, fast breathing or floppiness, needs a clinician the same day, and "
            "with fainting or collapse it is an emergency."
        )
    return f"{rate:.0f} beats per minute is inside {usual}."


def _rate_words(rate: float, question: str = "") -> str:
    """What a heart rate means, for a child when the question is about one, else for an adult."""
    for who, words, low, high in _CHILD_RANGES:
        if words.search(question):
            return _child_rate_words(rate, who, low, high)
    if rate < SLOW_BPM:
        return (
            f"{rate:.0f} beats per minute is slower than the usual resting range of 60 to 100 "
            "(bradycardia). It can be normal in fit people or with some medicines. It matters "
            "if the patient is dizzy, faint, breathless or has chest pain, and below 40 with "
            "those symptoms it is an emergency."
        )
    if rate > FAST_BPM:
        return (
            f"{rate:.0f} beats per minute is faster than the usual resting range of 60 to 100 "
            "(tachycardia). Pain, fever, anxiety, exercise, dehydration, blood loss or anaemia can "
            "cause it, and so can a rhythm problem. Above 150 with dizziness, fainting, chest pain "
            "or breathlessness it is an emergency."
        )
    return f"{rate:.0f} beats per minute is inside the usual resting range of 60 to 100."


# "any extra beats?", "were there PVCs?", "where is the seizure activity?": about a stored result,
# questions for its measured values
_ASKS_FOR_MEASUREMENTS = re.compile(
    r"\b(?:any|were there|are there|did it (?:find|show|count|see))\b[^?.]{0,20}\b(?:beats?|pvcs?|pacs?|ectopics?)\b"
    r"|\b(?:where|when|which part|what part|how much|how long)\b[^?.]{0,30}\b(?:seiz\w*|ictal)",
    re.IGNORECASE,
)


# "how much of the recording was AF?": the AF burden, which only a recording read in windows has
_ASKS_AF_BURDEN = re.compile(
    r"\baf burden\b|\bhow much (?:of (?:the |it|this)[^?.]{0,20})?(?:af|a-?fib|atrial fibrillation)\b"
    r"|\bhow much of the (?:recording|trace|strip|ecg)\b|\bhow long (?:was|did) (?:the |it |she |he )?(?:in )?"
    r"(?:af|a-?fib|atrial fibrillation)\b",
    re.IGNORECASE,
)


_COUNTS_BEATS = re.compile(r"\b(?:pvcs?|pacs?|ectopics?|extra beats?|early beats?|premature beats?)\b", re.I)


def _asked_rate(question: str) -> Optional[float]:
    """The heart rate a question states ("HR 45", "pulse of 150"), or its only number ("is 47 too
    slow?") unless that counts extra beats ("20 PVCs a minute")."""
    stated = red_flags.stated_heart_rate(question)
    if stated is not None or _COUNTS_BEATS.search(question):
        return stated
    numbers = [float(n) for n in _NUMBER_IN_QUESTION.findall(question) if 20 <= float(n) <= 300]
    return numbers[0] if len(numbers) == 1 else None


def facts_answer(question: str, facts: Optional[Mapping[str, Any]]) -> Optional[str]:
    """An answer about the measured numbers, from a stored result's facts or the question's number."""
    asked = _asked_rate(question)
    if facts is None:
        return _rate_words(asked, question) if asked is not None else None
    if facts.get("quality") == "poor" or facts.get("label") == NOISY_RECORDING:
        return (
            "This recording was too noisy to measure the heart rate or count beats reliably, so "
            "no numbers are given. Repeat the recording with the patient still and good "
            "electrode contact, or count the pulse by hand for a full minute."
        )
    if _ASKS_AF_BURDEN.search(question) and facts.get("af_burden") is None and facts.get("signal_type") == "ECG":
        verdict = "was called atrial fibrillation" if facts.get("label") == "Atrial Fibrillation" else "was not"
        verdict = "gave an inconclusive result" if facts.get("inconclusive") else verdict
        return (
            f"This recording was read as a whole and {verdict}. How much of a recording is "
            "in atrial fibrillation is measured only for ECGs longer than about a minute, which are read in "
            "windows."
        )
    parts = []
    rate = facts.get("heart_rate_bpm")
    duration = facts.get("duration_s")
    over = f" over {duration:.0f} seconds" if duration else ""
    if rate is not None:
        parts.append(f"The measured average heart rate was about {rate:.0f} beats per minute{over}.")
        parts.append(_rate_words(asked if asked is not None else rate, question))
    counts = facts.get("beat_counts")
    if counts:
        beats = [
            f"{counts.get(key, 0)} {name}"
            for key, name in (
                ("pvc", "premature ventricular contractions (PVCs)"),
                ("pac", "premature atrial contractions (PACs)"),
            )
            if key in counts
        ]
        total = facts.get("total_beats")
        parts.append(
            f"The recording counted {' and '.join(beats)}" + (f" among {total} beats" if total else "") + f"{over}."
        )
    if facts.get("af_burden") is not None:
        parts.append(f"Atrial fibrillation was seen in {facts['af_burden']:.0%} of the recording.")
    if facts.get("seizure_fraction") is not None:
        where = ", ".join(f"{start:.0f}-{end:.0f} s" for start, end in (facts.get("seizure_ranges_s") or [])[:5])
        parts.append(
            f"Seizure-like activity was seen in {facts['seizure_fraction']:.0%} of the "
            f"{facts.get('n_windows', 0)} analysis windows" + (f", at {where} into the recording." if where else ".")
        )
    if not parts:
        return "This result holds no measured heart rate or beat count" + (
            " (EEG recordings have none)." if facts.get("signal_type") == "EEG" else "."
        )
    return " ".join(parts)


def _entries_named(question: str, label: Optional[str]) -> list[kb.Entry]:
    named = sorted(kb.find_mentions_in_question(question), key=lambda name: kb.mention_position(question, name))
    entries = [kb.get_entry(name) for name in named]
    if label and kb.get_entry(label) and kb.get_entry(label) not in entries:
        entries.insert(0, kb.get_entry(label))
    return [entry for entry in entries if entry is not None]


def _quote(passage: Passage) -> str:
    words = passage.text.split()
    text = " ".join(words[:QUOTE_WORDS]) + (" …" if len(words) > QUOTE_WORDS else "")
    return f'From {passage.title} ({passage.origin}): "{text}"'


def _what_to_tell(entry: kb.Entry, request: ExplainRequest) -> str:
    if (request.inconclusive and request.label == entry.label) or entry.label == NOISY_RECORDING:
        return (
            "For this result: say that the recording did not give a clear answer, not that they have a "
            "condition, and that it may need to be repeated."
        )
    return f"In plain words: {entry.summary} {_warning_signs(entry)}"


def _warning_signs(entry: kb.Entry) -> str:
    return f"Get help at once for: {'; '.join(entry.red_flags)}."


def _inconclusive_answer(request: ExplainRequest, topic: Optional[kb_topics.Topic], names_terms: bool) -> Optional[str]:
    """The answer about an inconclusive result itself, where the class's own text would read as the
    finding: "what now?", "why is it inconclusive?", "is it serious?", "what does this mean?"."""
    topic_id = topic.id if topic else None
    reason = request.inconclusive_reason
    why = f" ({reason})" if reason else ""
    if topic_id == "next_steps":  # not the class's treatment, but what to do about the result
        return (
            f"This result is inconclusive{why}, so it cannot guide what to do. "
            f"{kb_topics.topic_by_id('recording').answer} Whatever the recording shows, a clinician should "
            "decide the next step from how the patient is."
        )
    if topic_id == "confidence":
        return f"This result is inconclusive{': ' + reason if reason else ''}. {topic.answer}"
    if request.label == NOISY_RECORDING:  # its own entry explains what a noisy result means
        return None
    if topic_id == "urgency":  # never the class's own "not urgent"
        return f"This result is inconclusive{why}, so it cannot say how urgent things are. {topic.answer}"
    if (
        topic_id in (None, "definition")
        and not kb.find_mentions_in_question(request.question or "")
        and not names_terms
    ):
        return (
            f"This result is inconclusive{why}: the recording did not give a reliable answer, so it neither "
            "shows nor rules out any finding. Repeat the recording if you can, and let a clinician decide "
            "from how the patient is."
        )
    return None


def topic_answer(request: ExplainRequest) -> tuple[Optional[str], str]:
    """``(topic id, the answer to it)``; the answer may be "" when nothing in the base fits."""
    question = request.question or ""
    topic = kb_topics.topic_of(question)
    terms = kb_topics.terms_in(question)
    medicines = [t for t in terms if t.medicine]
    if topic is None and medicines:  # "should I give diazepam?" asks about treatment
        topic = kb_topics.topic_by_id("treatment")
    if topic and topic.id == "numbers" and not request.facts and _asked_rate(question) is None:
        causes = kb_topics.topic_by_id("causes")  # "can anaemia cause a fast heart rate?" asks why
        topic = causes if causes.pattern.search(question) else topic
    topic_id = topic.id if topic else None
    if request.facts and topic_id in (None, "definition") and _ASKS_FOR_MEASUREMENTS.search(question):
        topic = kb_topics.topic_by_id("numbers")
        topic_id = topic.id
    entries = _entries_named(question, request.label)
    if topic_id == "dose":
        return topic_id, topic.answer
    if topic_id == "numbers":
        answer = facts_answer(question, request.facts)
        if answer:  # "HR 45 on bisoprolol, is that ok?": the number, then what the medicine does
            return topic_id, answer + (f" {medicines[0].text}" if medicines else "")
        named = _entries_named(question, None)
        if named:  # "how many PVCs are too many?": when the finding matters
            return topic_id, named[0].significance
    if topic_id == "comparison" and len(entries) + len(terms) >= 2:
        described = [f"{e.label}: {e.summary}" for e in entries]
        described += [t.text for t in terms if not any(e.label in t.text for e in entries)][:2]
        return topic_id, " ".join(described[:3] + [topic.answer])
    if request.label and request.inconclusive:
        text = _inconclusive_answer(request, topic, bool(terms))
        if text:
            return topic_id, text
    if topic_id == "confidence" and request.label and request.confidence is not None:
        band = kb.confidence_band(request.confidence)
        return topic_id, (
            f"{topic.answer} This result's confidence is {request.confidence:.0%}, which counts as {band}."
        )
    entry = entries[0] if entries else None
    prefix = ""
    if entry and request.inconclusive and request.label == entry.label and entry.label != NOISY_RECORDING:
        prefix = f"General information about {entry.label}, which this result does not confirm: "
    if entry and topic_id == "consequences":  # "can AF cause a stroke?": what the finding can lead to
        return topic_id, prefix + entry.significance
    if entry and topic_id == "next_steps":  # "what should I do?" after a finding: its follow-up steps
        return topic_id, entry.follow_up
    if entry and topic_id == "warning_signs":  # "what are the warning signs?": the finding's own red flags
        return topic_id, _warning_signs(entry)
    if entry and topic_id == "explaining":  # "what should I tell the family?": how, and what to say
        return topic_id, f"{topic.answer} {_what_to_tell(entry, request)}"
    if entry and topic_id in entry.questions:
        medicine = f" {medicines[0].text}" if medicines else ""  # what the question names, too
        return topic_id, prefix + entry.questions[topic_id] + medicine
    parts = []
    if topic and topic.answer:
        parts.append(topic.answer)
    # About the finding itself: its one-line summary, never the interpretation's sections again.
    entry_text = ""
    if entry:
        entry_text = prefix + entry.summary if request.label == entry.label else f"{entry.summary} {entry.explanation}"
    about_entry = entry is not None and topic_id in (None, "definition")
    if about_entry:  # the finding first: "what does AF look like on an ECG?" is about AF
        parts.append(entry_text)
    if medicines:
        parts.append(medicines[0].text)
    elif terms and (topic_id in (None, "definition", "diagnosis_tests", "causes", "consequences") or not parts):
        # "what is sinus tachycardia?": both terms it names, not only the first
        named = [term.text for term in terms[: 2 if topic_id in (None, "definition") else 1]]
        # the named thing first when asking its causes or tests: "is an EEG needed after a fever fit?"
        parts = named + parts if topic_id in ("causes", "diagnosis_tests") else parts + named
    if entry and not about_entry and not parts:
        parts.append(entry_text)
    return topic_id, " ".join(parts)


_GREETING_WORDS = {"hi", "hello", "hey", "good", "morning", "afternoon", "evening", "thanks", "thank", "you", "thx"}
_THANKS_WORDS = {"thanks", "thank", "thx"}
HOW_TO_ASK = (
    "Ask me about an ECG or EEG result: what it means, how urgent it is, what to do next, or how to "
    "get a clearer recording."
)


def greeting_reply(question: str) -> Optional[str]:
    """A short reply when the question is only a greeting or a thank-you, else None."""
    words = set(re.findall(r"[a-z]+", question.lower()))
    if not words or not words <= _GREETING_WORDS:
        return None
    return ("You're welcome. " if words & _THANKS_WORDS else "Hello. ") + HOW_TO_ASK


def answer(request: ExplainRequest) -> tuple[str, Optional[str]]:
    """``(text, topic id)``: the knowledge base's answer to ``request.question``."""
    question = request.question or ""
    reply = greeting_reply(question)
    if reply:
        return reply, None
    if not kb_topics.in_field(question, about_a_finding=request.label is not None):
        return NO_INFORMATION, None
    topic_id, text = topic_answer(request)
    rate = red_flags.stated_heart_rate(question)
    if text and rate is not None and topic_id not in ("numbers", "dose"):  # "a pulse of 120 in pregnancy?"
        text += " " + _rate_words(rate, question)
    if not text and request.passages:
        text = _quote(request.passages[0])
    if not text:
        return NO_INFORMATION, topic_id
    if request.label:
        text += "\n\n" + _finding_line(
            request.label, request.confidence or 0.0, request.inconclusive, request.inconclusive_reason
        )
    return text, topic_id


# Question words that say what kind of answer is wanted, not what it is about: a passage sharing only
# these ("warning signs" in a passage on diabetes) is not about the question.
_ANSWER_KIND_WORDS = frozenset(
    """warning signs sign symptoms symptom danger dangerous serious normal result results mean means meaning
    treatment treat treated cause causes risk risks help need needed test tests long often happen happens
    should could better worse safe""".split()
)


def relevant(passage: Passage, question: str, label: Optional[str] = None) -> bool:
    """A passage worth citing: in the service's field, sharing at least two of the question's
    content words (one when the question has only one), and either one of them names what the
    question is about or the passage is about the finding ``label``."""
    asked = set(query_terms(question))
    text = f"{passage.title} {passage.text}"
    shared = asked & set(query_terms(text))
    if len(shared) < min(2, len(asked)):  # the cheap tests first: this runs on every retrieved passage
        return False
    about = bool(shared - _ANSWER_KIND_WORDS) or (label is not None and label in kb.find_mentions(text))
    return about and kb_topics.in_field(passage.text, about_a_finding=False)


def kb_source(title: str, passage: str) -> dict:
    return {"title": title, "origin": KB_ORIGIN, "url": None, "licence": KB_LICENCE, "passage": passage}


def sources_for(text: str, request: ExplainRequest, passages: Sequence[Passage]) -> list[dict]:
    """The knowledge-base entries and glossary terms the answer used, then the retrieved passages."""
    if NO_INFORMATION in text or HOW_TO_ASK in text:  # nothing was looked up
        return []
    used = []
    question = request.question or ""
    for entry in _entries_named(question, request.label):
        used.append(kb_source(entry.label, entry.summary))
    for term in kb_topics.terms_in(question):
        if term.text in text:
            used.append(kb_source(term.term, term.text))
    used += [
        {"title": p.title, "origin": p.origin, "url": p.url or None, "licence": p.licence, "passage": p.text}
        for p in passages
        if p.origin != KB_ORIGIN
    ]
    return used
