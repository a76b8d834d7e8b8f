"""Finite-element references for PINNacle's Poisson2d-C and NS2d-C (lid-driven cavity).

Both are computed here with scikit-fem, refined until the answer stops moving, and carry their
own error estimate:

- **Poisson2d-C**, Laplace's equation on the square with four holes (`pinnacle.POISSON2D_C`),
  with cubic Lagrange elements on curved (isoparametric P2) meshes that follow the circles
  (`holed_square.py`). The problem is symmetric under x -> -x and y -> -y, so the first quadrant
  is solved with natural (zero-flux) conditions on the symmetry lines and mirrored.
- **NS2d-C**, steady incompressible Navier-Stokes at nu = 1/100 with the lid u = 4x(1 - x)
  (`pinnacle.NS2D_C`), with Taylor-Hood elements (P3 velocity, P2 pressure) on a tensor mesh
  graded towards the walls, by Newton's method from the Stokes solution (or from the next
  coarser mesh), `navier_stokes.py`. The pressure is fixed by p(0, 0) = 0, PINNacle's
  condition. The pressure is log-singular at the lid's two corners (the lid's speed vanishes
  there only linearly), so those two points are left out of the evaluation points.

Each refinement level halves the mesh; the error of the finest level is estimated from the
changes between levels (Richardson, with the observed order). Solutions are cached as their
coefficient vectors under `~/.cache/jaxnn-benchmarks/references` (or `$JAXNN_BENCHMARK_CACHE`);
the first call computes them (minutes), later calls read them.

    from references import fem
    reference = fem.poisson2d_c_reference()            # on fem.poisson2d_c_points()
    reference.points, reference.values, reference.error_estimate

Run `python benchmarks/references/fem.py poisson2d_c|ns2d_c` for the refinement table (one JSON
line per level) and add `--pinnacle-file PATH` to compare with PINNacle's own file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from skfem import Basis, BilinearForm, ElementTriP2, ElementTriP3, LinearForm
from skfem.helpers import dot, grad

try:
    from .holed_square import HoledSquare, HoledSquareMesh, holed_square_mesh
    from .navier_stokes import RectangleMesh, solve_navier_stokes
    from .sparse_direct import constrained_solver
except ImportError:  # run as a script
    from holed_square import HoledSquare, HoledSquareMesh, holed_square_mesh
    from navier_stokes import RectangleMesh, solve_navier_stokes
    from sparse_direct import constrained_solver

# Bump when a solver changes, so stale cached solutions are not reused.
SOLVER_VERSION = 1
POISSON_LEVELS = (1, 2, 3, 4)
POISSON_DEGREE = 3
CAVITY_CELLS = (16, 32, 64)
CAVITY_DEGREE = 3
CAVITY_VISCOSITY = 1.0 / 100.0
CAVITY_LID_AMPLITUDE = 4.0
# Cells at the cavity's walls are (1 - CAVITY_GRADING) times the mean width (RectangleMesh).
CAVITY_GRADING = 0.97


@dataclass(frozen=True)
class Reference:
    """A reference solution at given points, with its estimated error.

    Attributes:
        points: (n, 2) evaluation points.
        values: (n, fields) reference values there.
        fields: names of the columns of `values`.
        error_estimate: estimated relative L2 error of `values` over the points (all fields
            together), from the changes between the finest levels.
        levels: one dict per refinement level: its size (`dofs`) and the relative L2 `change`
            of the values at the points from the previous level.
    """

    points: np.ndarray
    values: np.ndarray
    fields: tuple[str, ...]
    error_estimate: float
    levels: tuple[dict, ...] = field(default=())


def cache_dir() -> Path:
    """Where solutions are kept: `$JAXNN_BENCHMARK_CACHE` or ~/.cache/jaxnn-benchmarks."""
    root = os.environ.get("JAXNN_BENCHMARK_CACHE") or Path.home() / ".cache" / "jaxnn-benchmarks"
    return Path(root) / "references"


def _cached(name: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    path = cache_dir() / f"{name}-v{SOLVER_VERSION}.npz"
    if path.exists():
        with np.load(path) as stored:
            return dict(stored)
    arrays = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, **arrays)
    temporary.replace(path)
    return arrays


def _solve_constrained(matrix, right_hand_side, fixed, fixed_values):
    """Solve matrix x = right_hand_side with x[fixed] = fixed_values."""
    return constrained_solver(matrix, fixed)(right_hand_side, fixed_values)


def _relative_change(new: np.ndarray, old: np.ndarray) -> float:
    return float(np.linalg.norm(new - old) / np.linalg.norm(new))


def _error_estimate(changes: list[float], nominal_order: float) -> float:
    """Richardson estimate of the finest level's error from the changes between levels.

    With an observed order p (from the last two changes, at most `nominal_order`), the error of
    the finest level is its change / (2^p - 1). With one change only, the change itself.
    """
    if len(changes) < 2 or changes[-1] == 0.0:
        return changes[-1] if changes else float("nan")
    order = min(np.log2(changes[-2] / changes[-1]), nominal_order)
    if order <= 0.5:  # not converging at a measurable rate: report the change itself
        return changes[-1]
    return changes[-1] / (2.0**order - 1.0)


# --- Poisson2d-C ---------------------------------------------------------------------------

POISSON_GEOMETRY = HoledSquare(half_width=0.5, hole_offset=0.3, hole_radius=0.1)


@BilinearForm
def _laplace(u, v, w):
    return dot(grad(u), grad(v))


def _element(function: str, degree: int):
    element = {2: ElementTriP2(), 3: ElementTriP3()}.get(degree)
    if element is None:
        raise ValueError(f"{function}(degree=...): expected 2 or 3, got {degree!r}.")
    return element


def solve_holed_poisson(holed: HoledSquareMesh, degree: int,
                        boundary_values: Callable[[np.ndarray], np.ndarray],
                        source: Callable[[np.ndarray], np.ndarray] | None = None):
    """-(u_xx + u_yy) = source on a holed-square mesh, u = boundary_values on its boundary.

    On a one-quadrant mesh the boundary on the symmetry lines x = 0 and y = 0 gets zero flux
    instead (the natural condition), which is right for solutions even in x and in y.

    Args:
        holed: the mesh (`holed_square_mesh`).
        degree: 2 or 3, the degree of the Lagrange elements.
        boundary_values: (2, n) points -> (n,) Dirichlet data, taken at the boundary nodes.
        source: (2, ...) points -> values of the source; None for Laplace's equation.

    Returns:
        (basis, coefficients): the scikit-fem basis and the solution's coefficients.
    """
    basis = Basis(holed.mesh, _element("solve_holed_poisson", degree), intorder=2 * degree + 2)
    mesh = holed.mesh
    boundary = mesh.boundary_facets()
    ends = mesh.p[:, mesh.facets[:, boundary]]  # (2 coordinates, 2 ends, facets)
    on_symmetry_line = np.any(np.all(np.abs(ends) < 1e-12, axis=1), axis=0)
    fixed = basis.get_dofs(boundary[~on_symmetry_line]).all()
    right_hand_side = np.zeros(basis.N)
    if source is not None:
        right_hand_side = LinearForm(lambda v, w: source(w.x) * v).assemble(basis)
    coefficients = _solve_constrained(_laplace.assemble(basis), right_hand_side, fixed,
                                      boundary_values(basis.doflocs[:, fixed]))
    return basis, coefficients


def _poisson2d_c_boundary_values(points: np.ndarray) -> np.ndarray:
    """1 on the outer square, 0 on the circles (points (2, n) of the boundary)."""
    on_square = np.any(np.abs(np.abs(points) - POISSON_GEOMETRY.half_width) < 1e-12, axis=0)
    return on_square.astype(float)


def solve_poisson2d_c(level: int, degree: int = POISSON_DEGREE):
    """Laplace's equation on the first quadrant of Poisson2d-C's domain at refinement `level`.

    u = 1 on the outer square, u = 0 on the circle, zero flux on the symmetry lines x = 0 and
    y = 0 (the whole problem is symmetric under x -> -x and y -> -y).

    Returns:
        (mesh, basis, coefficients): the `HoledSquareMesh` of the quadrant, the scikit-fem
        basis and the solution's coefficient vector.
    """
    _element("solve_poisson2d_c", degree)
    holed = holed_square_mesh(POISSON_GEOMETRY, level, quadrants=1)
    basis, coefficients = solve_holed_poisson(holed, degree, _poisson2d_c_boundary_values)
    return holed, basis, coefficients


def _poisson_coefficients(level: int, degree: int) -> np.ndarray:
    def compute():
        return {"u": solve_poisson2d_c(level, degree)[2]}

    return _cached(f"poisson2d_c-P{degree}-level{level}", compute)["u"]


def poisson2d_c_values(points: np.ndarray, level: int, degree: int = POISSON_DEGREE) -> np.ndarray:
    """The level-`level` finite-element solution at `points`, (n, 2) -> (n,)."""
    points = _check_points("poisson2d_c_values", points)
    if not np.all(POISSON_GEOMETRY.inside(points, tol=1e-9)):
        raise ValueError("poisson2d_c_values(points): some points lie outside the domain (in a"
                         " hole or outside the square); pass points of the domain only.")
    holed = holed_square_mesh(POISSON_GEOMETRY, level, quadrants=1)
    basis = Basis(holed.mesh, _element("poisson2d_c_values", degree))
    probes = holed.probes(basis, np.abs(points))  # the solution is even in x and in y
    return probes @ _poisson_coefficients(level, degree)


def poisson2d_c_points(per_side: int = 101) -> np.ndarray:
    """The default evaluation points: a per_side^2 grid of the square, those in the domain."""
    axis = np.linspace(-0.5, 0.5, per_side)
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    return grid[POISSON_GEOMETRY.inside(grid)]


def poisson2d_c_reference(points: np.ndarray | None = None,
                          levels: tuple[int, ...] = POISSON_LEVELS) -> Reference:
    """Poisson2d-C's reference at `points` (default `poisson2d_c_points()`), with its error.

    Args:
        points: (n, 2) points of the domain.
        levels: the refinement levels solved; the last is the reference, the others give the
            error estimate.

    Returns:
        A `Reference` with one field, "u".
    """
    points = poisson2d_c_points() if points is None else _check_points(
        "poisson2d_c_reference", points)
    history, changes, previous = [], [], None
    for level in levels:
        values = poisson2d_c_values(points, level)
        change = None if previous is None else _relative_change(values, previous)
        if change is not None:
            changes.append(change)
        history.append({"level": level, "change": change})
        previous = values
    return Reference(points, previous[:, None], ("u",),
                     _error_estimate(changes, nominal_order=POISSON_DEGREE + 1), tuple(history))


# --- NS2d-C: the lid-driven cavity ---------------------------------------------------------


def _lid_velocity(points: np.ndarray) -> np.ndarray:
    """The cavity's wall velocity: (a x (1 - x), 0) on the lid y = 1, zero elsewhere."""
    x, y = points
    on_lid = np.isclose(y, 1.0)
    return np.stack([np.where(on_lid, CAVITY_LID_AMPLITUDE * x * (1.0 - x), 0.0),
                     np.zeros_like(x)])


