"""Measured facts from a Finding, stated in plain words next to the explanation.

These sentences come from the classifier's numbers, never from a language model.
"""
from __future__ import annotations

from classifier.finding import Finding

FREQUENT_ECTOPY_PER_HOUR = 30.0
ECTOPY_NAMES = {"V": "premature ventricular contractions (PVCs)",
                "S": "premature atrial (supraventricular) contractions (PACs)"}


def finding_facts(finding: Finding) -> list[str]:
    facts = []
    if finding.heart_rate_bpm is not None:
        facts.append(f"Average heart rate: about {finding.heart_rate_bpm:.0f} beats per minute.")
    summary = finding.beat_summary or {}
    counts, per_hour = summary.get("counts", {}), summary.get("per_hour", {})
    for cls, name in ECTOPY_NAMES.items() if summary.get("quality") != "poor" else ():
        n = int(counts.get(cls, 0))
        if n == 0:
            continue
        rate = float(per_hour.get(cls, 0.0))
        fact = f"{n} {name} counted, about {rate:.0f} per hour."
        if rate > FREQUENT_ECTOPY_PER_HOUR:
            fact += (f" That is frequent (more than {FREQUENT_ECTOPY_PER_HOUR:.0f} an hour) and "
                     "worth a clinician's review.")
        facts.append(fact)
    windows = finding.windows or {}
    n_windows = len(windows.get("items", ()))
    if "seizure_fraction" in windows and n_windows > 1:
        fraction = float(windows["seizure_fraction"])
        ranges = windows.get("seizure_ranges_s") or []
        where = ", ".join(f"{start:.0f}-{end:.0f} s" for start, end in ranges[:5])
        facts.append(f"Seizure-like activity in {fraction:.0%} of {n_windows} analysis "
                     f"windows{f' ({where})' if where else ''}.")
    return facts
