"""Red flags: words in a question or a clinical context that call for emergency care first.

The flags live in one reviewed data file, ``red_flags.json``. :func:`find_red_flags` finds them and
:func:`emergency_advice` words the sentence that goes first in an answer. They raise the urgency of
the advice only: the classifier's finding is never changed by them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

RED_FLAGS_FILE = Path(__file__).resolve().parent / "red_flags.json"
_NEGATION = re.compile(r"\b(?:no|not|denies|denied|without|never|nor|absent)\b[\w\s,/-]{0,20}$", re.I)
_NUMBER = re.compile(r"\b(\d{2,3})\b")


@dataclass(frozen=True)
class RedFlag:
    id: str
    name: str
    patterns: tuple[re.Pattern[str], ...]
    at_least: Optional[float] = None
    at_most: Optional[float] = None


@dataclass(frozen=True)
class _Rules:
    flags: tuple[RedFlag, ...]
    symptoms: re.Pattern[str]
    rate_mentions: re.Pattern[str]
    advice: str


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = json.loads(RED_FLAGS_FILE.read_text(encoding="utf-8"))
    flags = []
    for item in data["flags"]:
        rate = item.get("rate", {})
        flags.append(
            RedFlag(
                id=item["id"],
                name=item["name"],
                patterns=tuple(re.compile(p, re.I) for p in item.get("patterns", ())),
                at_least=rate.get("at_least"),
                at_most=rate.get("at_most"),
            )
        )
    return _Rules(
        tuple(flags),
        re.compile(rf"\b(?:{data['symptom_words']})", re.I),
        re.compile(data["rate_mentions"], re.I),
        data["advice"],
    )


def flags() -> tuple[RedFlag, ...]:
    """Every reviewed red flag, in the file's order."""
    return _rules().flags


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text[max(0, start - 30) : start]))


def _heart_rates(text: str) -> list[float]:
    """Numbers stated as a heart rate: within a few words of "pulse", "heart rate", "bpm" and such."""
    return [rate for rate, _ in _rates_with_distance(text)]


def _rates_with_distance(text: str) -> list[tuple[float, int]]:
    found = []
    for match in _NUMBER.finditer(text):
        start = max(0, match.start() - 25)
        window = text[start : match.end() + 25]
        mentions = [m.start() + start for m in _rules().rate_mentions.finditer(window)]
        if mentions:
            found.append((float(match.group(1)), min(abs(m - match.start()) for m in mentions)))
    return found


def stated_heart_rate(text: str) -> Optional[float]:
    """The number ``text`` gives as a heart rate (the one nearest a rate word: "he is 70 and HR 45"
    gives 45), or None."""
    found = [(distance, rate) for rate, distance in _rates_with_distance(text) if 20 <= rate <= 300]
    return min(found)[1] if found else None


def _rate_flag_applies(flag: RedFlag, text: str) -> bool:
    rates = _heart_rates(text)
    if not rates or not _rules().symptoms.search(text):
        return False
    if flag.at_least is not None and any(rate >= flag.at_least for rate in rates):
        return True
    return flag.at_most is not None and any(20 <= rate <= flag.at_most for rate in rates)


def find_red_flags(*texts: Optional[str]) -> list[RedFlag]:
    """The red flags present in any of ``texts`` (a question, a clinical context), in file order."""
    text = " ".join(t for t in texts if t)
    found = []
    for flag in flags():
        if flag.at_least is not None or flag.at_most is not None:
            if _rate_flag_applies(flag, text):
                found.append(flag)
            continue
        for pattern in flag.patterns:
            if any(not _negated(text, m.start()) for m in pattern.finditer(text)):
                found.append(flag)
                break
    return found


def emergency_advice(found: list[RedFlag]) -> str:
    """The sentence that goes first when ``found`` is not empty ("" when it is)."""
    if not found:
        return ""
    names = [flag.name for flag in found]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return _rules().advice.format(names=listed)
