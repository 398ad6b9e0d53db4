"""The knowledge base: the project's own plain-language entry for every class the classifiers emit.

The entries (``entries/*.json``, one per class) serve two users. The knowledge-base generator words
them into an answer with :func:`render_answer`, and the safety guard uses their names and synonyms
(:func:`find_mentions`) to check that a generated text names the right finding and no other.
The format and the confidence bands are described in ``README.md`` next to this file.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

from classifier.inconclusive import INCONCLUSIVE_BELOW
from classifier.signal_types import NOISY_RECORDING

ENTRIES_DIR = Path(__file__).resolve().parent / "entries"
SIGNAL_TYPES = ("ECG", "EEG")
TOPICS = ("treatment", "causes", "urgency", "lifestyle", "outlook")
TEXT_KEYS = ("summary", "explanation", "significance", "follow_up", "limitations")
REQUIRED_KEYS = ("label", "signal_type", "synonyms", *TEXT_KEYS, "red_flags", "questions")

# Calibrated confidence below which a finding is worded as "possible" rather than "likely" (below
# classifier.inconclusive.INCONCLUSIVE_BELOW it is inconclusive). README.md explains the choice.
LIKELY_BELOW = 0.8

DECISION_SUPPORT = "This is decision support, not a diagnosis: a qualified clinician must confirm the finding."
HEADINGS = ("1. Explanation of the finding", "2. Clinical significance", "3. Recommended follow-up actions")


@dataclass(frozen=True)
class Entry:
    """One class's plain-language entry, as read from ``entries/<label>.json``."""

    label: str
    signal_type: str
    synonyms: tuple[str, ...]
    summary: str
    explanation: str
    significance: str
    follow_up: str
    red_flags: tuple[str, ...]
    questions: dict[str, str] = field(hash=False)
    limitations: str


def _file_name(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") + ".json"


def _nonempty_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _entry_from_file(path: Path) -> Entry:
    """Read and validate one entry file; a ValueError names the file and what is wrong with it."""

    def fail(reason: str) -> ValueError:
        return ValueError(f"knowledge-base entry {path.name}: {reason}")

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise fail(f"not valid UTF-8 JSON ({error})") from error
    if not isinstance(data, dict):
        raise fail("must hold one JSON object")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    unknown = sorted(set(data) - set(REQUIRED_KEYS))
    if missing or unknown:
        raise fail(f"missing keys {missing}, unknown keys {unknown}")
    empty = [key for key in ("label", *TEXT_KEYS) if not _nonempty_text(data[key])]
    if empty:
        raise fail(f"empty or non-text values for {empty}")
    if data["signal_type"] not in SIGNAL_TYPES:
        raise fail(f"signal_type must be one of {SIGNAL_TYPES}, got {data['signal_type']!r}")
    if path.name != _file_name(data["label"]):
        raise fail(f"file for label {data['label']!r} must be named {_file_name(data['label'])}")
    for key in ("synonyms", "red_flags"):
        values = data[key]
        if not isinstance(values, list) or not values or not all(map(_nonempty_text, values)):
            raise fail(f"{key} must be a non-empty list of non-empty texts")
    if any(synonym != synonym.lower() for synonym in data["synonyms"]):
        raise fail("synonyms must be lower case")
    questions = data["questions"]
    if not isinstance(questions, dict) or set(questions) != set(TOPICS):
        raise fail(f"questions must have exactly the keys {list(TOPICS)}")
    if not all(map(_nonempty_text, questions.values())):
        raise fail("questions has an empty answer")
    return Entry(
        label=data["label"],
        signal_type=data["signal_type"],
        synonyms=tuple(data["synonyms"]),
        summary=data["summary"],
        explanation=data["explanation"],
        significance=data["significance"],
        follow_up=data["follow_up"],
        red_flags=tuple(data["red_flags"]),
        questions={topic: questions[topic] for topic in TOPICS},
        limitations=data["limitations"],
    )


@lru_cache(maxsize=4)
def _entries(directory: Path) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    owner: dict[str, str] = {}  # every name (label or synonym) belongs to exactly one entry
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise ValueError(f"no knowledge-base entries in {directory}")
    for path in paths:
        entry = _entry_from_file(path)
        for name in {entry.label.lower(), *entry.synonyms}:
            if owner.get(name, entry.label) != entry.label:
                raise ValueError(f"knowledge-base entry {path.name}: name {name!r} is already used by {owner[name]!r}")
            owner[name] = entry.label
        entries[entry.label] = entry
    return entries


def load_entries(directory: Path = ENTRIES_DIR) -> dict[str, Entry]:
    """Every entry keyed by its exact label; read and validated once per directory."""
    return dict(_entries(Path(directory)))


def get_entry(label: str) -> Optional[Entry]:
    """The entry whose label or one of whose synonyms is ``label`` (case-insensitive), else None."""
    wanted = " ".join(label.lower().split())
    for entry in load_entries().values():
        if wanted == entry.label.lower() or wanted in entry.synonyms:
            return entry
    return None


def labels(signal_type: Optional[str] = None) -> list[str]:
    """The known class labels, optionally only those of one signal type ("ECG" or "EEG")."""
    wanted = signal_type.upper() if signal_type else None
    return sorted(label for label, entry in load_entries().items() if wanted is None or entry.signal_type == wanted)


def _name_pattern(name: str) -> str:
    """A whole-word pattern for a name: spaces and hyphens interchangeable, a plural "s" allowed.

    A hyphen before the name also blocks a match, so "ictal activity" does not match inside
    "post-ictal activity" or "inter-ictal activity".
    """
    words = [re.escape(word) for word in re.split(r"[\s-]+", name.strip())]
    return r"(?<![\w-])" + r"[\s-]+".join(words) + r"s?(?!\w)"


@lru_cache(maxsize=4)
def _mention_patterns(directory: Path) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (
            entry.label,
            re.compile("|".join(_name_pattern(name) for name in (entry.label.lower(), *entry.synonyms)), re.IGNORECASE),
        )
        for entry in _entries(directory).values()
    )


