"""Loader of the UCI SUSY data set (Baldi, Sadowski & Whiteson 2014), from a file the user has.

The file SUSY.csv (or SUSY.csv.gz) from the UCI Machine Learning Repository, data set 279
(https://archive.ics.uci.edu/dataset/279/susy), holds 5,000,000 simulated events, one per line,
no header: column 0 the class (1 = supersymmetric signal, 0 = Standard-Model background), then
8 low-level features (lepton kinematics, missing energy) and 10 high-level features derived from
them (`SUSY_FEATURES`). Nothing is downloaded here.

    x, y = load_susy("data/SUSY.csv.gz", nrows=500_000)   # x: (500000, 18) float32, y int32
"""

from __future__ import annotations

import gzip
import io
import itertools
import os
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from jaxnn.data.datasets._xor import check_count
from jaxnn.validate import check_path

SUSY_FEATURES = (
    "lepton_1_pT",
    "lepton_1_eta",
    "lepton_1_phi",
    "lepton_2_pT",
    "lepton_2_eta",
    "lepton_2_phi",
    "missing_energy_magnitude",
    "missing_energy_phi",
    "MET_rel",
    "axial_MET",
    "M_R",
    "M_TR_2",
    "R",
    "MT2",
    "S_R",
    "M_Delta_R",
    "dPhi_r_b",
    "cos_theta_r1",
)
"""Names of the 18 feature columns (8 low-level, then 10 high-level), in file order."""
SUSY_COLUMNS = 1 + len(SUSY_FEATURES)
SUSY_FILE_NAMES = ("SUSY.csv", "SUSY.csv.gz")
SUSY_SOURCE = (
    "the UCI Machine Learning Repository, data set 279 "
    "(https://archive.ics.uci.edu/dataset/279/susy)"
)
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK_ROWS = 100_000


def _resolve(path: str | os.PathLike) -> Path:
    """The SUSY file: `path` itself, or SUSY.csv(.gz) inside `path` if it is a directory."""
    path = check_path(path, "load_susy(path=...)", kind="file or directory", must_exist=False)
    if path.is_dir():
        for name in SUSY_FILE_NAMES:
            if (path / name).is_file():
                return path / name
        where = f"the directory {str(path)!r} holds neither {' nor '.join(SUSY_FILE_NAMES)}"
    elif path.is_file():
        return path
    else:
        where = f"there is no file or directory {str(path)!r}"
    raise FileNotFoundError(
        f"load_susy(path=...): {where}. Expected the SUSY data file SUSY.csv or SUSY.csv.gz "
        f"(5,000,000 rows, 19 comma-separated columns) from {SUSY_SOURCE}; download it once "
        "and pass its path."
    )


def _open_text(path: Path) -> IO[str]:
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    if compressed:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="ascii", errors="replace")
    return open(path, encoding="ascii", errors="replace")


def _bad_line(path: Path, lines: list[str], first_line: int) -> ValueError:
    """The error for the first line of `lines` that is not 19 numbers (lines count from 1),
    naming the line, the column and the token that is not a number."""
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        number = first_line + offset
        if len(fields) != SUSY_COLUMNS:
            return ValueError(
                f"load_susy: {path}, line {number}: found {len(fields)} comma-separated "
                f"columns, expected {SUSY_COLUMNS} (the label, then the 18 features "
                f"SUSY_FEATURES). Is this the UCI SUSY file? The line begins {line[:80]!r}."
            )
        column = _unreadable_column(fields)
        if column is not None:
            what = "the label" if column == 0 else f"feature {SUSY_FEATURES[column - 1]!r}"
            return ValueError(
                f"load_susy: {path}, line {number}, column {column} ({what}; columns count "
                f"from 0): {fields[column]!r} is not a number. The SUSY file holds "
                f"{SUSY_COLUMNS} numbers per line and no header; fix or remove that line. The "
                f"line begins {line.strip()[:80]!r}."
            )
    return ValueError(
        f"load_susy: {path}, lines {first_line}-{first_line + len(lines) - 1}: "
        "could not parse the numbers."
    )