def solve_ns2d_c(cells: int, initial: Callable[[np.ndarray], np.ndarray] | None = None):
    """NS2d-C on the `cells`-per-side graded mesh: (state, Newton iterations).

    See `navier_stokes.solve_navier_stokes`; p(0, 0) = 0 as in PINNacle.
    """
    return solve_navier_stokes(RectangleMesh(cells, grading=CAVITY_GRADING), CAVITY_VISCOSITY,
                               _lid_velocity,
                               pressure_point=(0.0, 0.0), degree=CAVITY_DEGREE, initial=initial)


def _cavity_state(cells: int) -> np.ndarray:
    def compute():
        coarser = [count for count in CAVITY_CELLS if count < cells]
        initial = None
        if coarser:
            previous = max(coarser)
            initial = lambda points: ns2d_c_values(points, previous)  # noqa: E731
        started = time.perf_counter()
        state, iterations = solve_ns2d_c(cells, initial)
        return {"state": state, "iterations": np.array(iterations),
                "seconds": np.array(time.perf_counter() - started)}

    name = (f"ns2d_c-P{CAVITY_DEGREE}P{CAVITY_DEGREE - 1}-grading{CAVITY_GRADING}"
            f"-cells{cells}")
    return _cached(name, compute)["state"]


def ns2d_c_values(points: np.ndarray, cells: int) -> np.ndarray:
    """(u, v, p) of the `cells`-per-side cavity solution at points, (n, 2) -> (n, 3)."""
    points = _check_points("ns2d_c_values", points)
    if np.any(points < -1e-12) or np.any(points > 1 + 1e-12):
        raise ValueError("ns2d_c_values(points): the cavity is the unit square; some points lie"
                         " outside it.")
    return RectangleMesh(cells, grading=CAVITY_GRADING).fields(
        _cavity_state(cells), np.clip(points, 0.0, 1.0), CAVITY_DEGREE)