def find_mentions(text: str) -> set[str]:
    """The labels whose label or a synonym occurs in ``text`` as whole words, case-insensitive.

    Only the specific names in the entries count: "af" does not match inside "after", and the word
    "normal" on its own names no finding.
    """
    return {label for label, pattern in _mention_patterns(ENTRIES_DIR) if pattern.search(text)}


MISSPELT_MIN_LETTERS = 12  # shorter names are too close to each other ("normal eeg", "normal ecg")
MISSPELT_RATIO = 0.88


@lru_cache(maxsize=4)
def _misspellable_names(directory: Path) -> tuple[tuple[str, str, int], ...]:
    """(label, name, the name's word count) for every name long enough to be matched misspelt."""
    return tuple(
        (entry.label, name, len(name.split()))
        for entry in _entries(directory).values()
        for name in (entry.label.lower(), *entry.synonyms)
        if len(name) >= MISSPELT_MIN_LETTERS
    )


def mention_position(text: str, label: str) -> int:
    """Where ``label`` or one of its synonyms first occurs in ``text`` ("AF" counts for Atrial
    Fibrillation); ``len(text)`` when it does not occur as written (a misspelt name)."""
    for name, pattern in _mention_patterns(ENTRIES_DIR):
        if name == label and (match := pattern.search(text)):
            return match.start()
    return len(text)


@lru_cache(maxsize=1024)
def find_mentions_in_question(question: str) -> frozenset[str]:
    """:func:`find_mentions`, and when it finds none, the labels a long name is misspelt for
    ("wat is atrial fibrilation"): a run of as many words as the name whose letters match it with a
    ``difflib`` ratio of at least MISSPELT_RATIO. Only for questions: generated text is held to the
    exact names. Cached, as one /ask asks it several times; the cheap upper bounds of the ratio
    (``real_quick_ratio``, ``quick_ratio``) rule out most runs before the ratio itself is computed."""
    exact = find_mentions(question)
    if exact:
        return frozenset(exact)
    words = re.findall(r"[a-z]+", question.lower())
    found = set()
    for label, name, size in _misspellable_names(ENTRIES_DIR):
        if label in found:
            continue
        matcher = difflib.SequenceMatcher(None, b=name)  # one per call: /ask runs in threads
        for i in range(len(words) - size + 1):
            matcher.set_seq1(" ".join(words[i : i + size]))
            if (
                matcher.real_quick_ratio() >= MISSPELT_RATIO
                and matcher.quick_ratio() >= MISSPELT_RATIO
                and matcher.ratio() >= MISSPELT_RATIO
            ):
                found.add(label)
                break
    return frozenset(found)


