"""What a beat's look-alikes in the same recording do: an unsupervised, per-recording context.

Each beat is compared with every other beat of its recording over the QRS (-100 to +150 ms); its
nearest neighbours in shape are the beats of the same morphology, found without labels. Their
average rhythm and shape tell a beat's class better than the beat alone across patients: a noisy or
unusual normal beat has neighbours that arrive on time, a PVC's neighbours are other PVCs that are
premature and followed by a pause even when this one is not, and a normal-shaped beat that is
earlier than its look-alikes is a candidate supraventricular ectopic beat. A recording whose usual
beat is wide (bundle-branch block) has wide neighbours for it, so width alone does not make it V.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 20
_QRS_MS = (-100, 150)
_STEP = 3  # every 3rd sample at 360 Hz for the shape distance (120 Hz is enough for a QRS)
_CHUNK = 1000  # rows of the distance matrix at a time, to bound memory on long recordings

NEIGHBOUR_NAMES = (
    "nbr_pre_median",
    "nbr_post_pre",
    "nbr_pre_ratio",
    "nbr_premature_share",
    "pre_median_minus_nbr",
    "nbr_width_ratio",
    "nbr_distance_ratio",
    "nbr_corr_qrs",
    "nbr_template_distance",
    "qrs_width_ratio",
)


def neighbour_features(
    idx: np.ndarray,
    dist: np.ndarray,
    pre_median: np.ndarray,
    post_pre: np.ndarray,
    pre_ratio: np.ndarray,
    width: np.ndarray,
    corr_qrs: np.ndarray,
    template_distance: np.ndarray,
) -> np.ndarray:
    """A ``(len(idx), len(NEIGHBOUR_NAMES))`` matrix.

    ``idx`` and ``dist`` are each beat's look-alikes and their distances (``look_alikes``); the
    other arguments are per-beat features of the same beats (``beat_features``): RR relative to the
    surrounding median, post/pre RR, RR relative to the recording, QRS width, QRS correlation with
    the dominant beat and distance from it.
    """
    mean_distance = dist.mean(axis=1)
    median_width = max(float(np.median(width)), 1e-6)
    neighbour_pre = pre_median[idx].mean(axis=1)
    return np.column_stack(
        [
            neighbour_pre,
            post_pre[idx].mean(axis=1),
            pre_ratio[idx].mean(axis=1),
            (pre_median[idx] < 0.9).mean(axis=1),
            pre_median - neighbour_pre,
            width[idx].mean(axis=1) / median_width,
            mean_distance / max(float(np.median(mean_distance)), 1e-12),
            corr_qrs[idx].mean(axis=1),
            template_distance[idx].mean(axis=1),
            width / median_width,
        ]
    )


def look_alikes(windows: np.ndarray, centre: int, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Each beat's ``NEIGHBOURS`` nearest beats by QRS shape (mean removed), and their distances."""
    lo, hi = (centre + int(round(ms * rate_hz / 1000)) for ms in _QRS_MS)
    shapes = windows[:, lo:hi:_STEP].astype(np.float64)
    shapes -= shapes.mean(axis=1, keepdims=True)
    return nearest_neighbours(shapes, NEIGHBOURS)


def nearest_neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and Euclidean distances of each row's ``k`` nearest other rows (unordered).

    With fewer than ``k + 1`` rows every other row is a neighbour; a single row is its own.
    """
    n = len(vectors)
    if n < 2:
        return np.zeros((n, 1), dtype=np.int64), np.zeros((n, 1))
    k = min(k, n - 1)
    squared = np.sum(vectors**2, axis=1)
    idx = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k))
    for start in range(0, n, _CHUNK):
        rows = slice(start, min(start + _CHUNK, n))
        d = squared[rows, None] + squared[None, :] - 2.0 * vectors[rows] @ vectors.T
        d[np.arange(d.shape[0]), np.arange(rows.start, rows.stop)] = np.inf  # not its own neighbour
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        idx[rows] = part
        dist[rows] = np.sqrt(np.maximum(np.take_along_axis(d, part, axis=1), 0.0))
    return idx, dist