def ns2d_c_points(per_side: int = 101) -> np.ndarray:
    """The default evaluation points: a per_side^2 grid of the unit square, walls included,
    less the lid's two corners (0, 1) and (1, 1), where the pressure is infinite."""
    axis = np.linspace(0.0, 1.0, per_side)
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    return grid[~lid_corners(grid)]


def lid_corners(points: np.ndarray) -> np.ndarray:
    """True for the points (0, 1) and (1, 1), where the cavity's pressure is log-singular."""
    points = np.asarray(points, float)
    return np.isclose(points[:, 1], 1.0) & (np.isclose(points[:, 0], 0.0)
                                            | np.isclose(points[:, 0], 1.0))


def ns2d_c_reference(points: np.ndarray | None = None,
                     cells: tuple[int, ...] = CAVITY_CELLS) -> Reference:
    """NS2d-C's reference (u, v, p) at `points` (default `ns2d_c_points()`), with its error.

    The error estimate is that of (u, v, p) together, PINNacle's metric; `levels` also gives
    the velocity's own change per level (`velocity_change`). Points at the lid's corners get
    mesh-dependent pressures (the exact one is infinite): leave them out.
    """
    points = ns2d_c_points() if points is None else _check_points("ns2d_c_reference", points)
    history, changes, previous = [], [], None
    for count in cells:
        values = ns2d_c_values(points, count)
        entry = {"cells": count, "change": None, "velocity_change": None}
        if previous is not None:
            entry["change"] = _relative_change(values, previous)
            entry["velocity_change"] = _relative_change(values[:, :2], previous[:, :2])
            changes.append(entry["change"])
        history.append(entry)
        previous = values
    return Reference(points, previous, ("u", "v", "p"),
                     _error_estimate(changes, nominal_order=CAVITY_DEGREE), tuple(history))


