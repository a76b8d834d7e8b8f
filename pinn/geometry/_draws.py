"""Sampling helpers: seeded unit draws (uniform, Sobol, Halton), even grids, count splits."""

from __future__ import annotations

import math
import warnings

import numpy as np


class _UnitDraws:
    """Batches of points in [0, 1)^d: seeded pseudo-random, or scrambled Sobol/Halton."""

    def __init__(self, method: str, d: int, seed: int):
        self.rng, self.engine, self.d = np.random.default_rng(seed), None, d
        if method in ("sobol", "halton"):
            try:  # scipy is a test extra, not a dependency of the package
                from scipy.stats import qmc
            except ImportError as error:
                raise ImportError(f"method={method!r} needs scipy.stats.qmc and scipy is not "
                                  "installed; install scipy or use method='uniform'.") from error
            engine = qmc.Sobol if method == "sobol" else qmc.Halton
            try:
                self.engine = engine(d=d, scramble=True, rng=seed)
            except TypeError:  # scipy < 1.15 calls it `seed`
                self.engine = engine(d=d, scramble=True, seed=seed)

    def __call__(self, count: int) -> np.ndarray:
        if self.engine is None:
            return self.rng.random((count, self.d))
        with warnings.catch_warnings():  # Sobol prefers powers of 2; any count is fine here
            warnings.simplefilter("ignore", UserWarning)
            return self.engine.random(count)


def _grid_counts(extent: np.ndarray, target: float) -> np.ndarray:
    """Points per axis, spaced about equally on every axis, with product nearest `target`."""
    if extent.size == 1:
        return np.array([max(1, round(target))])
    spacing = (np.prod(extent) / target) ** (1 / extent.size)
    counts = np.maximum(np.floor(extent / spacing), 1).astype(int)
    if np.prod(counts) > target:
        counts = np.ones(extent.size, int)
    while True:  # refine the coarsest axis while the product stays <= target
        grown = counts.copy()
        grown[np.argmax(extent / counts)] += 1
        if np.prod(grown) > target:
            break
        counts = grown
    closer = abs(math.log(np.prod(grown) / target)) < abs(math.log(np.prod(counts) / target))
    return grown if closer else counts


def _unit_grid(extent: np.ndarray, target: float) -> np.ndarray:
    """Cell midpoints (m, d) of a grid on [0, 1)^d with about `target` cells, the last axis
    running fastest (np.meshgrid's "ij" order, built by hand: meshgrid stops at 32 axes)."""
    counts = _grid_counts(np.asarray(extent, float), target)
    strides = np.cumprod(np.append(1, counts[:0:-1]))[::-1]
    cells = np.arange(int(np.prod(counts)))[:, None]
    return ((cells // strides) % counts + 0.5) / counts


def _allocate(n: int, weights: np.ndarray) -> np.ndarray:
    """Split n into integer counts proportional to `weights` (largest remainder)."""
    share = n * weights / weights.sum()
    counts = np.floor(share).astype(int)
    counts[np.argsort(counts - share, kind="stable")[: n - counts.sum()]] += 1
    return counts

