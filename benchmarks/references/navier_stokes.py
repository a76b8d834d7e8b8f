"""Steady incompressible Navier-Stokes on a rectangle: Taylor-Hood elements, Newton's method.

    (u . grad) u + grad p - nu (u_xx + u_yy) = 0,   div u = 0,

with the velocity given on the whole boundary and the pressure fixed at one point. Velocity
and pressure are Lagrange elements of degrees k and k - 1 (Taylor-Hood, k = 2 or 3) on a
tensor triangle mesh graded towards the walls. Newton starts from the Stokes solution, or from
a given guess (a coarser solution), and reuses its factorised Jacobian while the steps shrink
fast. `RectangleMesh.fields` evaluates a solution at arbitrary points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from skfem import (Basis, BilinearForm, ElementTriP1, ElementTriP2, ElementTriP3, ElementVector,
                   LinearForm, MeshTri)
from skfem.helpers import ddot, div, dot, grad, mul

try:
    from .holed_square import element_probes
    from .sparse_direct import constrained_solver
except ImportError:  # run as a script
    from holed_square import element_probes
    from sparse_direct import constrained_solver


@dataclass(frozen=True)
class RectangleMesh:
    """A tensor triangle mesh of `box`, `cells` per side, graded towards the walls.

    The vertices along each side sit at xi - grading sin(2 pi xi) / (2 pi) (xi uniform, mapped
    onto the side): cells at the walls are (1 - grading) times the mean width. Vertex (i, j) is
    number i (cells + 1) + j; cell (i, j) holds elements 2 (i cells + j) (below its diagonal)
    and 2 (i cells + j) + 1 (above), which `locate` relies on.
    """

    cells: int
    box: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 1.0), (0.0, 1.0))
    grading: float = 0.9

    def axis(self, which: int) -> np.ndarray:
        xi = np.linspace(0.0, 1.0, self.cells + 1)
        low, high = self.box[which]
        return low + (high - low) * (xi - self.grading * np.sin(2 * np.pi * xi) / (2 * np.pi))

    def mesh(self) -> MeshTri:
        n = self.cells
        x, y = np.meshgrid(self.axis(0), self.axis(1), indexing="ij")
        index = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
        i, j = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
        lower = [index[i, j], index[i + 1, j], index[i + 1, j + 1]]
        upper = [index[i, j], index[i + 1, j + 1], index[i, j + 1]]
        triangles = np.stack([np.stack(lower), np.stack(upper)], axis=2).reshape(3, -1)
        return MeshTri(np.stack([x.ravel(), y.ravel()]), triangles)

    def locate(self, points: np.ndarray) -> np.ndarray:
        """Element holding each point, (n, 2) -> (n,)."""
        n = self.cells
        position = []
        for which in (0, 1):
            axis = self.axis(which)
            k = np.clip(np.searchsorted(axis, points[:, which], side="right") - 1, 0, n - 1)
            position.append((k, (points[:, which] - axis[k]) / (axis[k + 1] - axis[k])))
        (i, a), (j, b) = position
        return 2 * (i * n + j) + (b > a)

    def probes(self, basis: Basis, points: np.ndarray):
        """Sparse matrix evaluating a scalar field of `basis` (on `mesh()`) at points (n, 2)."""
        element = self.locate(points)
        local = basis.mapping.invF(np.asarray(points, float).T[:, :, None], tind=element)
        return element_probes(basis, element, local)

    def fields(self, state: np.ndarray, points: np.ndarray, degree: int) -> np.ndarray:
        """(u, v, p) of a `solve_navier_stokes` state at points, (n, 2) -> (n, 3)."""
        velocity, pressure = taylor_hood_bases(self.mesh(), degree)
        at_points = self.probes(velocity.split_bases()[0], points)
        columns = [at_points @ state[:velocity.N][index] for index in velocity.split_indices()]
        columns.append(self.probes(pressure, points) @ state[velocity.N:])
        return np.stack(columns, axis=1)


def taylor_hood_bases(mesh: MeshTri, degree: int):
    """Velocity basis of `degree` (2 or 3) and pressure basis one degree lower, on `mesh`."""
    elements = {2: (ElementTriP2(), ElementTriP1()), 3: (ElementTriP3(), ElementTriP2())}
    if degree not in elements:
        raise ValueError(f"taylor_hood_bases(degree=...): expected 2 or 3, got {degree!r}.")
    velocity_element, pressure_element = elements[degree]
    velocity = Basis(mesh, ElementVector(velocity_element), intorder=3 * degree)
    pressure = Basis(mesh, pressure_element, quadrature=velocity.quadrature)
    return velocity, pressure


@BilinearForm
def _viscous(u, v, w):
    return w["nu"] * ddot(grad(u), grad(v))


@BilinearForm
def _jacobian(du, v, w):
    return (w["nu"] * ddot(grad(du), grad(v))
            + dot(mul(grad(w["u"]), du) + mul(grad(du), w["u"]), v))


@BilinearForm
def _divergence(u, q, w):
    return -div(u) * q


@LinearForm
def _momentum_residual(v, w):
    return (w["nu"] * ddot(grad(w["u"]), grad(v)) + dot(mul(grad(w["u"]), w["u"]), v)
            - w["p"] * div(v))


@LinearForm
def _continuity_residual(q, w):
    return -div(w["u"]) * q


def solve_navier_stokes(grid: RectangleMesh, viscosity: float,
                        wall_velocity: Callable[[np.ndarray], np.ndarray],
                        pressure_point: tuple[float, float], pressure_value: float = 0.0,
                        degree: int = 3,
                        initial: Callable[[np.ndarray], np.ndarray] | None = None,
                        tolerance: float = 1e-10, max_iterations: int = 25):
    """Steady Navier-Stokes on `grid` with the velocity given on the boundary.

    Args:
        grid: the mesh.
        viscosity: nu.
        wall_velocity: (2, n) boundary points -> (2, n) velocity there.
        pressure_point: p is fixed at the mesh vertex nearest this point...
        pressure_value: ...to this value.
        degree: Taylor-Hood pair: velocity of `degree`, pressure of `degree - 1`.
        initial: optional (n, 2) -> (n, 3) fields (u, v, p) to start Newton from; by default
            the Stokes solution.
        tolerance: Newton stops when its step is below tolerance times the largest velocity.
        max_iterations: Newton's limit; exceeding it raises RuntimeError.

    Returns:
        (state, iterations): the velocity coefficients followed by the pressure ones, and the
        number of Newton steps taken.
    """
    velocity, pressure = taylor_hood_bases(grid.mesh(), degree)
    n_velocity = velocity.N
    walls = velocity.get_dofs().all()
    component = np.zeros(n_velocity, dtype=int)
    component[velocity.split_indices()[1]] = 1
    state = np.zeros(n_velocity + pressure.N)
    state[walls] = wall_velocity(velocity.doflocs[:, walls])[component[walls], np.arange(
        len(walls))]
    corner = int(np.argmin(np.linalg.norm(
        pressure.doflocs - np.asarray(pressure_point, float)[:, None], axis=0)))
    fixed = np.concatenate([walls, [n_velocity + corner]])
    state[n_velocity + corner] = pressure_value
    divergence = _divergence.assemble(velocity, pressure)
    if initial is None:
        stokes = sparse.bmat([[_viscous.assemble(velocity, nu=viscosity), divergence.T],
                              [divergence, None]], "csr")
        state = constrained_solver(stokes, fixed)(np.zeros(len(state)), state[fixed])
    else:
        guess = np.concatenate([
            initial(velocity.doflocs.T)[np.arange(n_velocity), component],
            initial(pressure.doflocs.T)[:, 2]])
        guess[fixed] = state[fixed]
        state = guess
    # Newton's method, reusing the factorised Jacobian while its steps shrink fast (a chord
    # iteration: from a coarser solution one factorisation usually suffices)
    solve, previous_step = None, np.inf
    for iteration in range(1, max_iterations + 1):
        u_field = velocity.interpolate(state[:n_velocity])
        p_field = pressure.interpolate(state[n_velocity:])
        residual = np.concatenate([
            _momentum_residual.assemble(velocity, u=u_field, p=p_field, nu=viscosity),
            _continuity_residual.assemble(pressure, u=u_field)])
        if solve is None:
            jacobian = _jacobian.assemble(velocity, u=u_field, nu=viscosity)
            solve = constrained_solver(
                sparse.bmat([[jacobian, divergence.T], [divergence, None]], "csr"), fixed)
        step = solve(-residual, np.zeros(len(fixed)))
        state = state + step
        size = np.max(np.abs(step))
        if size < tolerance * np.max(np.abs(state[:n_velocity])):
            return state, iteration
        if size > 1e-2 * previous_step:
            solve = None  # converging slowly: refactorise at the next iterate
        previous_step = size
    raise RuntimeError(f"solve_navier_stokes(cells={grid.cells}): Newton did not converge in"
                       f" {max_iterations} iterations.")
