"""The rhythm model's 1-D residual CNN: its input (a pure function of the cleaned signal) and network.

The network sees the band-passed, polarity-corrected, robustly scaled recording (``Prepared.cleaned``)
at :data:`CNN_RATE`; global average pooling over time lets it take any length, so it is trained on
random :data:`CROP_S` crops and applied to whole analysis windows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from classifier.signals import resample

CNN_RATE = 100.0
CROP_S = 30.0
# Robust-scaled ECG has unit inter-quartile range; QRS peaks reach ~10-30. Larger excursions are
# artefacts (electrode pops), clipped so that one of them cannot dominate the pooled activations.
CLIP = 40.0
WEIGHTS_FILE = "cnn.safetensors"
CONFIG_FILE = "cnn.json"


def cnn_input(cleaned: np.ndarray, sampling_rate: float) -> np.ndarray:
    """The CNN's float32 input: resampled to :data:`CNN_RATE`, clipped, zero-padded to one crop."""
    x = np.clip(resample(cleaned, sampling_rate, CNN_RATE), -CLIP, CLIP).astype(np.float32)
    crop = int(CROP_S * CNN_RATE)
    return np.pad(x, (0, crop - len(x))) if len(x) < crop else x


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-dropout-conv-BN plus a (strided 1x1) shortcut, then ReLU."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, dropout: float):
        super().__init__()
        pad = kernel // 2
        self.body = nn.Sequential(
            nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=pad, bias=False), nn.BatchNorm1d(c_out),
            nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Conv1d(c_out, c_out, kernel, padding=pad, bias=False), nn.BatchNorm1d(c_out))
        self.shortcut = (nn.Identity() if c_in == c_out and stride == 1 else nn.Sequential(
            nn.Conv1d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm1d(c_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class RhythmNet(nn.Module):
    """Stem (stride 2) -> residual blocks (``blocks``: (channels, stride) pairs) -> average pool -> linear."""

    def __init__(self, n_classes: int, blocks: list[tuple[int, int]], stem: int = 16, kernel: int = 9,
                 dropout: float = 0.2):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv1d(1, stem, 15, stride=2, padding=7, bias=False),
                                   nn.BatchNorm1d(stem), nn.ReLU(inplace=True)]
        c_in = stem
        for c_out, stride in blocks:
            layers.append(ResidualBlock(c_in, c_out, kernel, stride, dropout))
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(c_in, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits for a batch ``(n, samples)`` at :data:`CNN_RATE`."""
        return self.head(self.features(x.unsqueeze(1)).mean(dim=2))


DEFAULT_CONFIG = {"blocks": [[16, 2], [32, 2], [32, 2], [64, 2], [64, 2], [64, 1], [64, 2]],
                  "stem": 16, "kernel": 9, "dropout": 0.2}


@dataclass
class RhythmCnn:
    """The trained network in evaluation mode plus its configuration."""
    net: RhythmNet
    config: dict

    def logits(self, inputs: list[np.ndarray]) -> np.ndarray:
        """Raw class scores, one row per input from :func:`cnn_input` (each its own length)."""
        with torch.inference_mode():
            return np.stack([self.net(torch.from_numpy(x)[None])[0].numpy() for x in inputs]).astype(np.float64)

    def save(self, folder: Path) -> None:
        state = {k: v.detach().to(torch.float16) if v.is_floating_point() else v
                 for k, v in self.net.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE))
        (folder / CONFIG_FILE).write_text(json.dumps(self.config, indent=1) + "\n")

    @classmethod
    def build(cls, n_classes: int, config: dict = DEFAULT_CONFIG) -> "RhythmCnn":
        net = RhythmNet(n_classes, [tuple(b) for b in config["blocks"]], config["stem"], config["kernel"],
                        config["dropout"])
        return cls(net=net, config=dict(config, n_classes=n_classes))

    @classmethod
    def load(cls, folder: Path) -> "RhythmCnn":
        config = json.loads((folder / CONFIG_FILE).read_text())
        model = cls.build(config.pop("n_classes"), config)
        state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
        model.net.load_state_dict(state)
        model.net.eval()
        return model
