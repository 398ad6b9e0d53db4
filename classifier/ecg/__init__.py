"""ECG analysis: rhythm (CinC 2017 model) and beat-by-beat ectopy (MIT-BIH model)."""

from __future__ import annotations

import dataclasses

import numpy as np

from classifier.finding import Finding


def analyze_ecg(signal: np.ndarray, sampling_rate: float) -> Finding:
    """Rhythm finding for a single-lead ECG, with R peaks, heart rate, beats and their summary.

    The beat classifier reuses the rhythm finding's R peaks (the same detector) rather than
    detecting them twice, less any detection it drops as a P or T wave (``beat_peaks``); the
    finding's R peaks and heart rate are then those of the classified beats. The summary carries
    the rhythm finding's quality, so a count of ectopic beats in a poor-quality recording is never
    read as a confident one. No beat inside atrial fibrillation (the whole recording when it is
    called AF, else its AF episodes) is counted as supraventricular ectopic.
    """
    from classifier.ecg.beats import classify_beats, without_s_in_atrial_fibrillation
    from classifier.ecg.qrs import heart_rate_bpm
    from classifier.ecg.rhythm import af_spans_s, classify_rhythm

    finding = classify_rhythm(signal, sampling_rate)
    peaks = np.asarray(finding.r_peaks, dtype=np.int64) if len(finding.r_peaks) else None
    beats, summary = classify_beats(signal, sampling_rate, peaks)
    beats, summary = without_s_in_atrial_fibrillation(beats, summary, af_spans_s(finding, len(signal) / sampling_rate))
    r_peaks = tuple(b["sample"] for b in beats)
    heart_rate = None if finding.heart_rate_bpm is None else heart_rate_bpm(np.asarray(r_peaks), sampling_rate)
    return dataclasses.replace(
        finding,
        r_peaks=r_peaks,
        heart_rate_bpm=heart_rate,
        beats=tuple(beats),
        beat_summary={**summary, "quality": finding.quality},
    )


def models_info() -> list[dict]:
    from classifier.ecg import beats, rhythm

    return [rhythm.model_info(), beats.model_info()]


def warm_up() -> None:
    from classifier.ecg import beats, rhythm

    rhythm.load_model()
    beats.load_model()
