"""Train the rhythm CNN and its ensemble with the LightGBM feature model (CinC 2017 split of train_rhythm).

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m training.ecg.train_rhythm_cnn [--epochs 24] [--minutes 60]
    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m training.ecg.train_rhythm_cnn --pool-only

1. Every record goes through the serving ``prepare`` and :func:`rhythm_cnn.cnn_input`; the inputs
   are cached under ``data/cache/`` (keyed by the pipeline fingerprint).
2. The CNN is fitted on random 30 s crops of the train split (class-weighted cross-entropy, AdamW,
   one-cycle learning rate); after each epoch it is scored on the whole validation records and the
   best epoch (challenge score) is kept.
3. On validation: the CNN weight of the log-linear pool of both models' log-probabilities
   (grid, best challenge score) and one temperature for the pooled scores (minimum NLL). The
   LightGBM side of the pool is its out-of-fold scores (``train_rhythm`` refits the served booster
   on train+val, so its own scores on validation records would be in-sample).

Writes cnn.safetensors, cnn.json and ensemble.json next to the LightGBM model (which it needs and
does not change). ``--pool-only`` keeps the committed CNN and refits only step 3: what a new
LightGBM model needs, as the CNN input does not depend on the features. Evaluate with
``python -m training.ecg.evaluate_rhythm``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import torch

from classifier import signals
from classifier.calibration import calibrated, expected_calibration_error, fit_temperature
from classifier.ecg import preprocess, qrs, rhythm_cnn
from classifier.ecg.rhythm import prepare
from classifier.ecg.rhythm_cnn import CNN_RATE, CROP_S, RhythmCnn, cnn_input
from classifier.ecg.rhythm_model import ENSEMBLE_FILE, MODEL_DIR, RhythmModel, pooled_scores
from classifier.paths import data_dir
from training.cache import cached_arrays, source_digest
from training.ecg import cinc2017
from training.ecg.train_rhythm import out_of_fold_scores

log = logging.getLogger("train_rhythm_cnn")

CNN_VERSION = "cnn-1"
SEED = 7
BATCH = 64
WEIGHT_POWER = 0.5
LEARNING_RATE = 3e-3
WEIGHT_DECAY = 1e-2


def input_fingerprint() -> str:
    """Hash of the source the CNN input depends on (not the features): the cache key.

    The shared signal functions, the conditioning, the R-peak detector (polarity uses the peaks),
    ``prepare`` and ``cnn_input`` with its constants.
    """
    return "cnn_" + source_digest(
        signals, preprocess, qrs, prepare, cnn_input, extra=str((CNN_RATE, CROP_S, rhythm_cnn.CLIP))
    )


def record_inputs(folder: Path, ids: list[str]) -> list[np.ndarray]:
    """The CNN input of every record (whole record, one analysis window), cached on disk."""

    def compute() -> dict[str, np.ndarray]:
        inputs, start = [], time.perf_counter()
        for n, record_id in enumerate(ids, 1):
            prepared = prepare(cinc2017.read_signal(folder, record_id), cinc2017.FS)
            inputs.append(cnn_input(prepared.cleaned, cinc2017.FS))
            if n % 1000 == 0:
                log.info("inputs: %d/%d records, %.0f s", n, len(ids), time.perf_counter() - start)
        offsets = np.cumsum([0] + [len(x) for x in inputs])
        return {"ids": np.array(ids), "values": np.concatenate(inputs), "offsets": offsets}

    stored = cached_arrays(
        f"cinc2017_cnn_inputs_{input_fingerprint()}.npz", compute, lambda stored: list(stored["ids"]) == ids
    )
    return np.split(stored["values"], stored["offsets"][1:-1])


def random_crops(inputs: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """One random :data:`CROP_S` crop of each input (inputs are already padded to at least a crop)."""
    crop = int(CROP_S * CNN_RATE)
    starts = [rng.integers(0, len(x) - crop + 1) for x in inputs]
    return np.stack([x[s : s + crop] for x, s in zip(inputs, starts)])


def challenge_score(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mean F1 of Normal, AF and Other for the arg-max class of ``scores``."""
    return cinc2017.challenge_score(cinc2017.f1_per_class(labels, scores.argmax(axis=1)))


