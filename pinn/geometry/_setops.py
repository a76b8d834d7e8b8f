"""Set operations on domains: Difference (a - b), Union (a | b), Intersection (a & b)."""

from __future__ import annotations

from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np

from pinn.geometry._base import Domain
from pinn.geometry._checks import _MC_POINTS, _STRICT_RTOL
from pinn.geometry._distance import _conjunction, _r_equivalence, _trim
from pinn.geometry._draws import _unit_grid


class _SetOperation(Domain):
    """``result = out · (A_sign·A ∩ B_sign·B)``, where sign -1 is the complement (De Morgan):
    Difference (+1, +1, -1), Union (-1, -1, -1), Intersection (+1, +1, +1). The measure and
    the boundary measure are seeded Monte Carlo / grid estimates."""

    _signs: tuple[int, int, int]
    _scaled = True

    def __init__(self, a: Domain, b: Domain):
        where = type(self).__name__
        for name, value in (("a", a), ("b", b)):
            if not isinstance(value, Domain):
                raise TypeError(f"{where}({name}=...): expected a pinn.geometry domain "
                                f"(Rectangle, Disk, ...), got {type(value).__name__} {value!r}.")
        if a.dim != b.dim:
            raise ValueError(f"{where}(a, b): a is {a.dim}-D but b is {b.dim}-D; combine "
                             "domains of the same dimension.")
        self.a, self.b, self.dim, self._split = a, b, a.dim, len(a.boundary_parts)
        taken, renamed = set(a.boundary_parts), []
        for name in b.boundary_parts:
            candidate, k = name, 2
            while candidate in taken:
                candidate, k = f"{name}_{k}", k + 1
            taken.add(candidate)
            renamed.append(candidate)
        self.boundary_parts = a.boundary_parts + tuple(renamed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.a!r}, {self.b!r})"

    @property
    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        (lo_a, hi_a), (lo_b, hi_b) = self.a.bounding_box, self.b.bounding_box
        out, _, sign_b = self._signs
        if out < 0:  # union: both
            return np.minimum(lo_a, lo_b), np.maximum(hi_a, hi_b)
        if sign_b < 0:  # difference: within a
            return lo_a, hi_a
        return np.maximum(lo_a, lo_b), np.minimum(hi_a, hi_b)

    @cached_property
    def measure(self) -> float:
        lo, hi = self.bounding_box
        points = lo + np.random.default_rng(0).random((_MC_POINTS, self.dim)) * (hi - lo)
        return float(np.mean(self._signed_distance(points) >= 0) * np.prod(hi - lo))

    def _signed_distance(self, points: np.ndarray) -> np.ndarray:
        out, sign_a, sign_b = self._signs
        return out * np.minimum(sign_a * self.a._signed_distance(points),
                                sign_b * self.b._signed_distance(points))

    def _part_measures(self) -> np.ndarray:
        return np.concatenate([self.a._part_measures(), self.b._part_measures()])

    def _operand(self, part: int) -> tuple[Domain, int]:
        return (self.a, part) if part < self._split else (self.b, part - self._split)

    def _part_extent(self, part: int) -> np.ndarray:
        operand, local = self._operand(part)
        return operand._part_extent(local)

    def _boundary_at(self, part: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        points, normals = np.empty((len(part), self.dim)), np.empty((len(part), self.dim))
        out, sign_a, sign_b = self._signs
        for operand, rows, offset, sign in ((self.a, part < self._split, 0, out * sign_a),
                                            (self.b, part >= self._split, self._split,
                                             out * sign_b)):
            points[rows], normals[rows] = operand._boundary_at(part[rows] - offset, u[rows])
            normals[rows] *= sign  # a complemented operand's normals point the other way
        return points, normals

    def _boundary_valid_at(self, part: np.ndarray, u: np.ndarray) -> np.ndarray:
        """∂A counts where it lies strictly inside sign_b·B, ∂B where inside sign_a·A."""
        _, sign_a, sign_b = self._signs
        points, tolerance = self._boundary_at(part, u)[0], _STRICT_RTOL * self._diameter
        valid, in_a = np.empty(len(part), bool), part < self._split
        valid[in_a] = self.a._boundary_valid_at(part[in_a], u[in_a]) & (
            sign_b * self.b._signed_distance(points[in_a]) > tolerance)
        valid[~in_a] = self.b._boundary_valid_at(part[~in_a] - self._split, u[~in_a]) & (
            sign_a * self.a._signed_distance(points[~in_a]) > tolerance)
        return valid

    @cached_property
    def _valid_fractions(self) -> np.ndarray:
        """Fraction of each operand part that bounds the result, on a grid of ~4096 points."""
        fractions = []
        for part in range(len(self.boundary_parts)):
            u = _unit_grid(self._part_extent(part), 4096) if self.dim > 1 else np.zeros((1, 0))
            fractions.append(np.mean(self._boundary_valid_at(np.full(len(u), part), u)))
        return np.array(fractions)

    def _valid_part_measures(self) -> np.ndarray:
        return self._part_measures() * self._valid_fractions

    def _adf(self, x: jax.Array, mask: tuple[bool, ...]) -> jax.Array:
        out, sign_a, sign_b = self._signs
        if all(mask):
            return out * _conjunction(sign_a * self.a._signed_adf(x),
                                      sign_b * self.b._signed_adf(x))
        inside = self._signed_adf(x)
        return _r_equivalence(jnp.stack([self._trimmed(x, part, inside)
                                         for part in np.flatnonzero(mask)], axis=-1))

    def _trimmed(self, x: jax.Array, part: int, inside: jax.Array) -> jax.Array:
        """The operand part's function, trimmed to zero only where that part bounds the result.

        The part's function φ >= 0 enters as φ / (1 + φ): the same zero set and slope there,
        but at most 1. Trimming roughly squares a large φ, so a part of a set operation nested
        k deep (a square less four disks) would otherwise reach φ^(2^k) far from its zero set,
        and its distance, scaled to a maximum of 1, would vanish almost everywhere. A part that
        bounds the result all along (a side of the square) is not trimmed: trimming only adds
        curvature near the other parts."""
        operand, local = self._operand(part)
        phi = operand._part_adf(x, local)
        phi = phi / (1 + phi)
        if self._valid_fractions[part] == 1.0:  # the whole part bounds the result: no trim
            return phi
        return _trim(phi, inside)

    def _part_adf(self, x: jax.Array, part: int) -> jax.Array:
        return self._trimmed(x, part, self._signed_adf(x))


class Difference(_SetOperation):
    """``a - b``: the points of a not in b. Its boundary: ∂a outside b, and ∂b inside a with
    the normals of b flipped (pointing into b, out of a - b)."""

    _signs = (1, 1, -1)


class Union(_SetOperation):
    """``a | b``: the points in a or in b. Its boundary: ∂a outside b and ∂b outside a. (The
    distance function is not smooth at a corner of one operand that lies inside the other.)"""

    _signs = (-1, -1, -1)


class Intersection(_SetOperation):
    """``a & b``: the points in both. Its boundary: ∂a inside b and ∂b inside a."""

    _signs = (1, 1, 1)

    def __init__(self, a: Domain, b: Domain):
        super().__init__(a, b)
        lo, hi = self.bounding_box
        if (hi <= lo).any():
            raise ValueError(f"Intersection({a!r}, {b!r}): the bounding boxes do not overlap, "
                             "so the intersection is empty.")


Domain._set_operations.update(difference=Difference, union=Union, intersection=Intersection)
