"""Measured facts from a Finding: the sentences shown next to the explanation, and the record stored.

These come from the classifier's numbers, never from a language model, and they say only what the
recording can show: beat counts in a short strip are counts (a rate per hour only from an hour of
recording), no premature atrial beats are counted inside atrial fibrillation or flutter (there is no
regular atrial rhythm for a beat to be early against), and a poor-quality or noisy recording gets no
heart rate or beat count at all.
"""

from __future__ import annotations

from typing import Any, Optional

from classifier.finding import QUALITY_POOR, Finding
from classifier.signal_types import NOISY_RECORDING

PER_HOUR_FROM_S = 3600.0  # a rate per hour only from at least an hour of recording
FREQUENT_SHARE = 0.1  # more than 1 in 10 beats is frequent (the PVC entry's words)
ECTOPY = {
    "V": ("pvc", "premature ventricular contraction (PVC)", "premature ventricular contractions (PVCs)"),
    "S": ("pac", "premature atrial contraction (PAC)", "premature atrial contractions (PACs)"),
}
NOT_MEASURED = "No heart rate or beat count is given: the recording is too noisy to measure them reliably."


def _atrial_fibrillation_or_flutter(label: str) -> bool:
    words = label.lower()
    return "fibrillation" in words and "atrial" in words or "flutter" in words


def measurable(finding: Finding) -> bool:
    """Whether the recording is clean enough for a heart rate and beat counts."""
    summary = finding.beat_summary or {}
    return (
        finding.quality != QUALITY_POOR and finding.label != NOISY_RECORDING and summary.get("quality") != QUALITY_POOR
    )


def ectopic_classes(finding: Finding) -> list[str]:
    """The beat classes whose counts can be reported for this finding ("V", and "S" outside AF)."""
    return [cls for cls in ECTOPY if not (cls == "S" and _atrial_fibrillation_or_flutter(finding.label))]


def _duration_words(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}-second"
    if seconds < 7200:
        return f"{seconds / 60:.0f}-minute"
    return f"{seconds / 3600:.1f}-hour"


def finding_facts(finding: Finding) -> list[str]:
    if not measurable(finding):
        return [NOT_MEASURED] if finding.signal_type == "ECG" else []
    facts = []
    if finding.heart_rate_bpm is not None:
        facts.append(f"Average heart rate: about {finding.heart_rate_bpm:.0f} beats per minute.")
    summary = finding.beat_summary or {}
    counts, per_hour = summary.get("counts", {}), summary.get("per_hour", {})
    duration = float(summary.get("duration_s") or 0.0)
    total = int(summary.get("total_beats") or 0)
    for cls in ectopic_classes(finding):
        n = int(counts.get(cls, 0))
        if n == 0:
            continue
        _, one, many = ECTOPY[cls]
        fact = f"{n} {one if n == 1 else many} in this {_duration_words(duration)} recording"
        if duration >= PER_HOUR_FROM_S:
            fact += f", about {float(per_hour.get(cls, 0.0)):.0f} per hour"
        fact += "."
        if total and n / total > FREQUENT_SHARE:
            fact += (
                f" That is more than 1 in {round(1 / FREQUENT_SHARE)} beats, which is frequent "
                "and worth a clinician's review."
            )
        facts.append(fact)
    windows = finding.windows or {}
    episodes = windows.get("af_episodes") or []
    if episodes:
        where = ", ".join(f"{e['start_s']:.0f}-{e['end_s']:.0f} s" for e in episodes[:5])
        facts.append(
            f"Atrial fibrillation in about {float(windows['af_burden']):.0%} of the recording, "
            f"in {len(episodes)} episode{'s' if len(episodes) > 1 else ''} ({where})."
        )
    n_windows = len(windows.get("items", ()))
    if "seizure_fraction" in windows and n_windows > 1:
        fraction = float(windows["seizure_fraction"])
        ranges = windows.get("seizure_ranges_s") or []
        where = ", ".join(f"{start:.0f}-{end:.0f} s" for start, end in ranges[:5])
        facts.append(
            f"Seizure-like activity in {fraction:.0%} of {n_windows} analysis windows{f' ({where})' if where else ''}."
        )
    return facts


def stored_facts(finding: Finding, inconclusive_reason: Optional[str]) -> dict[str, Any]:
    """What ``/ask`` may later answer from: measured values, quality and why the result is
    inconclusive (``inconclusive_reason``, None when it is not), never the signal."""
    summary = finding.beat_summary or {}
    ok = measurable(finding)
    record: dict[str, Any] = {
        "signal_type": finding.signal_type,
        "label": finding.label,
        "quality": finding.quality if ok else QUALITY_POOR,
        "inconclusive": inconclusive_reason is not None,
        "inconclusive_reason": inconclusive_reason,
        "duration_s": summary.get("duration_s"),
        "heart_rate_bpm": round(float(finding.heart_rate_bpm), 1)
        if ok and finding.heart_rate_bpm is not None
        else None,
    }
    if ok and summary.get("counts") is not None:
        counts = summary["counts"]
        record["beat_counts"] = {ECTOPY[cls][0]: int(counts.get(cls, 0)) for cls in ectopic_classes(finding)}
        record["total_beats"] = int(summary.get("total_beats") or 0)
    windows = finding.windows or {}
    if windows.get("af_burden") is not None:
        record["af_burden"] = float(windows["af_burden"])
    if "seizure_fraction" in windows:
        record["seizure_fraction"] = float(windows["seizure_fraction"])
        record["seizure_ranges_s"] = [[float(a), float(b)] for a, b in windows.get("seizure_ranges_s") or []]
        record["n_windows"] = len(windows.get("items", ()))
    return record