def confidence_band(confidence: float) -> str:
    """ "inconclusive" below 0.6, "possible" from 0.6 to below 0.8, "likely" from 0.8."""
    if confidence < INCONCLUSIVE_BELOW:
        return "inconclusive"
    if confidence < LIKELY_BELOW:
        return "possible"
    return "likely"


def _sections(headline: str, explanation: str, significance: str, follow_up: str, entry: Entry) -> str:
    parts = [headline]
    for heading, body in zip(HEADINGS, (explanation, significance, follow_up)):
        parts += [heading, body]
    flags = ". ".join(flag[0].upper() + flag[1:] for flag in entry.red_flags)
    parts += [f"Seek urgent care if: {flags}.", entry.limitations, "", DECISION_SUPPORT]
    return "\n".join(parts)


def _confirmation_step(entry: Entry) -> str:
    if entry.signal_type == "EEG":
        return "a full clinical EEG reviewed by a specialist"
    return "a standard 12-lead ECG reviewed by a clinician"


def inconclusive_headline(confidence: float, reason: Optional[str] = None) -> str:
    """ "Result: inconclusive (...)", followed by why when the reason is known."""
    headline = f"Result: inconclusive ({confidence:.0%} confidence)."
    return f"{headline} Why: {reason}." if reason else headline


def _inconclusive(entry: Entry, confidence: float, reason: Optional[str] = None) -> str:
    """Wording that never presents the class as the patient's diagnosis."""
    if entry.label == NOISY_RECORDING:
        headline = "Result: inconclusive. This is a noisy recording that could not be read reliably."
        return _sections(headline, entry.explanation, entry.significance, entry.follow_up, entry)
    headline = inconclusive_headline(confidence, reason)
    leaning = (
        f"The model's likeliest class was {entry.label}, but it is not reported as a finding."
        if reason
        else f"The model leaned towards {entry.label}, but not strongly enough to report it as a finding."
    )
    explanation = (
        f"The {entry.signal_type} analysis could not reach a clear result. {leaning} "
        f"For background only: {entry.summary}"
    )
    significance = (
        f"No conclusion about {entry.label} should be drawn from this recording "
        "alone. Judge the patient by their symptoms and history, not by this result."
    )
    step = _confirmation_step(entry)
    follow_up = (
        "Repeat the recording. Keep the patient still and relaxed, with good electrode "
        f"contact. Or ask a specialist to review it. {step[0].upper()}{step[1:]} can "
        "settle the question."
    )
    return _sections(headline, explanation, significance, follow_up, entry)


def render_answer(entry: Entry, confidence: float, topic: Optional[str] = None, reason: Optional[str] = None) -> str:
    """The knowledge-base text for a finding of ``entry`` at ``confidence``, worded by band.

    "likely" states the finding; "possible" words it as possible and asks for confirmation;
    "inconclusive" (and any "Noisy Recording") never presents a diagnosis. ``topic``, a
    ``questions`` key, puts that short answer first; ``reason`` is why an inconclusive result is
    inconclusive, named in its headline.
    """
    band = confidence_band(confidence)
    preface = ""
    if reason or band == "inconclusive" or entry.label == NOISY_RECORDING:
        text = _inconclusive(entry, confidence, reason)
        if entry.label != NOISY_RECORDING:
            preface = f"General information about {entry.label}, which this result does not confirm: "
    elif band == "possible":
        headline = (
            f"Result: possible {entry.label} ({confidence:.0%} confidence). "
            "This needs confirmation before any decision is made."
        )
        follow_up = (
            f"The result is not certain. Confirm it with a repeat recording or "
            f"{_confirmation_step(entry)}. {entry.follow_up}"
        )
        text = _sections(headline, f"{entry.summary} {entry.explanation}", entry.significance, follow_up, entry)
    else:
        headline = f"Result: {entry.label} (likely, {confidence:.0%} confidence)."
        text = _sections(headline, f"{entry.summary} {entry.explanation}", entry.significance, entry.follow_up, entry)
    return _with_topic(entry, topic, text, preface)


def _with_topic(entry: Entry, topic: Optional[str], text: str, preface: str = "") -> str:
    """``text`` with the short answer for ``topic`` (a ``questions`` key) put first."""
    if topic is None:
        return text
    if topic not in entry.questions:
        raise ValueError(f"unknown topic {topic!r}; expected one of {list(TOPICS)}")
    return f"{preface}{entry.questions[topic]}\n\n{text}"
