"""Boxes in any dimension, and the named 1-D and 2-D ones: Interval and Rectangle."""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from pinn.geometry._base import Domain
from pinn.geometry._checks import _check_extent, _real, _vector
from pinn.geometry._distance import _NOT_3D, _conjunction, _segment_functions


class Box(Domain):
    """The box [lo_0, hi_0] × ... × [lo_{d-1}, hi_{d-1}] in any dimension d >= 1.

    Parts: ``x0_min, x0_max, x1_min, ...`` (the faces x_k = lo_k and x_k = hi_k).
    """

    _names: tuple[str, ...] | None = None  # part names of the fixed-dimension subclasses

    def __init__(self, lo: Sequence[float], hi: Sequence[float]):
        where, length = type(self).__name__, self._names and len(self._names) // 2
        lo = _vector(lo, f"{where}(lo=...)", length)
        hi = _vector(hi, f"{where}(hi=...)", length)
        if lo.size != hi.size:
            raise ValueError(f"{where}(lo, hi): lo has {lo.size} coordinates but hi has "
                             f"{hi.size}; give both corners in the same dimension.")
        if lo.size == 0:
            raise ValueError(f"{where}(lo, hi): got no coordinates; a box needs at least one "
                             "axis, e.g. Box([0.0], [1.0]).")
        if (hi <= lo).any():
            k = int(np.argmax(hi <= lo))
            raise ValueError(f"{where}(lo, hi): hi[{k}] = {hi[k]} must be greater than lo[{k}] = "
                             f"{lo[k]}, or the domain has no volume; swap or widen the bounds.")
        _check_extent(lo, hi, where)
        self._lo, self._hi, self._extent, self.dim = lo, hi, hi - lo, lo.size
        self.boundary_parts = self._names or tuple(
            f"x{k}_{side}" for k in range(self.dim) for side in ("min", "max"))
        self._free_axes = np.array([[j for j in range(self.dim) if j != k]
                                    for k in range(self.dim)], int).reshape(self.dim, -1)

    def __repr__(self) -> str:
        return f"Box(lo={self._lo.tolist()}, hi={self._hi.tolist()})"

    @property
    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        """The smallest axis-aligned box holding the domain: ``(lo (dim,), hi (dim,))``."""
        return self._lo.copy(), self._hi.copy()

    @property
    def measure(self) -> float:
        """Length (1-D), area (2-D), volume (3-D), ... of the domain."""
        return float(np.prod(self._extent))

    def _signed_distance(self, points: np.ndarray) -> np.ndarray:
        return np.minimum(points - self._lo, self._hi - points).min(axis=1)

    def _part_measures(self) -> np.ndarray:
        return np.repeat(np.prod(self._extent) / self._extent, 2)

    def _part_extent(self, part: int) -> np.ndarray:
        return self._extent[self._free_axes[part // 2]]

    def _boundary_at(self, part: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        axis, upper, rows = part // 2, part % 2 == 1, np.arange(len(part))
        points, normals = np.empty((len(part), self.dim)), np.zeros((len(part), self.dim))
        free = self._free_axes[axis]
        points[rows[:, None], free] = self._lo[free] + u * self._extent[free]
        points[rows, axis] = np.where(upper, self._hi[axis], self._lo[axis])
        normals[rows, axis] = np.where(upper, 1.0, -1.0)
        return points, normals

    def _slabs(self, x: jax.Array) -> list[tuple[jax.Array, jax.Array]]:
        """Per axis ((x_k - lo_k)/L_k, (hi_k - x_k)/L_k)."""
        lo, hi, extent = (a.tolist() for a in (self._lo, self._hi, self._extent))
        return [((x[:, k] - lo[k]) / extent[k], (hi[k] - x[:, k]) / extent[k])
                for k in range(self.dim)]

    def _adf(self, x: jax.Array, mask: tuple[bool, ...]) -> jax.Array:
        d = jnp.ones(x.shape[:1], x.dtype)
        for (lower, upper), at_lo, at_hi in zip(self._slabs(x), mask[::2], mask[1::2],
                                                strict=True):
            if at_lo and at_hi:
                d = d * 4 * lower * upper
            elif at_lo or at_hi:
                d = d * (lower if at_lo else upper)
        return d

    def _signed_adf(self, x: jax.Array) -> jax.Array:
        if self.dim > 2:  # the product is positive in some corner regions outside the box
            raise NotImplementedError(_NOT_3D.format(where=repr(self), dim=self.dim))
        slabs = [4 * lower * upper for lower, upper in self._slabs(x)]
        return slabs[0] if self.dim == 1 else _conjunction(*slabs)

    def _part_adf(self, x: jax.Array, part: int) -> jax.Array:
        if self.dim == 1:
            return jnp.abs(self._slabs(x)[0][part])
        if self.dim > 2:
            raise NotImplementedError(_NOT_3D.format(where=repr(self), dim=self.dim))
        ends = self._boundary_at(np.array([part, part]), np.array([[0.0], [1.0]]))[0]
        scale = float(self._extent.max())
        return _segment_functions(x / scale, ends[:1] / scale, ends[1:] / scale)[:, 0]


class Interval(Box):
    """The interval [a, b]. Parts: ``left`` (x = a, normal -1) and ``right`` (x = b, +1)."""

    _names = ("left", "right")

    def __init__(self, a: float, b: float):
        a, b = _real(a, "Interval(a=...)"), _real(b, "Interval(b=...)")
        if b <= a:
            raise ValueError(f"Interval(a={a}, b={b}): expected a < b (an interval of positive "
                             "length); swap or widen the end points.")
        super().__init__([a], [b])

    def __repr__(self) -> str:
        return f"Interval({self._lo[0]}, {self._hi[0]})"


class Rectangle(Box):
    """``Rectangle((x0, y0), (x1, y1))``: [x0, x1] × [y0, y1], the 2-D Box with named sides.

    Parts: ``left`` (x = x0), ``right`` (x = x1), ``bottom`` (y = y0), ``top`` (y = y1).
    """

    _names = ("left", "right", "bottom", "top")

    def __repr__(self) -> str:
        return f"Rectangle({tuple(self._lo.tolist())}, {tuple(self._hi.tolist())})"
