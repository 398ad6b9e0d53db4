"""Recordings sent as files (``multipart/form-data``): CSV or text, WFDB, EDF/EDF+.

``read_recording(files, channel) -> Recording``. WFDB records are read by ``wfdb`` and EDF files by
``pyedflib``, as PhysioNet and EEG systems write them; the files are written to a private temporary
folder for those readers and removed at once. A file that cannot be read raises
:class:`UploadError` with a message for the client; nothing about the content is logged.
"""
from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pyedflib
import wfdb
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

WFDB_SIGNAL_SUFFIXES = (".dat", ".mat")
TEXT_DELIMITERS = ",;\t"


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


def read_recording(files: Sequence[FileStorage], channel: Optional[str] = None) -> Recording:
    """The one channel to classify from the uploaded file(s), and the rate the file states."""
    files = [f for f in files if f and f.filename]
    if not files:
        raise UploadError("file is required: a CSV or text file, a WFDB record (.hea with its .dat "
                          "or .mat), or an EDF file")
    suffixes = [Path(f.filename).suffix.lower() for f in files]
    if ".hea" in suffixes:
        return _read_wfdb(files, channel)
    if len(files) > 1:
        raise UploadError("send one file, or a WFDB record's .hea with its .dat or .mat")
    if suffixes[0] in (".edf", ".bdf"):
        return _read_edf(files[0], channel)
    return _read_text(files[0].read(), channel)


def _pick_channel(names: list[str], channel: Optional[str]) -> int:
    """Index of the requested channel (by index or name); the only one when none is asked for."""
    if channel is None or channel.strip() == "":
        if len(names) == 1:
            return 0
        raise UploadError(f"the file has {len(names)} channels ({', '.join(names)}): choose one with "
                          "the channel field (its index or name)", channels=names)
    wanted = channel.strip()
    if wanted.isdigit() and int(wanted) < len(names):
        return int(wanted)
    if wanted in names:
        return names.index(wanted)
    raise UploadError(f"no channel {wanted!r}: the file has {', '.join(names)}", channels=names)


def _read_wfdb(files: Sequence[FileStorage], channel: Optional[str]) -> Recording:
    headers = [f for f in files if Path(f.filename).suffix.lower() == ".hea"]
    if len(headers) != 1:
        raise UploadError("send one WFDB record at a time: one .hea with its .dat or .mat")
    with tempfile.TemporaryDirectory() as folder:
        for upload in files:
            name = secure_filename(upload.filename)
            if not name:
                raise UploadError("a file name is not usable")
            upload.save(Path(folder) / name)
        record_name = Path(secure_filename(headers[0].filename)).stem
        try:
            header = wfdb.rdheader(str(Path(folder) / record_name))
            names = [str(n) for n in (header.sig_name or [])] or [str(i) for i in range(header.n_sig)]
            index = _pick_channel(names, channel)
            record = wfdb.rdrecord(str(Path(folder) / record_name), channels=[index])
        except FileNotFoundError:
            raise UploadError("the WFDB header names a signal file that was not sent: send the .hea "
                              "together with its .dat or .mat under the same field") from None
        except UploadError:
            raise
        except Exception as exc:  # wfdb raises many types for a malformed record; the type is enough
            raise UploadError(f"not a readable WFDB record ({type(exc).__name__})") from None
    if record.p_signal is None or not record.fs:
        raise UploadError("the WFDB record has no samples or no sampling frequency")
    return Recording(samples=np.asarray(record.p_signal[:, 0], dtype=np.float64),
                     sampling_rate=float(record.fs), units=_units((record.units or [None])[0]))


def _read_edf(upload: FileStorage, channel: Optional[str]) -> Recording:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recording.edf"
        upload.save(path)
        try:
            reader = pyedflib.EdfReader(str(path))
        except Exception as exc:  # pyedflib reports a bad file as OSError or its own types
            raise UploadError(f"not a readable EDF file ({type(exc).__name__})") from None
        try:
            names = [str(label).strip() for label in reader.getSignalLabels()]
            if not names:
                raise UploadError("the EDF file has no signals")
            index = _pick_channel(names, channel)
            return Recording(samples=np.asarray(reader.readSignal(index), dtype=np.float64),
                             sampling_rate=float(reader.getSampleFrequency(index)),
                             units=_units(reader.getPhysicalDimension(index)))
        finally:
            reader.close()


def _read_text(content: bytes, channel: Optional[str]) -> Recording:
    """CSV or plain text: one value column, or time (seconds) and value; a header line is skipped."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError("the file is neither text (UTF-8) nor a WFDB or EDF recording") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise UploadError("the file holds no values")
    delimiter = next((d for d in TEXT_DELIMITERS if d in lines[0] or d in lines[-1]), None)
    rows = (list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)) if delimiter
            else [line.split() for line in lines])
    header = [cell.strip() for cell in rows[0]]
    if not _numbers(header):
        rows = rows[1:]
    else:
        header = [str(i) for i in range(len(header))]
    if not rows:
        raise UploadError("the file holds no values")
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise UploadError("every line must have the same number of columns")
    table = np.empty((len(rows), widths.pop()))
    for number, row in enumerate(rows, start=1):
        values = _numbers([cell.strip() for cell in row])
        if values is None:
            raise UploadError(f"data line {number} holds something that is not a number")
        table[number - 1] = values
    if table.shape[1] == 1:
        return Recording(samples=table[:, 0], sampling_rate=None)
    if table.shape[1] == 2 and channel in (None, ""):
        return Recording(samples=table[:, 1], sampling_rate=_rate_from_times(table[:, 0]))
    return Recording(samples=table[:, _pick_channel(header, channel)], sampling_rate=None)


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
