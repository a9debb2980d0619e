"""Numeric CSV files → NumPy, fast and with errors that name the line.

`read_csv(path)` parses the body with NumPy's C reader (`np.loadtxt` with a
float64 dtype, which streams the file in chunks), so a table costs about its
own size in memory (8 bytes per value) instead of a Python object per cell.
It reads a UTF-8 byte-order mark correctly (Excel's "CSV UTF-8"), detects the
delimiter (comma, semicolon, tab or bar) from the header and the first data
row, and accepts quoted fields and CRLF line ends. When the fast reader
refuses a file, a second, line-by-line pass finds the first bad line and says
what is wrong with it (ragged row, non-number, decimal comma, NaN, bad
encoding), so the slow path is paid only on errors.
"""
from __future__ import annotations

import csv
import math
import os
import warnings
from dataclasses import dataclass
from typing import Iterator

import numpy as np

__all__ = ["CSVError", "Table", "read_csv"]

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_BYTES = 1 << 16


class CSVError(ValueError):
    """A CSV file that cannot be read as a numeric table; the message is one line."""


@dataclass
class Table:
    """A numeric CSV: column names, a float64 array ``(rows, columns)`` and the delimiter used."""
    path: str
    columns: list[str]
    values: np.ndarray
    delimiter: str


def read_csv(path: str, max_rows: int | None = None) -> Table:
    """Read a numeric CSV with a header row into a `Table` (the first `max_rows` data rows if given).

    Raises `CSVError` with a one-line message naming the file, and the line
    and column where there is one, for anything that is not a rectangular
    table of finite numbers in UTF-8 (or ASCII) text.
    """
    head = _read_head(path)
    lines = head.splitlines()
    header_no = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_no is None:
        raise CSVError(f"{path}: the file is empty; expected a header row and at least one data row")
    header_line = lines[header_no]
    first_row = next((line for line in lines[header_no + 1:] if line.strip()), "")
    delimiter = _sniff_delimiter(header_line, first_row)
    columns = _parse_header(path, header_line, delimiter)
    values = _load_body(path, header_no, delimiter, len(columns), max_rows)
    if values.shape[0] == 0:
        raise CSVError(f"{path}: has a header but no data rows; expected at least one row of numbers")
    if values.shape[1] != len(columns) or not np.isfinite(values).all():
        raise CSVError(_diagnose(path, header_no, delimiter, columns))
    return Table(path, columns, values, delimiter)


def _read_head(path: str) -> str:
    """The first 64 KiB of the file as text, after checking it is a readable UTF-8 text file."""
    if os.path.isdir(path):
        raise CSVError(f"{path}: is a directory; expected a CSV file")
    try:
        with open(path, "rb") as f:
            raw = f.read(_SNIFF_BYTES)
    except OSError as e:
        raise CSVError(f"{path}: cannot read the file ({e.strerror})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CSVError(f"{path}: is UTF-16 text; save it as UTF-8 (e.g. Excel's 'CSV UTF-8')")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise CSVError(f"{path}: looks like a binary file (NUL byte at offset {nul}); expected a CSV text file")
    if len(raw) == _SNIFF_BYTES:  # do not judge a multi-byte character cut at the chunk's end
        raw = raw[:raw.rfind(b"\n") + 1] or raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CSVError(_encoding_message(path, raw, e.start)) from None


def _encoding_message(path: str, raw: bytes, offset: int) -> str:
    line = raw.count(b"\n", 0, offset) + 1
    return (f"{path}: line {line} is not UTF-8 text (byte 0x{raw[offset]:02x}); save the file as UTF-8 "
            "(e.g. Excel's 'CSV UTF-8')")


def _sniff_delimiter(header: str, row: str) -> str:
    """The delimiter that splits the header and the first row into the same number (> 1) of fields."""
    for d in DELIMITERS:
        if header.count(d) and header.count(d) == row.count(d):
            return d
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_header(path: str, line: str, delimiter: str) -> list[str]:
    names = [n.strip() for n in next(csv.reader([line], delimiter=delimiter))]
    if any(not n for n in names):
        raise CSVError(f"{path}: the header has an empty column name (column {names.index('') + 1}); "
                       "expected a name for every column")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CSVError(f"{path}: the header repeats the column name(s) {dup}; expected unique names")
    if all(_is_number(n) for n in names):
        raise CSVError(f"{path}: the first row {names[:4]}… is all numbers; expected a header row "
                       "of column names")
    return names


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _load_body(path: str, header_no: int, delimiter: str, n_columns: int, max_rows: int | None
               ) -> np.ndarray:
    """The data rows as float64 via NumPy's streaming C reader; any refusal is diagnosed by line."""
    try:
        with open(path, encoding="utf-8-sig", newline=None) as f:
            for _ in range(header_no + 1):
                f.readline()
            with warnings.catch_warnings():  # an empty body is reported by read_csv, not as a warning
                warnings.simplefilter("ignore", UserWarning)
                values = np.loadtxt(f, delimiter=delimiter, dtype=np.float64, ndmin=2, quotechar='"',
                                    comments=None, max_rows=max_rows)
    except (ValueError, UnicodeDecodeError):
        raise CSVError(_diagnose(path, header_no, delimiter, None, n_columns)) from None
    except OSError as e:
        raise CSVError(f"{path}: cannot read the file ({e.strerror})") from None
    if values.size == 0:  # loadtxt gives (0, 1) for an empty body
        return values.reshape(0, n_columns)
    return values


def _diagnose(path: str, header_no: int, delimiter: str, columns: list[str] | None,
              n_columns: int | None = None) -> str:
    """A one-line description of the first line that is not a row of `n_columns` finite numbers."""
    names = columns
    for line_no, fields in _rows(path, delimiter):
        if line_no <= header_no + 1:  # blank lines, then the header
            if line_no == header_no + 1 and names is None:
                names = [n.strip() for n in fields]
            continue
        if not fields or fields == [""]:
            continue
        expected = len(names) if names else n_columns
        if len(fields) != expected:
            return (f"{path}: line {line_no} has {len(fields)} fields but the header has {expected} "
                    f"columns; expected every row to have {expected}")
        for j, text in enumerate(fields):
            problem = _field_problem(text, delimiter)
            if problem:
                return f"{path}: line {line_no}, column {names[j]!r}: {problem}"
    return f"{path}: could not be read as a table of numbers"


def _field_problem(text: str, delimiter: str) -> str | None:
    """Why one field is not a finite number (None when it is)."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        if not value:
            return "empty value; expected a number (fill in or drop rows with missing values)"
        if delimiter != "," and _is_number(value.replace(",", ".")):
            return (f"{value!r} uses a decimal comma; expected a decimal point "
                    "(export the file with '.' as the decimal separator)")
        return f"{value!r} is not a number; expected numeric columns only"
    if not math.isfinite(number):
        return f"{value!r} is not a finite number; expected no NaN or inf values"
    return None


def _rows(path: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for every line, decoding each line separately to locate bad bytes."""
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, start=1):
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise CSVError(f"{path}: line {line_no} is not UTF-8 text (byte 0x{raw[e.start]:02x}); save "
                               "the file as UTF-8 (e.g. Excel's 'CSV UTF-8')") from None
            yield line_no, next(csv.reader([text.rstrip("\r\n")], delimiter=delimiter), [])