def _check_points(function: str, points) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"{function}(points): expected an (n, 2) array of points, got shape"
                         f" {points.shape}.")
    return points


def compare_with_pinnacle_file(name: str, path: str | Path) -> dict:
    """Differences between our reference and PINNacle's COMSOL file, at the file's nodes.

    Args:
        name: "poisson2d_c" or "ns2d_c".
        path: the user's copy of PINNacle's `ref/poisson1_cg_data.dat` or
            `ref/lid_driven_a4.dat`.

    Returns:
        A dict of relative L2 differences: `all_fields` (PINNacle's metric over every field,
        at every node of the file), and for the cavity `velocity` (u and v together),
        `pressure`, `all_fields_without_lid_corners`, with the node counts.
    """
    try:
        from .pinnacle import read_pinnacle_file
    except ImportError:
        from pinnacle import read_pinnacle_file
    points, theirs = read_pinnacle_file(path)
    if name == "poisson2d_c":
        inside = POISSON_GEOMETRY.inside(points, tol=1e-9)
        ours = np.full_like(theirs, np.nan)
        ours[inside] = poisson2d_c_reference(points[inside]).values
        return {"problem": name, "nodes": len(points), "nodes_outside_domain": int(np.sum(~inside)),
                "all_fields": _relative_change(theirs[inside], ours[inside])}
    if name != "ns2d_c":
        raise ValueError(f"compare_with_pinnacle_file(name=...): expected 'poisson2d_c' or"
                         f" 'ns2d_c', got {name!r}.")
    ours = ns2d_c_reference(points).values
    keep = ~lid_corners(points)
    return {"problem": name, "nodes": len(points), "lid_corner_nodes": int(np.sum(~keep)),
            "all_fields": _relative_change(theirs, ours),
            "all_fields_without_lid_corners": _relative_change(theirs[keep], ours[keep]),
            "velocity": _relative_change(theirs[:, :2], ours[:, :2]),
            "pressure_without_lid_corners": _relative_change(theirs[keep, 2], ours[keep, 2]),
            "lid_corner_pressure": {"file": theirs[~keep, 2].tolist(),
                                    "ours": ours[~keep, 2].tolist()}}


def main(argv: list[str] | None = None) -> None:
    """Print the refinement table of a reference, one JSON line per level."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("problem", choices=["poisson2d_c", "ns2d_c"])
    parser.add_argument("--pinnacle-file", help="PINNacle's reference file to compare with")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    reference = (poisson2d_c_reference() if args.problem == "poisson2d_c"
                 else ns2d_c_reference())
    for level in reference.levels:
        print(json.dumps({"problem": args.problem, **level}))
    print(json.dumps({"problem": args.problem, "points": len(reference.points),
                      "error_estimate": reference.error_estimate,
                      "seconds": round(time.perf_counter() - started, 1),
                      "cache": str(cache_dir())}))
    if args.pinnacle_file:
        print(json.dumps(compare_with_pinnacle_file(args.problem, args.pinnacle_file)))


if __name__ == "__main__":
    main()
