"""The signal the server read, sent back for the page to draw (only when the client asks).

The samples are those that were classified, at the rate used, so R-peak and window positions in
the answer index into them. They are rounded to about five significant digits of the recording's
largest value (invisible on screen, a third of the JSON). Never stored or logged.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

SIGNIFICANT_DIGITS = 5


def display_trace(samples: np.ndarray, sampling_rate: float, units: Optional[str]) -> dict:
    """``{"sampling_rate", "samples", "units"}`` for drawing; units None when the file states none."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    decimals = SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(peak)) if peak > 0 else 0
    return {
        "sampling_rate": float(sampling_rate),
        "units": units,
        "samples": np.round(samples, max(decimals, 0)).tolist(),
    }
