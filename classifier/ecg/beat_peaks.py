"""Which R-peak detections the beat classifier treats as beats.

The shared detector (``qrs.py``) keeps two detections as little as 200 ms apart. On a recording
with tall P waves (MIT-BIH 108) it accepts the P wave as a beat and the QRS 200-250 ms after it as
another; the real beat then looks premature and was called a PVC hundreds of times. Two
ventricular beats less than 250 ms apart means a rate above 240 per minute, which outside
ventricular flutter and fibrillation (excluded from beat classification by EC57) does not happen,
so of two detections that close only the larger QRS-band deflection is kept. The rhythm pipeline
keeps the detector's own peaks: its features and committed weights were made with them.
"""

from __future__ import annotations

import numpy as np

from classifier.signals import as_float_array, bandpass

MIN_BEAT_GAP_S = 0.25
_QRS_BAND_HZ = (5.0, 15.0)  # the detector's QRS band


def drop_close_detections(signal: np.ndarray, sampling_rate: float, r_peaks: np.ndarray) -> np.ndarray:
    """``r_peaks`` without the smaller of any two detections closer than ``MIN_BEAT_GAP_S``.

    Works left to right, so a run of close detections keeps only its largest deflection.
    """
    peaks = np.asarray(r_peaks, dtype=np.int64)
    if len(peaks) < 2:
        return peaks
    band = np.abs(bandpass(as_float_array(signal), sampling_rate, *_QRS_BAND_HZ, order=2))
    size = band[np.clip(peaks, 0, len(band) - 1)]
    gap = MIN_BEAT_GAP_S * sampling_rate
    kept = [0]
    for i in range(1, len(peaks)):
        if peaks[i] - peaks[kept[-1]] >= gap:
            kept.append(i)
        elif size[i] > size[kept[-1]]:
            kept[-1] = i
    return peaks[kept]
