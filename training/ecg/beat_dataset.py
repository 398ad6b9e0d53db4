"""Detected, featurised and labelled beats of the MIT-BIH records, shared by training and evaluation.

Beats are those the deployed detector finds (not the reference positions), so the model is trained
on the same inputs it meets in service. A detection is labelled with the AAMI class of the reference
beat it matches within 150 ms (EC57); unmatched detections get no label. Features are cached under
``data/cache/ecg_beats`` keyed by a digest of the feature and detector code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from classifier.ecg import beat_features, beat_neighbours, beat_peaks, qrs
from classifier.ecg.beats import inside_spans
from classifier.ecg.rhythm import af_spans_s, classify_rhythm
from classifier.ecg.rhythm import load_model as load_rhythm_model
from training.cache import cached_arrays, source_digest
from training.ecg.mitdb import Record, load_record, outside_excluded

MATCH_WINDOW_S = 0.15


@dataclass(frozen=True)
class RecordBeats:
    name: str
    detected: np.ndarray  # detected R peaks (samples) outside excluded VF ranges
    features: np.ndarray  # one row per detected beat
    labels: np.ndarray  # AAMI class of the matched reference beat, "" when unmatched
    reference: np.ndarray  # reference beat samples outside excluded ranges
    reference_classes: np.ndarray
    matched_reference: np.ndarray  # per reference beat: index of its detection, -1 when missed
    irregularity: np.ndarray  # per detected beat: beat_features.rr_irregularity
    look_alikes: np.ndarray  # per detected beat: rows of its look-alikes (beat_neighbours)


def match_beats(reference: np.ndarray, detected: np.ndarray, tolerance: int) -> np.ndarray:
    """For each reference beat, the index of its matching detection, or -1.

    A pair matches when each is the other's nearest neighbour and they lie within ``tolerance``
    samples, so no detection serves two reference beats.
    """
    reference = np.asarray(reference, dtype=np.int64)
    detected = np.asarray(detected, dtype=np.int64)
    if len(detected) == 0 or len(reference) == 0:
        return np.full(len(reference), -1, dtype=np.int64)
    ref_to_det = _nearest(detected, reference)
    det_to_ref = _nearest(reference, detected)
    mutual = det_to_ref[ref_to_det] == np.arange(len(reference))
    close = np.abs(detected[ref_to_det] - reference) <= tolerance
    return np.where(mutual & close, ref_to_det, -1)


def match_to_reference(record: Record, detected: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Score any detector's R peaks (samples) on ``record`` as EC57 does: detections and reference
    beats inside excluded (ventricular flutter) ranges are dropped, the rest matched within 150 ms.

    Returns the mask of kept detections, the kept reference beats and their classes, and per
    reference beat the index of its matching kept detection (-1 when missed).
    """
    keep = outside_excluded(detected, record.excluded)
    ref_keep = outside_excluded(record.beat_samples, record.excluded)
    reference = record.beat_samples[ref_keep]
    matched = match_beats(reference, detected[keep], int(MATCH_WINDOW_S * record.sampling_rate))
    return keep, reference, record.beat_classes[ref_keep], matched


def _nearest(sorted_points: np.ndarray, queries: np.ndarray) -> np.ndarray:
    right = np.clip(np.searchsorted(sorted_points, queries), 0, len(sorted_points) - 1)
    left = np.clip(right - 1, 0, len(sorted_points) - 1)
    take_left = np.abs(sorted_points[left] - queries) <= np.abs(sorted_points[right] - queries)
    return np.where(take_left, left, right)


def _kept_look_alikes(look_alikes: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Look-alike rows renumbered to the kept beats; an excluded look-alike becomes the beat itself."""
    row = np.cumsum(keep) - 1
    kept = np.where(keep[look_alikes], row[look_alikes], -1)[keep]
    own = np.arange(len(kept))[:, None]
    return np.where(kept >= 0, kept, own)


def _code_digest() -> str:
    return source_digest(beat_features, beat_neighbours, beat_peaks, qrs)


@lru_cache(maxsize=32)
def record_beats(name: str) -> RecordBeats:
    """Detect, featurise and label one record (cached on disk, and in memory for the nested
    cross-validation, which reads every training record many times)."""
    arrays = cached_arrays(
        f"ecg_beats/{name}-{_code_digest()}.npz",
        lambda: {k: v for k, v in _detect_and_label(name).__dict__.items() if k != "name"},
    )
    return RecordBeats(name, **arrays)


def _detect_and_label(name: str) -> RecordBeats:
    record = load_record(name)
    detected = beat_peaks.drop_close_detections(
        record.signal, record.sampling_rate, qrs.detect_r_peaks(record.signal, record.sampling_rate)
    )
    features, look_alikes = beat_features.beat_features_and_look_alikes(record.signal, record.sampling_rate, detected)
    irregularity = beat_features.rr_irregularity(detected, record.sampling_rate)
    keep, reference, reference_classes, matched = match_to_reference(record, detected)
    detected, features, irregularity = detected[keep], features[keep], irregularity[keep]
    look_alikes = _kept_look_alikes(look_alikes, keep)
    labels = np.full(len(detected), "", dtype="<U1")
    labels[matched[matched >= 0]] = reference_classes[matched >= 0]
    return RecordBeats(
        name, detected, features, labels, reference, reference_classes, matched, irregularity, look_alikes
    )


@lru_cache(maxsize=32)
def in_rhythm_af(name: str) -> np.ndarray:
    """Per detected beat of ``record_beats(name)``: whether the rhythm model puts it in atrial
    fibrillation (``rhythm.af_spans_s``), where ``/classify`` counts no S beat. The rhythm model
    learned from CinC 2017 alone, so no MIT-BIH record is seen here; its spans (start and end in
    seconds) are cached on disk by its version."""
    record = load_record(name)

    def spans() -> dict[str, np.ndarray]:
        finding = classify_rhythm(record.signal, record.sampling_rate)
        found = af_spans_s(finding, len(record.signal) / record.sampling_rate)
        return {"spans_s": np.array(found, dtype=np.float64).reshape(-1, 2)}

    stored = cached_arrays(f"ecg_beats/{name}-rhythm-af-{load_rhythm_model().version}.npz", spans)
    return inside_spans(record_beats(name).detected / record.sampling_rate, [tuple(span) for span in stored["spans_s"]])
