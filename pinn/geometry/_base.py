"""The base class every domain shares: checks, sampling, distance-function scaling, set
operators."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NoReturn

import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.validate import check_int, check_seed
from pinn.geometry._checks import (
    _CONTAINS_RTOL,
    _EMPTY_AFTER,
    _MAX_DRAWS,
    _SCALE_POINTS,
    _STRICT_RTOL,
    _array,
    _method,
)
from pinn.geometry._draws import _allocate, _unit_grid, _UnitDraws


@dataclass(frozen=True, eq=False)
class BoundarySample:
    """Boundary points with outward unit normals.

    Attributes:
        points: (m, dim) float64.
        normals: (m, dim) float64, outward unit normals.
        part_index: (m,) int64, index into ``domain.boundary_parts``.
    """

    points: np.ndarray
    normals: np.ndarray
    part_index: np.ndarray



class Domain:
    """Base class: the checks, sampling and set operators shared by every domain.

    A subclass provides ``dim``, ``boundary_parts``, ``bounding_box``, ``measure``, and:
    ``_signed_distance(points)`` (NumPy (n,), > 0 inside, < 0 outside; membership only),
    ``_part_measures()`` (length/area per part), ``_boundary_at(part (m,), u (m, dim-1))``
    (points and outward normals at parameters u in [0, 1)), ``_adf(x, mask)`` (the unscaled
    distance function, zero on the parts where mask is True) and ``_part_adf(x, part)`` (>= 0,
    zero exactly on that part, smooth off it, with a slope of order 1 there (the distance to
    first order, in the domain's units or relative to its size); set operations use it).
    """

    dim: int
    boundary_parts: tuple[str, ...]
    _scaled = False  # True: distance is divided by its maximum over interior samples

    @property
    def boundary_measure(self) -> float:
        """Length (2-D), area (3-D), ... of the boundary; in 1-D the number of end points."""
        return float(np.sum(self._valid_part_measures()))

    def contains(self, points: Any) -> np.ndarray:
        """True (n,) for points (n, dim) inside or on the boundary (relative tolerance 1e-6)."""
        points = _array(points, "contains(points=...)")
        self._check_shape(points.shape, "contains(points=...)")
        return self._signed_distance(points) >= -_CONTAINS_RTOL * self._diameter

    def sample_interior(self, n: int, seed: int = 0, method: str = "uniform") -> np.ndarray:
        """Collocation points strictly inside the domain: (m, dim) float64.

        method: "uniform" (exactly n seeded random points by rejection from the bounding box),
        "sobol"/"halton" (exactly n scrambled quasi-random points; needs scipy) or "grid" (the
        cell midpoints of an even grid that fall inside: about n, always n/2 < m < 2n for a
        box, retuned from the measure for other shapes; `seed` is not used).
        """
        n = check_int(n, "sample_interior(n=...)", minimum=1)
        seed = check_seed(seed, "sample_interior(seed=...)")
        method = _method(method, "sample_interior(method=...)")
        lo, hi = self.bounding_box
        if method == "grid":
            return self._interior_grid(n, lo, hi)
        draws = _UnitDraws(method, self.dim, seed)

        def candidates(count):
            points = lo + draws(count) * (hi - lo)
            return (points[self._strictly_inside(points)],)

        return self._rejection(n, candidates, "sample_interior")[0]

    def sample_boundary(self, n: int, seed: int = 0, method: str = "uniform",
                        part: str | Sequence[str] | None = None) -> BoundarySample:
        """Points on the boundary (or on the named parts) with outward unit normals.

        method: "uniform"/"sobol"/"halton": exactly n points spread over the selected parts in
        proportion to their length/area; "grid": n evenly spaced cell midpoints by arc length
        / face area (exactly n for 2-D shapes without set operations, about n otherwise), so
        no point sits on a corner. In 1-D the boundary is points: each selected end point is
        returned once, whatever n is.
        """
        n = check_int(n, "sample_boundary(n=...)", minimum=1)
        seed = check_seed(seed, "sample_boundary(seed=...)")
        method = _method(method, "sample_boundary(method=...)")
        selected = np.flatnonzero(self._part_mask(part, "sample_boundary(part=...)"))
        if self.dim == 1:
            part_index = selected[self._boundary_valid_at(selected, np.zeros((len(selected), 0)))]
            u = np.zeros((len(part_index), 0))
            if not len(part_index):
                self._empty("sample_boundary", 0)
        elif method == "grid":
            part_index, u = self._boundary_grid(n, selected)
        else:
            part_index, u = self._boundary_random(n, seed, method, selected)
        points, normals = self._boundary_at(part_index, u)
        return BoundarySample(points, normals, part_index.astype(np.int64))

    def distance(self, x: Any, parts: str | Sequence[str] | None = None) -> jax.Array:
        """Smooth approximate distance (n,) for hard boundary conditions u = g + d(x) N(x).

        x: (n, dim) points of any float dtype (the result has the same). d is 0 on the
        selected parts (None: the whole boundary), positive and infinitely differentiable
        inside, and about 1 at its largest. Pure JAX: works under jit, vmap, jvp and grad.
        """
        try:
            x = jnp.asarray(x)
        except (TypeError, ValueError, OverflowError) as error:
            raise TypeError(f"distance(x=...): expected an array (n, {self.dim}) of real "
                            f"coordinates, got {type(x).__name__} {x!r:.100}.") from error
        if not jnp.issubdtype(x.dtype, jnp.floating):
            if not jnp.issubdtype(x.dtype, jnp.integer):
                raise TypeError(f"distance(x=...): expected real coordinates, got dtype {x.dtype}.")
            x = x.astype(jnp.result_type(float))
        self._check_shape(x.shape, "distance(x=...)")
        mask = self._part_mask(parts, "distance(parts=...)")
        return self._compiled_adf(x, mask) / self._adf_scale(mask)

    # The set operations are Domains themselves, defined in _setops, which registers its
    # classes here on import (pinn.geometry imports it): the base never imports a subclass.
    _set_operations: dict[str, type[Domain]] = {}

    def __sub__(self, other: Domain) -> Domain:
        return self._set_operations["difference"](self, other)

    def __or__(self, other: Domain) -> Domain:
        return self._set_operations["union"](self, other)

    def __and__(self, other: Domain) -> Domain:
        return self._set_operations["intersection"](self, other)

    # ---- shared machinery
    @cached_property
    def _diameter(self) -> float:
        lo, hi = self.bounding_box
        return float(np.linalg.norm(hi - lo))

    def _check_shape(self, shape: tuple[int, ...], argument: str) -> None:
        if len(shape) == 2 and shape[1] == self.dim:
            return
        hint = "Stack the points as the rows of an (n, dim) array."
        if len(shape) == 1 and shape[0] == self.dim:
            hint = "For one point pass x[None, :]."
        elif len(shape) == 1 and self.dim == 1:
            hint = "For 1-D points pass x[:, None]."
        raise ValueError(f"{argument}: expected points of shape (n, {self.dim}) for the "
                         f"{self.dim}-D {type(self).__name__}, got shape {tuple(shape)}. {hint}")

    def _part_mask(self, part: Any, argument: str) -> tuple[bool, ...]:
        if part is None:
            return (True,) * len(self.boundary_parts)
        names = (part,) if isinstance(part, str) else part
        if not isinstance(names, Sequence) or not all(isinstance(p, str) for p in names):
            raise TypeError(f"{argument}: expected None, a part name or a list of part names, "
                            f"got {part!r}.")
        if not names:
            raise ValueError(f"{argument}: expected at least one part name (None selects the "
                             f"whole boundary), got {part!r}.")
        for name in names:
            if name not in self.boundary_parts:
                raise ValueError(f"{argument}: {type(self).__name__} has no boundary part "
                                 f"{name!r}; valid parts are {list(self.boundary_parts)}.")
        return tuple(p in names for p in self.boundary_parts)

    def _strictly_inside(self, points: np.ndarray) -> np.ndarray:
        return self._signed_distance(points) > _STRICT_RTOL * self._diameter

    def _boundary_valid_at(self, part: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Which operand boundary points bound the domain (all of them unless a set operation)."""
        return np.ones(len(part), bool)

    def _valid_part_measures(self) -> np.ndarray:
        return self._part_measures()

    def _part_extent(self, part: int) -> np.ndarray:
        """Side lengths of the parameter box of a part (for a curve: its length)."""
        return self._part_measures()[part : part + 1]

    def _empty(self, where: str, drawn: int) -> NoReturn:
        raise ValueError(f"{where}: no valid point among {max(drawn, _EMPTY_AFTER):,} candidates; "
                         f"{self!r} looks empty (does a Difference remove everything, or do the "
                         "operands of an Intersection, or the selected parts, not overlap?).")

    def _rejection(self, n: int, candidates: Callable, where: str) -> tuple[np.ndarray, ...]:
        """Call ``candidates(count) -> arrays of the valid ones`` until n are found."""
        kept, got, drawn = [], 0, 0
        while got < n:
            rate = max(got / drawn if drawn else 1.0, 1e-3)
            count = (n - got) / rate * 1.2 + 64
            count = int(min(max(count, drawn) if got == 0 else count, 1_000_000))
            kept.append(candidates(count))
            got, drawn = got + len(kept[-1][0]), drawn + count
            if got == 0 and drawn >= _EMPTY_AFTER:
                self._empty(where, drawn)
            if got < n and drawn >= _MAX_DRAWS:
                raise ValueError(f"{where}: only {got} valid points among {drawn:,} candidates; "
                                 f"{self!r} is too thin for its bounding box to sample this way.")
        return tuple(np.concatenate(arrays)[:n] for arrays in zip(*kept, strict=True))

    def _interior_grid(self, n: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        if self.measure <= 0:
            self._empty("sample_interior", 0)

        def miss(points):
            return abs(math.log(len(points) / n)) if len(points) else math.inf

        target, best = n * np.prod(hi - lo) / self.measure, np.zeros((0, self.dim))
        for _ in range(6):  # the first spacing is usually within 20% for a curved shape; retune
            points = lo + _unit_grid(hi - lo, target) * (hi - lo)
            points = points[self._strictly_inside(points)]
            if miss(points) < miss(best):
                best = points
            if 0.8 * n <= len(points) <= 1.25 * n:
                break
            target *= n / len(points) if len(points) else 4.0
        if not len(best):
            self._empty("sample_interior", 0)
        return best

    def _boundary_random(self, n: int, seed: int, method: str, selected: np.ndarray):
        weights = self._part_measures()[selected]
        cumulative = np.concatenate([[0.0], np.cumsum(weights)])
        draws = _UnitDraws(method, self.dim - 1, seed)

        def candidates(count):
            # v[:, 0] is a position along the selected parts laid end to end; it picks the
            # part and the first coordinate on it. The rest of v are the other face coordinates.
            v = draws(count)
            s = v[:, 0] * cumulative[-1]
            k = np.clip(np.searchsorted(cumulative, s, side="right") - 1, 0, len(weights) - 1)
            along = np.clip((s - cumulative[k]) / weights[k], 0.0, np.nextafter(1.0, 0.0))
            u, part = np.column_stack([along, v[:, 1:]]), selected[k]
            valid = self._boundary_valid_at(part, u)
            return part[valid], u[valid]

        return self._rejection(n, candidates, "sample_boundary")

    def _boundary_grid(self, n: int, selected: np.ndarray):
        whole, valid = self._part_measures()[selected], self._valid_part_measures()[selected]
        if valid.sum() <= 0:
            self._empty("sample_boundary", 0)
        parts, params = [], []
        for part, count, full, inside in zip(selected, _allocate(n, valid), whole, valid,
                                              strict=True):
            if count:  # a grid on the whole part, dense enough that about `count` are valid
                density = count * full / inside
                for _ in range(8):  # a coarse grid can miss a small valid arc: refine
                    u = _unit_grid(self._part_extent(part), density)
                    keep = self._boundary_valid_at(np.full(len(u), part), u)
                    if keep.sum() >= max(1, count // 2):
                        break
                    density *= 2
                parts.append(np.full(keep.sum(), part))
                params.append(u[keep])
        return np.concatenate(parts), np.concatenate(params)

    @cached_property
    def _compiled_adf(self) -> Callable:
        # one compilation per shape, dtype and part selection; called eagerly (plots, the scale
        # below) the many small operations would otherwise each be compiled on their own
        return jax.jit(self._adf, static_argnums=1)

    def _signed_adf(self, x: jax.Array) -> jax.Array:
        """Scaled distance to the whole boundary, negative outside (set operations use it)."""
        mask = (True,) * len(self.boundary_parts)
        return self._adf(x, mask) / self._adf_scale(mask)

    def _adf_scale(self, mask: tuple[bool, ...]) -> float:
        if not self._scaled:
            return 1.0
        scales = self.__dict__.setdefault("_scales", {})
        if mask not in scales:
            points = self.sample_interior(_SCALE_POINTS, seed=20220101)
            with jax.ensure_compile_time_eval():  # a constant, also when called under jit
                top = float(np.max(np.asarray(self._compiled_adf(jnp.asarray(points), mask))))
            scales[mask] = top if np.isfinite(top) and top > 0 else 1.0
        return scales[mask]

