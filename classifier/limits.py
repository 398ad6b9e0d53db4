"""What a signal type accepts (sampling rates, durations) and the error for a recording outside it.

The values per type are in ``classifier.signal_types``.
"""

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
                f"for {signal_type}, got {sampling_rate:g}"
            )

    def check(self, n_samples: int, sampling_rate: float, signal_type: str) -> None:
        """Raise SignalError naming the problem when the recording is outside these limits."""
        self.check_rate(sampling_rate, signal_type)
        seconds = n_samples / sampling_rate
        if seconds < self.min_seconds:
            raise SignalError(
                f"{signal_type} signal is too short: {seconds:.1f} s at {sampling_rate:g} Hz; "
                f"at least {self.min_seconds:g} s is needed"
            )
        if seconds > self.max_seconds:
            raise SignalError(
                f"{signal_type} signal is too long: {seconds:.0f} s at {sampling_rate:g} Hz; "
                f"at most {self.max_seconds:g} s is accepted"
            )
