"""Domains for collocation PDE solvers: membership, sampling, outward normals, distance functions.

Every domain has ``dim``, ``boundary_parts`` (names of boundary pieces a condition can select),
``bounding_box`` (``(lo, hi)``, float64 ``(dim,)``), ``measure``, ``boundary_measure``,
``contains(points)``, ``sample_interior(n, seed, method)``, ``sample_boundary(n, seed, method,
part)`` and ``distance(x, parts)``. Sampling is seeded, vectorised NumPy and returns float64;
``distance`` is pure JAX (jit, vmap, forward and reverse mode) and keeps the input dtype.

Part names: Interval ``left, right``; Rectangle ``left, right, bottom, top``; Box
``x0_min, x0_max, x1_min, ...``; Disk ``circle``; Annulus ``inner, outer``; Polygon ``edge0,
edge1, ...`` (edge i joins vertex i to vertex i+1 in the order given) or ``edge_names``. A set
operation has the parts of its first operand, then those of the second; a name of the second
that is already taken gets the first free suffix ``_2``, ``_3``, ... (two Disks: ``circle,
circle_2``).

Distance functions (Sukumar & Srivastava 2022, CMAME 389, 114333) for hard Dirichlet
conditions ``u = g + d(x) N(x)``: d = 0 on the selected parts, d > 0 and smooth inside, largest
value inside about 1. Boxes: products of ``(x_k - a_k)/L_k`` and ``(b_k - x_k)/L_k``
(``4 (x_k - a_k)(b_k - x_k)/L_k²`` when both faces are selected); Disk ``1 - |x-c|²/r²``;
Annulus ``(|x-c|² - r₁²)(r₂² - |x-c|²)`` normalised; Polygon: the R-equivalence ``(Σ 1/φ_i)⁻¹``
of trimmed segment functions φ_i; set operations: the R-function ``d1 + d2 - sqrt(d1² + d2²)``
of the operands' signed functions (with De Morgan signs), or, for a subset of parts, the
R-equivalence of the selected parts' functions trimmed to the domain. Polygons and set
operations are divided by their maximum over 2048 seeded interior points, computed once per part
selection. Set operations that need the outside of a Box of 3+ dimensions raise
NotImplementedError (use a soft condition there).

Counts: "uniform", "sobol" and "halton" give exactly n points. "grid" gives about n: interior
grids are cell midpoints of the bounding box that fall strictly inside (a box: the nearest
product of per-axis counts, n/2 < m < 2n; other shapes: spacing retuned until m is within
0.8 n .. 1.25 n where possible); boundary grids are exact for 2-D shapes that are not set
operations. 1-D boundaries are their end points, once each.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NoReturn

import jax
import jax.numpy as jnp
import numpy as np

METHODS = ("uniform", "grid", "sobol", "halton")
_CONTAINS_RTOL = 1e-6  # contains(): points this close (relative to the box diagonal) are inside
_STRICT_RTOL = 1e-9  # sampled points keep this distance from boundaries they must not touch
_EMPTY_AFTER = 1_000_000  # candidates without a hit before a domain is declared empty
_MAX_DRAWS = 20_000_000
_MC_POINTS = 200_000  # Monte Carlo points for the measure of a set operation
_SCALE_POINTS = 2048  # interior points that fix the scale of a distance function


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


# ---------------------------------------------------------------- checks at the door
def _real(value: Any, argument: str) -> float:
    if isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 0:
        value = np.asarray(value).item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{argument}: expected a real number, got {type(value).__name__} "
                        f"{value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"{argument}: expected a finite number, got {value}.")
    return float(value)


def _array(value: Any, argument: str) -> np.ndarray:
    """`value` as a finite float64 array, or a TypeError/ValueError that says what came."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{argument}: expected an array of real numbers, got {value!r}.") from error
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{argument}: expected real numbers, got {value!r} (dtype {array.dtype}).")
    if not np.isfinite(array).all():
        raise ValueError(f"{argument}: expected finite coordinates, got NaN or inf in "
                         f"{array.tolist()!r:.200}. Remove or replace those values.")
    return array.astype(np.float64)


