"""ECG analysis: rhythm (CinC 2017 model) and beat-by-beat ectopy (MIT-BIH model)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from classifier.finding import Finding

if TYPE_CHECKING:
    from classifier.ecg.rhythm import RhythmWindows


def analyze_ecg(signal: np.ndarray, sampling_rate: float) -> Finding:
    """Rhythm finding for a single-lead ECG, with R peaks, heart rate, beats and their summary.

    The beat classifier reuses the rhythm model's R peaks (the same detector) rather than detecting
    them twice, less any detection it drops as a P or T wave (``beat_peaks``); the finding's R peaks
    and heart rate are then those of the classified beats. Strong RR evidence of atrial
    fibrillation on the normal-to-normal intervals of those beats joins the rhythm model's
    probabilities per window (``af_evidence``), so AF that the beat timing shows plainly is not
    missed. The summary carries the rhythm finding's quality, so a count of ectopic beats in a
    poor-quality recording is never read as a confident one. No beat inside atrial fibrillation
    (the whole recording when it is called AF, else its AF episodes) is counted as
    supraventricular ectopic.
    """
    from classifier.ecg.af_evidence import combine, load_rr_model
    from classifier.ecg.beats import without_s_in_atrial_fibrillation
    from classifier.ecg.qrs import heart_rate_bpm
    from classifier.ecg.rhythm import af_spans_s, load_model, rhythm_finding

    analysed, beats, summary, rr_af = rhythm_and_beats(signal, sampling_rate)
    per_window = combine(analysed.probabilities, rr_af, load_model().classes, load_rr_model().threshold)
    finding = rhythm_finding(analysed, per_window)
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


def rhythm_and_beats(signal: np.ndarray, sampling_rate: float) -> tuple[RhythmWindows, list[dict], dict, np.ndarray]:
    """The rhythm model's windows, the beats with their summary, and the RR model's AF probability
    of each window from those beats' normal-to-normal intervals: what ``analyze_ecg`` joins."""
    from classifier.ecg.af_evidence import load_rr_model, rr_af_per_window
    from classifier.ecg.beats import classify_beats
    from classifier.ecg.rhythm import analyse_windows, rhythm_finding

    analysed = analyse_windows(signal, sampling_rate)
    model_peaks = rhythm_finding(analysed).r_peaks
    peaks = np.asarray(model_peaks, dtype=np.int64) if model_peaks else None
    beats, summary = classify_beats(signal, sampling_rate, peaks)
    return analysed, beats, summary, rr_af_per_window(analysed.bounds_s, beats, load_rr_model())


def models_info() -> list[dict]:
    from classifier.ecg import beats, rhythm

    return [rhythm.model_info(), beats.model_info()]


def warm_up() -> None:
    from classifier.ecg import af_evidence, beats, rhythm

    rhythm.load_model()
    beats.load_model()
    af_evidence.load_rr_model()
