"""What every reference shares: the returned record, the error measure and the on-disk cache.

A reference is cheap to recompute (seconds for Burgers, a few minutes for the spectral ones on
two cores), so the cache only spares repeated runs: it lives under the user's cache directory,
never in the repository, and a missing or unwritable directory just means recomputing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

# Bump when a change of the solvers changes the numbers they cache.
CACHE_VERSION = 1


class Reference(NamedTuple):
    """A reference solution on a (t, x) grid and its own estimated error.

    Unpacks as `t, x, u, error, max_error, method = reference`.

    Attributes:
        t: (nt,) times.
        x: (nx,) positions.
        u: (nt, nx) the solution, `u[i, j] = u(x[j], t[i])` (jaxpi's `usol` layout).
        error: relative L2 change of `u` over the whole grid when the discretisation is
            refined (quadrature nodes doubled; or modes doubled and time step halved):
            `||u - u_refined|| / ||u_refined||`, the estimate of the reference's own error.
        max_error: the largest pointwise change, `max |u - u_refined|`.
        method: how `u` was computed, in words (for tables).
    """

    t: np.ndarray
    x: np.ndarray
    u: np.ndarray
    error: float
    max_error: float
    method: str


def relative_l2(approximation: np.ndarray, reference: np.ndarray) -> float:
    """||approximation - reference|| / ||reference|| over all entries (the jaxpi/PINN measure)."""
    approximation, reference = np.asarray(approximation), np.asarray(reference)
    return float(np.linalg.norm(approximation - reference) / np.linalg.norm(reference))


def cache_dir() -> Path:
    """Where references are cached: $JAXNN_BENCHMARKS_CACHE, else the user cache directory
    ($XDG_CACHE_HOME or ~/.cache) under `jaxnn-benchmarks/`."""
    explicit = os.environ.get("JAXNN_BENCHMARKS_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jaxnn-benchmarks"


def cached(name: str, settings: dict, arrays: dict[str, np.ndarray],
           compute: Callable[[], dict[str, np.ndarray]], use_cache: bool = True
           ) -> dict[str, np.ndarray]:
    """`compute()` once per (name, settings, arrays); later calls read the saved result.

    Args:
        name: the reference's name, the start of the file name.
        settings: JSON-serialisable scalars that determine the result (modes, steps, ...).
        arrays: input arrays that determine the result (the grid), hashed bit for bit.
        compute: returns the result as a dict of arrays.
        use_cache: False computes without reading or writing the cache.

    Returns:
        The dict `compute()` returned (or its saved copy).
    """
    if not use_cache:
        return compute()
    digest = hashlib.sha256(json.dumps({**settings, "version": CACHE_VERSION},
                                       sort_keys=True).encode())
    for key in sorted(arrays):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(arrays[key], dtype=np.float64).tobytes())
    path = cache_dir() / f"{name}-{digest.hexdigest()[:16]}.npz"
    try:
        with np.load(path) as saved:
            return {key: saved[key] for key in saved.files}
    except (OSError, ValueError):
        pass
    result = compute()
    try:  # written whole then renamed, so a reader never sees half a file
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as file:
            np.savez(file, **result)
        os.replace(file.name, path)
    except OSError:
        pass
    return result