def _vector(value: Any, argument: str, length: int | None = None) -> np.ndarray:
    array = np.atleast_1d(_array(value, argument))
    if array.ndim != 1 or (length is not None and array.size != length):
        expected = f"{length} coordinates" if length else "a flat list of coordinates"
        raise ValueError(f"{argument}: expected {expected}, got shape {array.shape}.")
    return array


def _check_extent(lo: np.ndarray, hi: np.ndarray, where: str) -> None:
    """The bounding box `lo`, `hi`, its volume and diagonal must be finite in float64, and
    hi > lo on every axis."""
    with np.errstate(over="ignore", invalid="ignore"):
        sizes = [np.prod(hi - lo), np.sum((hi - lo) ** 2)]
    if not np.isfinite([*lo, *hi, *sizes]).all():
        raise ValueError(f"{where}: the domain spans {lo.tolist()} to {hi.tolist()}, too large "
                         "for float64 arithmetic (its size overflows). Rescale the coordinates, "
                         "e.g. nondimensionalise the problem.")
    if np.any(hi <= lo):
        raise ValueError(f"{where}: the domain spans {lo.tolist()} to {hi.tolist()}, with no "
                         f"extent along axis {int(np.argmax(hi <= lo))}: a degenerate shape, or "
                         "one smaller than the resolution of float64 at its coordinates (then "
                         "shift the coordinates nearer the origin).")


def _integer(value: Any, argument: str, minimum: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument}: expected an int, got {type(value).__name__} {value!r}; "
                        f"pass int({value!r}) if that is what you mean.")
    if value < minimum:
        raise ValueError(f"{argument}: expected {what}, got {value}.")
    return int(value)


def _method(method: Any, argument: str) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"{argument}: unknown sampling method {method!r}; expected one of "
                         f"{list(METHODS)}.")
    return method


# ---------------------------------------------------------------- sampling helpers
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


# ---------------------------------------------------------------- distance-function pieces
def _conjunction(a: jax.Array, b: jax.Array) -> jax.Array:
    """R-function of A ∩ B: > 0 iff both are; `tiny` keeps the gradient finite where a = b = 0."""
    return a + b - jnp.sqrt(a**2 + b**2 + jnp.finfo(a.dtype).tiny)


def _trim(phi: jax.Array, t: jax.Array) -> jax.Array:
    """Zero exactly where phi = 0 and t >= 0, positive elsewhere (Sukumar & Srivastava eq. 10)."""
    return jnp.sqrt(phi**2 + ((jnp.sqrt(t**2 + phi**4) - t) / 2) ** 2)


def _segment_functions(x: jax.Array, starts: np.ndarray, ends: np.ndarray) -> jax.Array:
    """Trimmed distance φ (n, k) from points x (n, 2) to the segments starts_i -> ends_i."""
    cast = lambda a: jnp.asarray(a, x.dtype)  # constants must not promote x's dtype
    direction = ends - starts
    length = np.linalg.norm(direction, axis=1)
    relative = x[:, None, :] - cast(starts)
    line = (relative[..., 0] * cast(direction[:, 1] / length)
            - relative[..., 1] * cast(direction[:, 0] / length))
    from_middle = jnp.sum((x[:, None, :] - cast((starts + ends) / 2)) ** 2, axis=-1)
    return _trim(line, (cast((length / 2) ** 2) - from_middle) / cast(length))


def _r_equivalence(phis: jax.Array) -> jax.Array:
    """(Σ_i 1/φ_i)⁻¹ over the last axis: zero where any φ_i is, smooth where all are positive."""
    return 1 / jnp.sum(1 / phis, axis=-1)