def _unreadable_column(fields: list[str]) -> int | None:
    """The first of `fields` that NumPy's reader (as `_parse_chunk` calls it) does not take as
    one number, or None. Python's float() is the quick test; its extras (``1_000``) are not."""
    for column, field in enumerate(fields):
        try:
            float(field)
            if "_" not in field:
                continue
        except ValueError:
            pass
        if not field.strip():
            return column
        try:
            np.loadtxt([field], delimiter=",", dtype=np.float64, comments=None)
        except ValueError:
            return column
    return None


def _line_number(lines: list[str], first_line: int, row: int) -> tuple[int, str]:
    """Line number and text of data row `row` of a chunk (blank lines are skipped by loadtxt)."""
    rows = (offset for offset, line in enumerate(lines) if line.strip())
    offset = next(itertools.islice(rows, row, None))
    return first_line + offset, lines[offset].strip()


def _parse_chunk(path: Path, lines: list[str], first_line: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        table = np.loadtxt(lines, delimiter=",", dtype=np.float64, ndmin=2, comments=None)
    except ValueError as error:
        raise _bad_line(path, lines, first_line) from error
    if table.shape[0] and table.shape[1] != SUSY_COLUMNS:
        raise _bad_line(path, lines, first_line)
    labels = table[:, 0]
    bad = np.flatnonzero((labels != 0.0) & (labels != 1.0))
    if bad.size:
        number, text = _line_number(lines, first_line, int(bad[0]))
        label = float(labels[bad[0]])
        raise ValueError(
            f"load_susy: {path}, line {number}: the label (column 0) is {label!r}, expected 1 "
            f"(signal) or 0 (background). The line reads {text[:80]!r}."
        )
    finite = np.isfinite(table[:, 1:]).all(axis=1)
    if not finite.all():
        number, text = _line_number(lines, first_line, int(np.argmin(finite)))
        raise ValueError(
            f"load_susy: {path}, line {number}: a feature is NaN or inf; the line "
            f"reads {text[:80]!r}."
        )
    return table[:, 1:].astype(np.float32), labels.astype(np.int32)


def load_susy(path: str | os.PathLike, nrows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read the UCI SUSY data set from SUSY.csv or SUSY.csv.gz.

    The file is read in chunks of 100,000 lines parsed by NumPy (the whole file, 2.4 GB of
    text, takes about a minute; `nrows` reads only the start). Gzip is recognised by the file's
    first bytes, whatever its name.

    Args:
        path: the file, or a directory holding SUSY.csv or SUSY.csv.gz.
        nrows: read only the first `nrows` events (None: all 5,000,000).

    Returns:
        ``(x, y)``: ``x: (n, 18)`` float32 features in the order of `SUSY_FEATURES`,
        ``y: (n,)`` int32, 1 = signal, 0 = background.

    Raises:
        FileNotFoundError: no such file (the message says where the data come from).
        ValueError: a line without 19 numbers, or a label other than 0/1; the message gives the
            line number.
    """
    if nrows is not None:
        nrows = check_count(nrows, "load_susy(nrows=...)")
    file = _resolve(path)
    features, labels = [], []
    read = 0
    with _open_text(file) as text:
        while nrows is None or read < nrows:
            size = _CHUNK_ROWS if nrows is None else min(_CHUNK_ROWS, nrows - read)
            try:
                lines = list(itertools.islice(text, size))
            except (EOFError, gzip.BadGzipFile, zlib.error) as error:
                raise ValueError(
                    f"load_susy: {file} is a damaged gzip file after line {read} ({error}). "
                    f"Download it again from {SUSY_SOURCE}."
                ) from error
            if not lines:
                break
            x, y = _parse_chunk(file, lines, read + 1)
            features.append(x)
            labels.append(y)
            read += len(lines)
    if not features or sum(len(y) for y in labels) == 0:
        raise ValueError(
            f"load_susy: {file} holds no events. Expected the UCI SUSY file, "
            f"{SUSY_COLUMNS} comma-separated numbers per line."
        )
    return np.concatenate(features), np.concatenate(labels)
