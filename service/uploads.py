"""Recordings sent as files (``multipart/form-data``): CSV or text, WFDB, EDF/EDF+.

``read_recording(files, channel, limits, kind) -> Recording``. WFDB records are read by ``wfdb`` and
EDF files by ``pyedflib``, as PhysioNet and EEG systems write them; the files are written to a private
temporary folder for those readers and removed at once. A file that cannot be read raises
:class:`UploadError` with a short message for the client; nothing about the content is logged.

Memory is bounded by the header, before any sample is decoded: a few KB of header can claim 10⁸
samples (a compressed ``.dat``) or a skew of 10⁹, and the readers would allocate what it claims. So
the header's length, rate, skew, samples per frame and channel count are held to the signal type's
limits and to :data:`MAX_DECODED_VALUES`, and the signal files' sizes must hold what the header
claims. Text is read line by line with caps on lines, columns and line length.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from array import array
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pyedflib
import wfdb
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename
from wfdb.io.header import rx_record

from classifier.limits import SignalError, SignalLimits
from service.errors import shorten

TEXT_DELIMITERS = ",;\t"
MAX_CHANNELS = 256
MAX_DECODED_VALUES = 8_000_000  # samples over all channels one file may decode to (64 MB as float64)
MAX_SKEW_S = 10.0  # WFDB skew, in seconds of frames
MAX_HEADER_BYTES = 256 * 1024  # a WFDB .hea
MAX_NAME_BYTES = 255  # a file name, as file systems allow
MAX_LINE_CHARS = 4096  # a line of a text file
MAX_COLUMNS = 64  # columns of a text file
MAX_OTHER_LINES = 1000  # header, comment and blank lines a text file may add to its values
MAX_MISSING_SHARE = 0.01  # NaN samples filled in by interpolation, at most this share
SHOWN_NAMES = 8  # channel names listed in an error message
# Bits per stored sample of WFDB's uncompressed formats, to check a .dat holds what its header claims
# (the FLAC formats 508/516/524 are compressed: their decoded size is held by MAX_DECODED_VALUES).
WFDB_BITS = {
    "8": 8,
    "16": 16,
    "24": 24,
    "32": 32,
    "61": 16,
    "80": 8,
    "160": 16,
    "212": 12,
    "310": 32 / 3,
    "311": 32 / 3,
}
CONVERT_SEGMENTS = (
    "multi-segment WFDB records are not read: join the segments into one record "
    "first, e.g. wfdb-python's wfdb.rdrecord(name, m2s=True) then wrsamp, or "
    "WFDB's xform"
)


class UploadError(ValueError):
    """The uploaded files are not a recording this service can read; the message says why.

    ``channels`` lists the file's channel names when the error is that one must be chosen, so that
    a client (the page) can offer them.
    """

    def __init__(self, message: str, channels: Optional[Sequence[str]] = None) -> None:
        super().__init__(message)
        self.channels = list(channels) if channels is not None else None


@dataclass(frozen=True)
class Recording:
    samples: np.ndarray
    sampling_rate: Optional[float]  # None when the file does not state it (a one-column text file)
    units: Optional[str] = None  # physical units the file states (WFDB, EDF), e.g. "mV"
    notes: tuple[str, ...] = ()  # what was done to the samples on the way in (gaps filled)


def read_recording(files: Sequence[FileStorage], channel: Optional[str], limits: SignalLimits, kind: str) -> Recording:
    """The one channel to classify from the uploaded file(s), and the rate the file states."""
    files = [f for f in files if f and f.filename]
    if not files:
        raise UploadError(
            "file is required: a CSV or text file, a WFDB record (.hea with its .dat or .mat), or an EDF file"
        )
    for upload in files:
        if len(upload.filename.encode("utf-8", "replace")) > MAX_NAME_BYTES:
            raise UploadError(f"a file name is longer than {MAX_NAME_BYTES} bytes")
    suffixes = [Path(f.filename).suffix.lower() for f in files]
    if ".hea" in suffixes:
        recording = _read_wfdb(files, channel, limits, kind)
    elif len(files) > 1:
        raise UploadError("send one file, or a WFDB record's .hea with its .dat or .mat")
    elif suffixes[0] in (".edf", ".bdf"):
        recording = _read_edf(files[0], channel, limits, kind)
    else:
        recording = _read_text(files[0], channel, int(limits.max_seconds * limits.max_rate_hz))
    return _fill_missing(recording)


def _few(names: Sequence[str]) -> str:
    shown = ", ".join(shorten(name, 20) for name in names[:SHOWN_NAMES])
    return shown + (f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else "")


def _pick_channel(names: list[str], channel: Optional[str]) -> int:
    """Index of the requested channel (by index or name); the only one when none is asked for."""
    if channel is None or channel.strip() == "":
        if len(names) == 1:
            return 0
        raise UploadError(
            f"the file has {len(names)} channels ({_few(names)}): choose one with "
            "the channel field (its index or name)",
            channels=names,
        )
    wanted = channel.strip()
    if re.fullmatch(r"[0-9]{1,6}", wanted) and int(wanted) < len(names):
        return int(wanted)
    if wanted in names:
        return names.index(wanted)
    raise UploadError(f"no channel {shorten(repr(wanted))}: the file has {len(names)} ({_few(names)})", channels=names)


def _check(n_samples: int, rate: float, limits: SignalLimits, kind: str) -> None:
    try:
        limits.check(n_samples, rate, kind)
    except SignalError as exc:
        raise UploadError(str(exc)) from None


def _fill_missing(recording: Recording) -> Recording:
    """Missing (NaN) samples, as WFDB writes for a lost value: runs at the start or end (the
    recorder not yet or no longer connected) are cut off, and a few inside are interpolated; each
    with a note. More than :data:`MAX_MISSING_SHARE` inside is refused."""
    samples, notes = recording.samples, list(recording.notes)
    present = np.flatnonzero(~np.isnan(samples))
    if len(present) == len(samples):
        return recording
    if len(present) == 0:
        raise UploadError("every sample of the chosen channel is missing (NaN)")
    first, last = present[0], present[-1]
    if first or last < len(samples) - 1:
        notes.append(f"{first} missing samples at the start and {len(samples) - 1 - last} at the end were left out")
        samples = samples[first : last + 1]
    missing = np.isnan(samples)
    count = int(missing.sum())
    if count > MAX_MISSING_SHARE * len(samples):
        raise UploadError(
            f"{count} of {len(samples)} samples are missing (NaN); at most {MAX_MISSING_SHARE:.0%} can be filled in"
        )
    if count:
        index = np.arange(len(samples))
        samples = samples.copy()
        samples[missing] = np.interp(index[missing], index[~missing], samples[~missing])
        notes.append(f"{count} missing samples (of {len(samples)}) were filled in by linear interpolation")
    return replace(recording, samples=samples, notes=tuple(notes))


# --- WFDB --------------------------------------------------------------------------------------


def _saved_name(upload: FileStorage) -> str:
    name = secure_filename(upload.filename)
    if not name:
        raise UploadError("a file name is not usable")
    return name


def _read_wfdb(files: Sequence[FileStorage], channel: Optional[str], limits: SignalLimits, kind: str) -> Recording:
    headers = [f for f in files if Path(f.filename).suffix.lower() == ".hea"]
    if len(headers) != 1:
        raise UploadError("send one WFDB record at a time: one .hea with its .dat or .mat")
    header_bytes = headers[0].read(MAX_HEADER_BYTES + 1)
    if len(header_bytes) > MAX_HEADER_BYTES:
        raise UploadError(f"the WFDB header is larger than {MAX_HEADER_BYTES // 1024} KB")
    _check_record_line(header_bytes)
    signal_files = {_saved_name(f).lower(): f for f in files if f is not headers[0]}
    with tempfile.TemporaryDirectory() as folder:
        record = Path(folder) / Path(_saved_name(headers[0])).stem
        Path(f"{record}.hea").write_bytes(header_bytes)
        try:
            header = wfdb.rdheader(str(record))
        except Exception as exc:  # wfdb raises many types for a malformed header; the type is enough
            raise UploadError(f"not a readable WFDB header ({type(exc).__name__})") from None
        if isinstance(header, wfdb.MultiRecord):
            raise UploadError(CONVERT_SEGMENTS)
        index, rate = _check_wfdb_header(header, channel, limits, kind, signal_files, Path(folder))
        try:
            read = wfdb.rdrecord(str(record), channels=[index], smooth_frames=False)
        except Exception as exc:  # a body that does not match its header
            raise UploadError(f"not a readable WFDB record ({type(exc).__name__})") from None
    if not read.e_p_signal or len(read.e_p_signal[0]) == 0:
        raise UploadError("the WFDB record has no samples")
    return Recording(
        samples=np.asarray(read.e_p_signal[0], dtype=np.float64),
        sampling_rate=rate,
        units=_units((read.units or [None])[0]),
    )


def _check_record_line(header_bytes: bytes) -> None:
    """One segment and a stated rate: wfdb would assume 250 Hz where none (or junk) is."""
    lines = [line.strip() for line in header_bytes.decode("ascii", "replace").splitlines()]
    record_line = next((line for line in lines if line and not line.startswith("#")), "")
    match = rx_record.match(record_line)
    if not match:
        raise UploadError("not a readable WFDB header (no record line)")
    if match.group("n_seg"):
        raise UploadError(CONVERT_SEGMENTS)
    fields = record_line.split()
    try:
        rate = float(fields[2].split("/")[0].split("(")[0]) if len(fields) > 2 else 0.0
    except ValueError:
        rate = 0.0
    if not (math.isfinite(rate) and rate > 0):
        raise UploadError(
            "the WFDB header states no readable sampling frequency (the third "
            "field of its first line): add it, e.g. 'record 1 360 650000'"
        )


def _check_wfdb_header(
    header: wfdb.Record,
    channel: Optional[str],
    limits: SignalLimits,
    kind: str,
    uploads: dict[str, FileStorage],
    folder: Path,
) -> tuple[int, float]:
    """Refuse, from the header alone, a record that would decode beyond the limits; save its files.

    Returns the chosen channel's index and its own rate (frame rate × its samples per frame).
    """
    n_sig = header.n_sig or 0
    if not 1 <= n_sig <= MAX_CHANNELS:
        raise UploadError(f"the WFDB header declares {n_sig} signals; 1 to {MAX_CHANNELS} are read")
    names = [str(n) for n in (header.sig_name or [])] or [str(i) for i in range(n_sig)]
    index = _pick_channel(names, channel)
    per_frame = [int(n or 1) for n in (header.samps_per_frame or [1] * n_sig)]
    rate = float(header.fs) * per_frame[index]
    skews = [int(s or 0) for s in (header.skew or [0] * n_sig)]
    if max(skews) > MAX_SKEW_S * header.fs:
        raise UploadError(f"the WFDB header's skew ({max(skews)} frames) is more than {MAX_SKEW_S:g} s of the record")
    sizes = _save_signal_files(header, uploads, folder)
    frames = header.sig_len or _frames_from_size(header, per_frame, sizes)
    _check(frames * per_frame[index], rate, limits, kind)
    if frames * sum(per_frame) > MAX_DECODED_VALUES:
        raise UploadError(
            f"the WFDB record holds {frames * sum(per_frame)} samples over all its "
            f"signals; at most {MAX_DECODED_VALUES} are read"
        )
    for file_name, size in sizes.items():
        needed = _bytes_needed(header, file_name, frames, per_frame)
        if needed is not None and size < needed:
            raise UploadError(
                f"the signal file {shorten(file_name)} holds {size} bytes, fewer "
                f"than the {needed} its header's length calls for"
            )
    return index, rate


def _save_signal_files(header: wfdb.Record, uploads: dict[str, FileStorage], folder: Path) -> dict[str, int]:
    """Save the signal files the header names (matched whatever their case); their sizes."""
    sizes = {}
    for file_name in sorted({str(name) for name in header.file_name}):
        upload = uploads.get(file_name.lower())
        if upload is None:
            raise UploadError(
                f"the WFDB header names a signal file that was not sent "
                f"({shorten(file_name)}): send the .hea together with its .dat "
                "or .mat under the same field"
            )
        path = folder / secure_filename(file_name)
        if path.name != file_name:
            raise UploadError("the WFDB header names a signal file with an unusable name")
        upload.save(path)
        sizes[file_name] = path.stat().st_size
    return sizes


def _file_layout(header: wfdb.Record, file_name: str, per_frame: list[int]) -> tuple[str, int, int]:
    """Format, byte offset and values per frame of one signal file."""
    signals = [i for i, name in enumerate(header.file_name) if name == file_name]
    offset = int((header.byte_offset or [0] * len(per_frame))[signals[0]] or 0)
    return str(header.fmt[signals[0]]), offset, sum(per_frame[i] for i in signals)


def _bytes_needed(header: wfdb.Record, file_name: str, frames: int, per_frame: list[int]) -> Optional[int]:
    """Bytes an uncompressed signal file needs for ``frames`` frames; None for a compressed one."""
    fmt, offset, values = _file_layout(header, file_name, per_frame)
    return offset + int(frames * values * WFDB_BITS[fmt] // 8) if fmt in WFDB_BITS else None


def _frames_from_size(header: wfdb.Record, per_frame: list[int], sizes: dict[str, int]) -> int:
    """The record's length from its first signal file's size, as wfdb infers it when unstated."""
    file_name = str(header.file_name[0])
    fmt, offset, values = _file_layout(header, file_name, per_frame)
    if fmt not in WFDB_BITS:
        raise UploadError(
            "the WFDB header does not state the record's length (the fourth field "
            "of its first line), and its compressed signal file does not tell"
        )
    return int((sizes[file_name] - offset) * 8 // (values * WFDB_BITS[fmt]))


# --- EDF ---------------------------------------------------------------------------------------


def _read_edf(upload: FileStorage, channel: Optional[str], limits: SignalLimits, kind: str) -> Recording:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recording.edf"
        upload.save(path)
        _check_edf_header(path)
        try:
            reader = pyedflib.EdfReader(str(path))
        except Exception as exc:  # pyedflib reports a bad file as OSError or its own types
            raise UploadError(f"not a readable EDF file ({type(exc).__name__})") from None
        try:
            names = [str(label).strip() for label in reader.getSignalLabels()]
            if not names:
                raise UploadError("the EDF file has no signals")
            index = _pick_channel(names, channel)
            rate = float(reader.getSampleFrequency(index))
            _check(int(reader.getNSamples()[index]), rate, limits, kind)
            return Recording(
                samples=np.asarray(reader.readSignal(index), dtype=np.float64),
                sampling_rate=rate,
                units=_units(reader.getPhysicalDimension(index)),
            )
        finally:
            reader.close()


def _check_edf_header(path: Path) -> None:
    """The fixed EDF/BDF header fields, checked before pyedflib reads (or divides by) them."""
    with path.open("rb") as handle:
        fixed = handle.read(256)
        try:
            n_signals = int(fixed[252:256].decode("ascii"))
            n_records = int(fixed[236:244].decode("ascii"))
            duration = float(fixed[244:252].decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raise UploadError("not a readable EDF file (its fixed header fields are not numbers)") from None
        if not 1 <= n_signals <= MAX_CHANNELS:
            raise UploadError(f"the EDF header declares {n_signals} signals; 1 to {MAX_CHANNELS} are read")
        if not (math.isfinite(duration) and duration > 0):
            raise UploadError(f"the EDF header's data-record duration is {duration:g} s; it must be more than 0")
        signal_headers = handle.read(256 * n_signals)
    try:
        per_record = [
            int(signal_headers[216 * n_signals + 8 * i : 216 * n_signals + 8 * i + 8]) for i in range(n_signals)
        ]
    except ValueError:
        raise UploadError("not a readable EDF file (samples per record are not numbers)") from None
    if min(per_record) < 1:
        raise UploadError("the EDF header gives a signal no samples per data record")
    sample_bytes = 3 if fixed.startswith(b"\xffBIOSEMI") else 2
    record_bytes = sum(per_record) * sample_bytes
    data_bytes = path.stat().st_size - 256 * (n_signals + 1)
    if n_records < 0:  # -1: unknown while recording; the file's size tells
        n_records = data_bytes // record_bytes
    if n_records * record_bytes > data_bytes:
        raise UploadError(
            f"the EDF file holds {max(data_bytes, 0)} bytes of samples, fewer than "
            f"the {n_records * record_bytes} its header claims"
        )


# --- CSV and text ------------------------------------------------------------------------------


def _read_text(upload: FileStorage, channel: Optional[str], max_rows: int) -> Recording:
    """CSV or plain text: one value column, or time (seconds) and value; a header line is skipped.

    Read line by line into a flat array, so a 16 MB file never becomes millions of Python lists.
    """
    content = upload.read()
    lines = content.count(b"\n")  # counted in C first: parsing millions of lines costs seconds
    if lines > max_rows + MAX_OTHER_LINES:
        raise UploadError(
            f"the file has {lines} lines, more than the longest recording accepted ({max_rows} lines of values)"
        )
    stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig")
    header: Optional[list[str]] = None
    delimiter: Optional[str] = None
    width = 0
    values = array("d")
    try:
        for number, line in enumerate(stream, start=1):
            if len(line) > MAX_LINE_CHARS:
                raise UploadError(f"line {number} is longer than {MAX_LINE_CHARS} characters")
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if delimiter is None:
                delimiter = next((d for d in TEXT_DELIMITERS if d in text), "")
            cells = _cells(text, delimiter)
            if len(cells) > MAX_COLUMNS:
                raise UploadError(f"line {number} has {len(cells)} columns; at most {MAX_COLUMNS}")
            row = _numbers(cells)
            if row is None and header is None and not values:
                header = cells
                delimiter = None  # a one-word header says nothing about the data's delimiter
                continue
            if row is None:
                raise UploadError(f"line {number} holds something that is not a number")
            if not width:
                width = len(row)
            if len(row) != width:
                raise UploadError("every line must have the same number of columns")
            if len(values) >= max_rows * width:
                raise UploadError(
                    f"the file has more than {max_rows} lines of values, more than the longest recording accepted"
                )
            values.extend(row)
    except UnicodeDecodeError:
        raise UploadError("the file is neither text (UTF-8) nor a WFDB or EDF recording") from None
    if not values:
        raise UploadError("the file holds no values")
    table = np.frombuffer(values, dtype=np.float64).reshape(-1, width)
    names = header if header and len(header) == width else [str(i) for i in range(width)]
    if width == 1:
        return Recording(samples=table[:, 0].copy(), sampling_rate=None)
    if width == 2 and channel in (None, ""):
        return Recording(samples=table[:, 1].copy(), sampling_rate=_rate_from_times(table[:, 0]))
    return Recording(samples=table[:, _pick_channel(names, channel)].copy(), sampling_rate=None)


def _cells(text: str, delimiter: str) -> list[str]:
    if not delimiter:
        return text.split()
    try:
        return [cell.strip() for cell in next(csv.reader([text], delimiter=delimiter))]
    except csv.Error:
        raise UploadError("a line of the file is not valid CSV (an unclosed quote?)") from None


def _units(stated: Optional[str]) -> Optional[str]:
    """The file's unit label, or None where it states none (WFDB's placeholder "NU" included)."""
    text = (stated or "").strip()
    return None if text in ("", "NU") else text


def _numbers(cells: list[str]) -> Optional[list[float]]:
    try:
        return [float(cell) for cell in cells]
    except ValueError:
        return None


def _rate_from_times(times: np.ndarray) -> float:
    steps = np.diff(times)
    if len(steps) == 0 or not np.all(steps > 0):
        raise UploadError("the time column must increase from line to line (time in seconds)")
    step = float(times[-1] - times[0]) / len(steps)  # over the whole span: rounding averages out
    if np.max(np.abs(steps - step)) > 0.01 * step + 1e-6:
        raise UploadError("the time column is not evenly spaced: resample the recording first")
    return 1.0 / step