class Domain:
    """Base class: the checks, sampling and set operators shared by every domain.

    A subclass provides ``dim``, ``boundary_parts``, ``bounding_box``, ``measure``, and:
    ``_signed_distance(points)`` (NumPy (n,), > 0 inside, < 0 outside; membership only),
    ``_part_measures()`` (length/area per part), ``_boundary_at(part (m,), u (m, dim-1))``
    (points and outward normals at parameters u in [0, 1)), ``_adf(x, mask)`` (the unscaled
    distance function, zero on the parts where mask is True) and ``_part_adf(x, part)`` (>= 0,
    zero exactly on that part, smooth off it; set operations use it).
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
        n = _integer(n, "sample_interior(n=...)", 1, "at least 1 point")
        seed = _integer(seed, "sample_interior(seed=...)", 0, "a non-negative seed")
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
        n = _integer(n, "sample_boundary(n=...)", 1, "at least 1 point")
        seed = _integer(seed, "sample_boundary(seed=...)", 0, "a non-negative seed")
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

    def __sub__(self, other: Domain) -> Difference:
        return Difference(self, other)

    def __or__(self, other: Domain) -> Union:
        return Union(self, other)

    def __and__(self, other: Domain) -> Intersection:
        return Intersection(self, other)

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


_NOT_3D = ("{where}: distance functions of set operations need the outside of a {dim}-D Box, "
           "which has no smooth signed distance function here. Impose this Dirichlet "
           "condition softly (hard=False), or use the Box on its own.")


# ---------------------------------------------------------------- boxes
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
        return self._lo.copy(), self._hi.copy()

    @property
    def measure(self) -> float:
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


# ---------------------------------------------------------------- round domains
class _Round(Domain):
    """Disks and rings about `center`; boundary points by angle 2πu."""

    dim = 2

    def _radius_squared(self, x: jax.Array) -> jax.Array:
        return jnp.sum((x - jnp.asarray(self.center, x.dtype)) ** 2, axis=1)

    @staticmethod
    def _radial(u: np.ndarray) -> np.ndarray:
        return np.column_stack([np.cos(2 * np.pi * u[:, 0]), np.sin(2 * np.pi * u[:, 0])])


class Disk(_Round):
    """The disk |x - center| <= radius. Part: ``circle``."""

    boundary_parts = ("circle",)

    def __init__(self, center: Sequence[float], radius: float):
        self.center = _vector(center, "Disk(center=...)", length=2)
        self.radius = _real(radius, "Disk(radius=...)")
        if self.radius <= 0:
            raise ValueError(f"Disk(radius={radius}): expected a positive radius.")
        _check_extent(*self.bounding_box, "Disk(center, radius)")

    def __repr__(self) -> str:
        return f"Disk(center={tuple(self.center.tolist())}, radius={self.radius})"

    @property
    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        return self.center - self.radius, self.center + self.radius

    @property
    def measure(self) -> float:
        return math.pi * self.radius**2

    def _signed_distance(self, points: np.ndarray) -> np.ndarray:
        return self.radius - np.linalg.norm(points - self.center, axis=1)

    def _part_measures(self) -> np.ndarray:
        return np.array([2 * math.pi * self.radius])

    def _boundary_at(self, part: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        normals = self._radial(u)
        return self.center + self.radius * normals, normals

    def _adf(self, x: jax.Array, mask: tuple[bool, ...]) -> jax.Array:
        return 1 - self._radius_squared(x) / self.radius**2

    def _part_adf(self, x: jax.Array, part: int) -> jax.Array:
        return jnp.abs(self._adf(x, (True,)))


class Annulus(_Round):
    """The ring inner_radius <= |x - center| <= outer_radius. Parts: ``inner``, ``outer``."""

    boundary_parts = ("inner", "outer")

    def __init__(self, center: Sequence[float], inner_radius: float, outer_radius: float):
        self.center = _vector(center, "Annulus(center=...)", length=2)
        self.inner_radius = _real(inner_radius, "Annulus(inner_radius=...)")
        self.outer_radius = _real(outer_radius, "Annulus(outer_radius=...)")
        if not 0 < self.inner_radius < self.outer_radius:
            raise ValueError(f"Annulus(inner_radius={inner_radius}, outer_radius={outer_radius})"
                             ": expected 0 < inner_radius < outer_radius (use Disk for no hole).")
        _check_extent(*self.bounding_box, "Annulus(center, outer_radius)")

    def __repr__(self) -> str:
        return (f"Annulus(center={tuple(self.center.tolist())}, inner_radius="
                f"{self.inner_radius}, outer_radius={self.outer_radius})")

    @property
    def bounding_box(self) -> tuple[np.ndarray, np.ndarray]:
        return self.center - self.outer_radius, self.center + self.outer_radius

    @property
    def measure(self) -> float:
        return math.pi * (self.outer_radius**2 - self.inner_radius**2)

    def _signed_distance(self, points: np.ndarray) -> np.ndarray:
        rho = np.linalg.norm(points - self.center, axis=1)
        return np.minimum(rho - self.inner_radius, self.outer_radius - rho)

    def _part_measures(self) -> np.ndarray:
        return 2 * math.pi * np.array([self.inner_radius, self.outer_radius])

    def _boundary_at(self, part: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        radial = self._radial(u)
        radius = np.where(part == 0, self.inner_radius, self.outer_radius)[:, None]
        return self.center + radius * radial, np.where(part[:, None] == 0, -radial, radial)

    def _rings(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """((ρ² - r₁²), (r₂² - ρ²)) / (r₂² - r₁²): zero on the inner / the outer circle."""
        squared, r1, r2 = self._radius_squared(x), self.inner_radius**2, self.outer_radius**2
        return (squared - r1) / (r2 - r1), (r2 - squared) / (r2 - r1)

    def _adf(self, x: jax.Array, mask: tuple[bool, ...]) -> jax.Array:
        inner, outer = self._rings(x)
        return 4 * inner * outer if all(mask) else (inner if mask[0] else outer)

    def _part_adf(self, x: jax.Array, part: int) -> jax.Array:
        return jnp.abs(self._rings(x)[part])


# ---------------------------------------------------------------- polygons
class Polygon(Domain):
    """A simple polygon from its corners (k, 2), k >= 3, in either orientation.

    Parts: ``edge0, edge1, ...``, edge i joining vertex i to vertex i+1 (the last one back to
    vertex 0) in the order given, or the names in `edge_names`. ``vertices`` holds the corners
    counter-clockwise. Self-intersection is detected for up to 1000 vertices.
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
        if abs(area) <= 1e-12 * extent**2:
            raise ValueError("Polygon(vertices=...): the polygon has zero area (collinear "
                             "vertices?); give the corners of a 2-D region.")
        crossing = _first_crossing(starts, ends) if len(given) <= 1000 else None
        if crossing is not None:
            raise ValueError(f"Polygon(vertices=...): edges {crossing[0]} and {crossing[1]} "
                             "intersect; give the corners of a simple polygon in boundary order.")
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
        return self.vertices.min(axis=0), self.vertices.max(axis=0)

    @property
    def measure(self) -> float:
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