def fit_cnn(
    train_x: list[np.ndarray],
    train_y: np.ndarray,
    val_x: list[np.ndarray],
    val_y: np.ndarray,
    epochs: int,
    minutes: float,
) -> tuple[RhythmCnn, dict]:
    """The CNN at its best validation epoch, and the training history."""
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    model = RhythmCnn.build(len(cinc2017.CLASSES))
    net = model.net
    counts = np.bincount(train_y, minlength=len(cinc2017.CLASSES)).astype(float)
    weights = torch.tensor((counts.max() / counts) ** WEIGHT_POWER, dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights / weights.mean())
    optimiser = torch.optim.AdamW(net.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    steps = int(np.ceil(len(train_x) / BATCH))
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, LEARNING_RATE, total_steps=epochs * steps)
    best, history, start = (-1.0, None, 0), [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        net.train()
        order = rng.permutation(len(train_x))
        total = 0.0
        for b in range(steps):
            idx = order[b * BATCH : (b + 1) * BATCH]
            x = torch.from_numpy(random_crops([train_x[i] for i in idx], rng))
            loss = loss_fn(net(x), torch.from_numpy(train_y[idx]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(idx)
        net.eval()
        score = challenge_score(val_y, model.logits(val_x))
        elapsed = (time.perf_counter() - start) / 60
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(total / len(train_x), 4),
                "val_challenge_score": round(score, 4),
                "minutes": round(elapsed, 1),
            }
        )
        log.info(
            "epoch %d: train loss %.4f, validation challenge score %.4f, %.1f min",
            epoch,
            total / len(train_x),
            score,
            elapsed,
        )
        if score > best[0]:
            best = (score, {k: v.clone() for k, v in net.state_dict().items()}, epoch)
        if elapsed * (epoch + 1) / epoch > minutes:
            log.info("stopping: the next epoch would pass the %.0f-minute budget", minutes)
            break
    net.load_state_dict(best[1])
    net.eval()
    return model, {"best_epoch": best[2], "history": history}


def fit_ensemble(lgbm_proba: np.ndarray, cnn_logits: np.ndarray, labels: np.ndarray) -> dict:
    """CNN weight of the log-linear pool (best validation challenge score) and its temperature."""
    grid = np.round(np.linspace(0.0, 1.0, 21), 2)
    scores = [challenge_score(labels, pooled_scores(lgbm_proba, cnn_logits, w)) for w in grid]
    weight = float(grid[int(np.argmax(scores))])
    pooled = pooled_scores(lgbm_proba, cnn_logits, weight)
    temperature = fit_temperature(pooled, labels)
    log.info("validation challenge score by CNN weight: %s", " ".join(f"{w:g}:{s:.4f}" for w, s in zip(grid, scores)))
    log.info(
        "CNN weight %.2f, temperature %.3f, validation ECE %.4f",
        weight,
        temperature,
        expected_calibration_error(calibrated(pooled, temperature), labels),
    )
    return {
        "cnn_weight": weight,
        "temperature": temperature,
        "val_challenge_score": {
            "lightgbm": round(scores[0], 4),
            "cnn": round(scores[-1], 4),
            "ensemble": round(max(scores), 4),
        },
    }


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=data_dir() / "training2017")
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument(
        "--minutes",
        type=float,
        default=60.0,
        help="time budget: stops before an epoch that would pass it (a shorter run)",
    )
    parser.add_argument(
        "--pool-only", action="store_true", help="keep the committed CNN; refit only the pool weight and temperature"
    )
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    reference = cinc2017.read_reference(args.data)
    ids = sorted(reference)
    split = json.loads((MODEL_DIR / "split.json").read_text())
    row = {record_id: n for n, record_id in enumerate(ids)}
    y = np.array([cinc2017.CLASSES.index(reference[i]) for i in ids])
    inputs = record_inputs(args.data, ids)
    tr, va = (np.array([row[i] for i in split[part]]) for part in ("train", "val"))
    if args.pool_only:
        cnn = RhythmCnn.load(MODEL_DIR)
        training = {
            k: v
            for k, v in json.loads((MODEL_DIR / ENSEMBLE_FILE).read_text()).items()
            if k in ("best_epoch", "history")
        }
    else:
        cnn, training = fit_cnn(
            [inputs[i] for i in tr], y[tr], [inputs[i] for i in va], y[va], args.epochs, args.minutes
        )
    lgbm = RhythmModel.load(MODEL_DIR)
    lgbm_proba = calibrated(out_of_fold_scores(split["val"]), lgbm.temperature)
    ensemble = fit_ensemble(lgbm_proba, cnn.logits([inputs[i] for i in va]), y[va])
    args.out.mkdir(parents=True, exist_ok=True)
    cnn.save(args.out)
    meta = dict(
        ensemble,
        version=f"{lgbm.version}+{CNN_VERSION}",
        input_fingerprint=input_fingerprint(),
        seed=SEED,
        batch=BATCH,
        weight_power=WEIGHT_POWER,
        learning_rate=LEARNING_RATE,
        weight_decay=WEIGHT_DECAY,
        **training,
    )
    (args.out / ENSEMBLE_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    log.info("saved %s to %s", meta["version"], args.out)


if __name__ == "__main__":
    main()
