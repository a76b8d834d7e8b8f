"""Simple polygons: corners, named edges, the even-odd test, segment distance functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from pinn.geometry._base import Domain
from pinn.geometry._checks import _array, _check_extent
from pinn.geometry._crossings import first_crossing
from pinn.geometry._distance import _r_equivalence, _segment_functions


class Polygon(Domain):
    """A simple polygon from its corners (k, 2), k >= 3, in either orientation.

    Parts: ``edge0, edge1, ...``, edge i joining vertex i to vertex i+1 (the last one back to
    vertex 0) in the order given, or the names in `edge_names`. ``vertices`` holds the corners
    counter-clockwise. Self-intersection (edges that touch or cross) is an error, detected
    exactly for any number of vertices by a sweep line (`pinn.geometry._crossings`).
    """

    dim, _scaled = 2, True

    def __init__(self, vertices: Any, edge_names: Sequence[str] | None = None):
        given = _array(vertices, "Polygon(vertices=...)")
        if given.ndim != 2 or given.shape[1] != 2 or len(given) < 3:
            raise ValueError(f"Polygon(vertices=...): expected an array (k, 2) of k >= 3 "
                             f"corners, got shape {given.shape}.")
        _check_extent(given.min(axis=0), given.max(axis=0), "Polygon(vertices=...)")
        starts, ends = given, np.roll(given, -1, axis=0)
        lengths = np.linalg.norm(ends - starts, axis=1)
        if (lengths == 0).any():
            raise ValueError(f"Polygon(vertices=...): vertex {int(np.argmin(lengths))} and the "
                             "next one coincide; remove the repeated vertex.")
        # the shoelace formula about a corner: no overflow or cancellation far from the origin
        shifted_starts, shifted_ends = starts - given[0], ends - given[0]
        area = 0.5 * np.sum(shifted_starts[:, 0] * shifted_ends[:, 1]
                            - shifted_ends[:, 0] * shifted_starts[:, 1])
        extent = float(np.ptp(given, axis=0).max())
        collinear = np.linalg.matrix_rank(given - given[0], tol=1e-12 * extent) < 2
        if collinear or abs(area) <= 1e-12 * extent**2 and first_crossing(starts, ends) is None:
            raise ValueError("Polygon(vertices=...): the polygon has zero area (collinear "
                             "vertices); give the corners of a 2-D region.")
        crossing = first_crossing(starts, ends)
        if crossing is not None:
            i, j = crossing
            raise ValueError(f"Polygon(vertices=...): expected a simple polygon, got one that "
                             f"intersects itself: edges {i} and {j} touch or cross"
                             f"{_where(starts[i], ends[i], starts[j], ends[j])} (edge i joins "
                             "vertex i to vertex i+1); give the corners in boundary order.")
        names = [f"edge{i}" for i in range(len(given))] if edge_names is None else edge_names
        if (isinstance(names, str) or not isinstance(names, Sequence)
                or not all(isinstance(name, str) for name in names)):
            raise TypeError(f"Polygon(edge_names=...): expected a list of strings, got "
                            f"{edge_names!r}.")
        if len(names) != len(given) or len(set(names)) != len(names):
            raise ValueError(f"Polygon(edge_names=...): expected {len(given)} distinct names (one "
                             f"per edge; edge i joins vertex i to i+1), got {list(names)!r}.")
        self.boundary_parts = tuple(names)
        # orient every edge counter-clockwise, keeping the user's edge order and names
        self._starts, self._ends = (starts, ends) if area > 0 else (ends, starts)
        self.vertices = given if area > 0 else given[::-1].copy()
        self._area, self._lengths = abs(float(area)), lengths
        self._origin, self._unit = given.min(axis=0), extent

    @classmethod
    def l_shape(cls) -> Polygon:
        """The L-shape [-1, 1]² minus (0, 1] × (-1, 0]: area 3, perimeter 8."""
        return cls([(-1, -1), (0, -1), (0, 0), (1, 0), (1, 1), (-1, 1)])

    def __repr__(self) -> str:
        return f"Polygon({len(self.vertices)} vertices, parts={list(self.boundary_parts)})"

    @property
    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        """The smallest axis-aligned box holding the domain: ``(lo (dim,), hi (dim,))``."""
        return self.vertices.min(axis=0), self.vertices.max(axis=0)

    @property
    def measure(self) -> float:
        """Length (1-D), area (2-D), volume (3-D), ... of the domain."""
        return self._area

    def _signed_distance(self, points: np.ndarray) -> np.ndarray:
        out, a, direction = np.empty(len(points)), self._starts, self._ends - self._starts
        for i in range(0, len(points), 8192):  # (chunk, edges) arrays stay small
            p = points[i : i + 8192, None, :]
            t = np.clip(np.sum((p - a) * direction, -1) / self._lengths**2, 0, 1)
            gap = np.linalg.norm(p - a - t[..., None] * direction, axis=-1).min(axis=1)
            out[i : i + 8192] = np.where(self._inside(p[:, 0], np), gap, -gap)
        return out

    def _inside(self, p, xp):
        """Even-odd crossing test for points p (n, 2); xp is NumPy or jax.numpy (no gradient)."""
        a, b = self._starts, self._ends
        dy = np.where(b[:, 1] == a[:, 1], 1.0, b[:, 1] - a[:, 1])
        a_x, a_y, b_y = (xp.asarray(c, p.dtype) for c in (a[:, 0], a[:, 1], b[:, 1]))
        slope = xp.asarray((b[:, 0] - a[:, 0]) / dy, p.dtype)
        py = p[:, 1:2]
        crosses = (a_y > py) != (b_y > py)
        return xp.sum(crosses & (p[:, :1] < a_x + (py - a_y) * slope), axis=1) % 2 == 1

    def _part_measures(self) -> np.ndarray:
        return self._lengths

    def _boundary_at(self, part: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        direction = self._ends[part] - self._starts[part]
        normals = np.column_stack([direction[:, 1], -direction[:, 0]]) / self._lengths[part, None]
        return self._starts[part] + u[:, :1] * direction, normals

    def _segments(self, x: jax.Array, parts: np.ndarray) -> jax.Array:
        """φ_i (n, len(parts)), computed in coordinates scaled to the unit box."""
        origin, unit = self._origin, self._unit
        return _segment_functions((x - jnp.asarray(origin, x.dtype)) / unit,
                                  (self._starts[parts] - origin) / unit,
                                  (self._ends[parts] - origin) / unit)

    def _adf(self, x: jax.Array, mask: tuple[bool, ...]) -> jax.Array:
        return _r_equivalence(self._segments(x, np.flatnonzero(mask)))

    def _signed_adf(self, x: jax.Array) -> jax.Array:
        inside = self._inside(jax.lax.stop_gradient(x), jnp)
        return jnp.where(inside, 1.0, -1.0).astype(x.dtype) * super()._signed_adf(x)

    def _part_adf(self, x: jax.Array, part: int) -> jax.Array:
        return self._segments(x, np.array([part]))[:, 0]


def _where(a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> str:
    """" at (x, y)": where segments a and b meet (a shared end point if they are parallel)."""
    da, db = a1 - a0, b1 - b0
    denominator = da[0] * db[1] - da[1] * db[0]
    if denominator == 0:  # parallel: they overlap; name a point of b on a
        return f" at ({b0[0]:.6g}, {b0[1]:.6g})"
    s = ((b0[0] - a0[0]) * db[1] - (b0[1] - a0[1]) * db[0]) / denominator
    point = a0 + s * da
    return f" at ({point[0]:.6g}, {point[1]:.6g})"