def _first_crossing(starts: np.ndarray, ends: np.ndarray) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges that touch or cross, or None."""
    k = len(starts)
    i, j = np.triu_indices(k, 1)
    keep = (j != i + 1) & ~((i == 0) & (j == k - 1))
    i, j = i[keep], j[keep]
    a, b, c, d = starts[i], ends[i], starts[j], ends[j]

    def cross(o, p, q):
        return (p[:, 0] - o[:, 0]) * (q[:, 1] - o[:, 1]) - (p[:, 1] - o[:, 1]) * (q[:, 0] - o[:, 0])

    o1, o2, o3, o4 = cross(a, b, c), cross(a, b, d), cross(c, d, a), cross(c, d, b)
    apart = ((np.minimum(a, b) > np.maximum(c, d)) | (np.maximum(a, b) < np.minimum(c, d))).any(1)
    hit = (o1 * o2 <= 0) & (o3 * o4 <= 0) & ~((o1 == 0) & (o2 == 0) & apart)
    return (int(i[np.argmax(hit)]), int(j[np.argmax(hit)])) if hit.any() else None


# ---------------------------------------------------------------- set operations
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
        """The operand part's function, trimmed to zero only where that part bounds the result."""
        operand, local = self._operand(part)
        return _trim(operand._part_adf(x, local), inside)

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


__all__ = ["METHODS", "Annulus", "BoundarySample", "Box", "Difference", "Disk", "Domain",
           "Intersection", "Interval", "Polygon", "Rectangle", "Union"]
