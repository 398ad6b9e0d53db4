"""What each signal type accepts: sampling rates and durations, shared by the API and the pipelines."""
from __future__ import annotations

from dataclasses import dataclass


class SignalError(ValueError):
    """The recording cannot be classified as sent (too short, flat beyond use, ...): a client error."""


@dataclass(frozen=True)
class SignalLimits:
    min_rate_hz: float
    max_rate_hz: float
    min_seconds: float
    max_seconds: float

    def check_rate(self, sampling_rate: float, signal_type: str) -> None:
        """Raise SignalError when ``sampling_rate`` is outside this signal type's range."""
        if not (self.min_rate_hz <= sampling_rate <= self.max_rate_hz):
            raise SignalError(
                f"sampling_rate must be between {self.min_rate_hz:g} and {self.max_rate_hz:g} Hz "
                f"for {signal_type}, got {sampling_rate:g}")

    def check(self, n_samples: int, sampling_rate: float, signal_type: str) -> None:
        """Raise SignalError naming the problem when the recording is outside these limits."""
        self.check_rate(sampling_rate, signal_type)
        seconds = n_samples / sampling_rate
        if seconds < self.min_seconds:
            raise SignalError(
                f"{signal_type} signal is too short: {seconds:.1f} s at {sampling_rate:g} Hz; "
                f"at least {self.min_seconds:g} s is needed")
        if seconds > self.max_seconds:
            raise SignalError(
                f"{signal_type} signal is too long: {seconds:.0f} s at {sampling_rate:g} Hz; "
                f"at most {self.max_seconds:g} s is accepted")


# ECG: a rhythm call needs several beats (the CinC 2017 records start at 9 s); up to 31 minutes, so
# that a whole MIT-BIH record (650,000 samples at 360 Hz, 30 min 6 s) fits. EEG: at least one 4 s
# analysis window, at most one hour.
LIMITS = {
    "ECG": SignalLimits(min_rate_hz=100, max_rate_hz=1000, min_seconds=5, max_seconds=31 * 60),
    "EEG": SignalLimits(min_rate_hz=100, max_rate_hz=1000, min_seconds=4, max_seconds=60 * 60),
}
