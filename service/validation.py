"""Parsing and checking request bodies. Each function returns clean values or raises ApiError."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Mapping, Optional

import numpy as np
from flask import request

from classifier.limits import SignalError
from classifier.signal_types import SIGNAL_TYPES
from service.errors import ApiError, shorten

MAX_FLOAT_INT = int(np.finfo(np.float64).max)


def json_body() -> Mapping[str, Any]:
    """The request's JSON object; 415 for another content type, 400 for bad JSON or a non-object."""
    if not request.is_json:
        raise ApiError("Content-Type must be application/json", 415)
    request.get_data(cache=True)
    if request.content_length is None:  # chunked: werkzeug stops at MAX_CONTENT_LENGTH silently and
        request.stream.read(1)  # raises its 413 only on the next read, not a "bad JSON" 400
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        raise ApiError("request body is nested too deeply") from None
    if payload is None:
        raise ApiError("request body is not valid JSON")
    if not isinstance(payload, dict):
        raise ApiError("request body must be a JSON object")
    return payload


def _is_number(value: Any) -> bool:
    """A JSON number that fits a float: a 400-digit integer is not a usable sample or rate."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    return not isinstance(value, int) or abs(value) <= MAX_FLOAT_INT


def signal_type(payload: Mapping[str, Any], required: bool = True) -> Optional[str]:
    value = payload.get("signal_type")
    if value is None and not required:
        return None
    if not isinstance(value, str) or value.upper() not in SIGNAL_TYPES:
        raise ApiError(
            f"signal_type must be one of {', '.join(SIGNAL_TYPES)}"
            + ("" if value is None else f", got {shorten(repr(value))}")
        )
    return value.upper()


def sampling_rate(payload: Mapping[str, Any], kind: str) -> float:
    value = payload.get("sampling_rate", SIGNAL_TYPES[kind].default_rate_hz)
    if not _is_number(value) or not math.isfinite(value):
        raise ApiError("sampling_rate must be a number in Hz")
    try:
        SIGNAL_TYPES[kind].limits.check_rate(value, kind)
    except SignalError as exc:
        raise ApiError(str(exc)) from exc
    return float(value)


def signal(payload: Mapping[str, Any], kind: str, rate: float) -> np.ndarray:
    """The samples as float64; refuses missing, non-numeric, non-finite, too short or too long."""
    values = payload.get("signal")
    if values is None:
        raise ApiError("signal is required: a JSON array of numbers")
    if not isinstance(values, list):
        raise ApiError("signal must be a JSON array of numbers")
    _within_limits(len(values), rate, kind)  # first, so an oversized list is refused before conversion
    samples = None
    if set(map(type, values)) <= {int, float}:  # one pass in C; bool is its own type, refused
        try:
            samples = np.asarray(values, dtype=np.float64)
        except OverflowError:  # an integer too large for a float: named below
            pass
    if samples is None:
        index = next(i for i, value in enumerate(values) if not _is_number(value))
        raise ApiError(f"signal[{index}] is not a number (or too large for one)")
    return _finite(samples)


def recorded_signal(samples: np.ndarray, kind: str, rate: float) -> np.ndarray:
    """An uploaded recording's samples, held to the same limits as a JSON signal."""
    _within_limits(len(samples), rate, kind)
    return _finite(np.asarray(samples, dtype=np.float64))


def upload_sampling_rate(form: Mapping[str, str], stated: Optional[float], kind: str) -> float:
    """The form's ``sampling_rate``, else the rate the file states, else the training data's.

    When both are given they must agree: a wrong rate would silently change every interval.
    """
    text = (form.get("sampling_rate") or "").strip()
    try:
        given = float(text) if text else None
    except ValueError:
        raise ApiError("sampling_rate must be a number in Hz") from None
    if given is not None and stated is not None and abs(given - stated) > 0.005 * stated:
        raise ApiError(f"sampling_rate {given:g} Hz disagrees with the {stated:g} Hz the file states")
    rate = given if given is not None else stated
    return sampling_rate({} if rate is None else {"sampling_rate": rate}, kind)


def _within_limits(n_samples: int, rate: float, kind: str) -> None:
    try:
        SIGNAL_TYPES[kind].limits.check(n_samples, rate, kind)
    except SignalError as exc:
        raise ApiError(str(exc)) from exc


def _finite(array: np.ndarray) -> np.ndarray:
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ApiError(f"signal contains {bad.size} non-finite values (NaN or infinity), the first at index {bad[0]}")
    return array


def optional_text(payload: Mapping[str, Any], key: str, max_chars: int) -> Optional[str]:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(f"{key} must be a string")
    if len(value) > max_chars:
        raise ApiError(f"{key} is too long: {len(value)} characters, at most {max_chars}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(f"{key} is not valid Unicode text (it holds a lone surrogate)") from None
    return value.strip() or None


def required_text(payload: Mapping[str, Any], key: str, max_chars: int) -> str:
    value = optional_text(payload, key, max_chars)
    if value is None:
        raise ApiError(f"{key} is required: a non-empty string")
    return value


def confidence(value: Any, where: str) -> float:
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        raise ApiError(f"{where} must be a number between 0 and 1")
    return float(value)
