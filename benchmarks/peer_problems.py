"""The problems of DeepXDE's example suite that `pinn_peer.py` runs, with their oracles.

One place holds, for each problem, what both contenders are measured against: the test points
(a fixed grid, the same for pinn and DeepXDE), the reference solution at those points (exact
where one exists, otherwise computed here independently of either PINN: Cole-Hopf quadrature
for Burgers, a fourth-order method of lines for Allen-Cahn, `solve_ivp` for the ODE systems)
and, for the inverse problems, the true coefficients and the observations both are given.
The equations, domains and constants are those of DeepXDE's examples (deepxde/examples/pinn_forward
and pinn_inverse), so its published settings apply unchanged.

    from peer_problems import PROBLEMS
    problem = PROBLEMS["burgers"]
    points, values = problem.test_points(), problem.reference()   # (n, dim), (n, fields)
    problem.error(predicted)                                       # relative L2 over all fields

NumPy and SciPy only: no JAX, no torch, so either side imports it without the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from scipy import sparse
from scipy.integrate import solve_ivp

PI = np.pi


@dataclass(frozen=True)
class PeerProblem:
    """One problem: its test grid, the reference values there, and (inverse) true coefficients.

    `points()` gives the test points, (n, dim); `reference()` the reference values at them,
    (n, fields); `error(predicted)` the relative L2 error over all fields. For an inverse
    problem `truth` holds the coefficients and `coefficient_error(found)` the largest
    relative error among them; `observations()` the (points, values) both contenders train on.
    """

    name: str
    dim: int
    fields: tuple[str, ...]
    points: Callable[[], np.ndarray]
    reference: Callable[[], np.ndarray]
    truth: dict[str, float] = field(default_factory=dict)
    observations: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None

    def test_points(self) -> np.ndarray:
        return self.points()

    def error(self, predicted) -> float:
        expected = self.reference()
        predicted = np.asarray(predicted, float).reshape(expected.shape)
        return float(np.linalg.norm(predicted - expected) / np.linalg.norm(expected))

    def coefficient_error(self, found: dict[str, float]) -> float:
        return max(abs(found[name] - value) / abs(value) for name, value in self.truth.items())


def _grid(lows, highs, counts) -> np.ndarray:
    axes = [np.linspace(low, high, n) for low, high, n in zip(lows, highs, counts, strict=True)]
    return np.stack([a.reshape(-1) for a in np.meshgrid(*axes, indexing="ij")], axis=1)


def _column(values) -> np.ndarray:
    return np.asarray(values, float).reshape(-1, 1)


# --- heat: u_t = a u_xx on [0, 1] x [0, 1], u = 0 at the ends, u(x, 0) = sin(n pi x / L)
HEAT = {"a": 0.4, "L": 1.0, "n": 1}


@cache
def _heat_points():
    return _grid([0, 0], [1, 1], [101, 101])


def _heat_exact(points):
    a, length, n = HEAT["a"], HEAT["L"], HEAT["n"]
    x, t = points[:, 0], points[:, 1]
    return _column(np.exp(-(n * PI / length) ** 2 * a * t) * np.sin(n * PI * x / length))


# --- diffusion_1d: y_t = y_xx - e^-t (sin pi x - pi^2 sin pi x) on [-1, 1] x [0, 1],
# exact e^-t sin pi x; diffusion_1d_inverse: the same with y_t = C y_xx + ..., C = 1 unknown
@cache
def _diffusion_points():
    return _grid([-1, 0], [1, 1], [101, 101])


def _diffusion_exact(points):
    return _column(np.exp(-points[:, 1]) * np.sin(PI * points[:, 0]))


@cache
def _diffusion_observations():
    """DeepXDE's diffusion_1d_inverse: 10 points at t = 1 (x in linspace(-1, 1, 10))."""
    x = np.linspace(-1, 1, 10)
    points = np.column_stack([x, np.ones_like(x)])
    return points, _diffusion_exact(points)


# --- wave (DeepXDE wave_1d): u_tt = C^2 u_xx on [0, 1] x [0, 1], u = 0 at the ends,
# u(x, 0) = sin pi x + sin(A pi x), u_t(x, 0) = 0
WAVE = {"A": 2.0, "C": 10.0}


@cache
def _wave_points():
    return _grid([0, 0], [1, 1], [101, 101])


def _wave_exact(points):
    a, c = WAVE["A"], WAVE["C"]
    x, t = points[:, 0], points[:, 1]
    return _column(np.sin(PI * x) * np.cos(c * PI * t)
                   + np.sin(a * PI * x) * np.cos(a * c * PI * t))


# --- Klein-Gordon: u_tt - u_xx + u^2 = -x cos t + x^2 cos^2 t on [-1, 1] x [0, 10],
# u = x cos t (also at the ends and t = 0), u_t(x, 0) = 0
@cache
def _klein_gordon_points():
    return _grid([-1, 0], [1, 10], [101, 201])


def _klein_gordon_exact(points):
    return _column(points[:, 0] * np.cos(points[:, 1]))


# --- Burgers: u_t + u u_x = nu u_xx on [-1, 1] x [0, 0.99], nu = 0.01/pi, u(x, 0) = -sin pi x,
# u(+-1, t) = 0. The grid of DeepXDE's Burgers.npz: 256 x values by 100 times.
BURGERS_NU = 0.01 / PI


@cache
def _burgers_points():
    return _grid([-1, 0], [1, 0.99], [256, 100])


def burgers_cole_hopf(x, t, nu: float = BURGERS_NU, nodes: int = 8001) -> np.ndarray:
    """Burgers' exact solution by the Cole-Hopf transform, the heat kernel integrated on a
    uniform grid (trapezoid, spectrally accurate for this smooth, decaying integrand):

        u(x, t) = -∫ sin π(x - η) w(x - η) G(η) dη / ∫ w(x - η) G(η) dη,
        w(y) = exp(-cos πy / (2πν)),  G(η) = exp(-η² / (4νt)).

    With η = √(4νt) z the Gaussian is e^{-z²}, z in [-12, 12]; the exponents are shifted by
    their maximum per point so nothing overflows. At t = 0 it returns -sin πx.
    """
    x, t = np.broadcast_arrays(np.asarray(x, float), np.asarray(t, float))
    out = -np.sin(PI * x)
    z = np.linspace(-12.0, 12.0, nodes)
    for index in np.flatnonzero(t.reshape(-1) > 0):
        xi, ti = x.reshape(-1)[index], t.reshape(-1)[index]
        y = xi - np.sqrt(4 * nu * ti) * z
        exponent = -np.cos(PI * y) / (2 * PI * nu) - z**2
        weight = np.exp(exponent - exponent.max())
        out.reshape(-1)[index] = -np.trapezoid(np.sin(PI * y) * weight, z) / np.trapezoid(
            weight, z)
    return out


@cache
def _burgers_reference():
    points = _burgers_points()
    return _column(burgers_cole_hopf(points[:, 0], points[:, 1]))


# --- Allen-Cahn (DeepXDE's form): u_t = d u_xx + 5 (u - u^3) on [-1, 1] x [0, 1], d = 0.001,
# u(x, 0) = x^2 cos pi x, u(+-1, t) = -1. The grid of DeepXDE's Allen_Cahn.mat: 201 x 101.
ALLEN_CAHN_D = 0.001


@cache
def _allen_cahn_points():
    return _grid([-1, 0], [1, 1], [201, 101])


def allen_cahn_method_of_lines(times, cells: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """u(x, t) on `cells + 1` points at `times`: fourth-order central differences in x (the
    Dirichlet values -1 held at the ends, second order next to them), BDF in t with the sparse
    Jacobian, rtol 1e-10. Returns (x, u) with u of shape (len(times), cells + 1)."""
    x = np.linspace(-1.0, 1.0, cells + 1)
    h = x[1] - x[0]
    n = cells - 1  # the unknowns: the interior points
    main = np.full(n, -30.0)
    lap = sparse.diags([np.full(n - 2, -1.0), np.full(n - 1, 16.0), main,
                        np.full(n - 1, 16.0), np.full(n - 2, -1.0)], [-2, -1, 0, 1, 2],
                       format="lil") / (12 * h * h)
    for row in (0, n - 1):  # second order next to the ends
        lap[row, :] = 0.0
        lap[row, row] = -2.0 / h**2
    lap[0, 1] = lap[n - 1, n - 2] = 1.0 / h**2
    lap = lap.tocsr()
    boundary = np.zeros(n)  # the contributions of u = -1 at both ends
    boundary[[0, -1]] = -1.0 / h**2
    boundary[[1, -2]] += 1.0 / (12 * h * h)  # the fourth-order stencil reaches the end points

    def rhs(_, u):
        return ALLEN_CAHN_D * (lap @ u + boundary) + 5.0 * (u - u**3)

    def jacobian(_, u):
        return ALLEN_CAHN_D * lap + sparse.diags(5.0 * (1.0 - 3.0 * u**2))

    u0 = x[1:-1] ** 2 * np.cos(PI * x[1:-1])
    result = solve_ivp(rhs, (0.0, float(np.max(times))), u0, t_eval=np.asarray(times, float),
                       method="BDF", jac=jacobian, rtol=1e-10, atol=1e-12)
    inner = result.y.T
    ends = np.full((inner.shape[0], 1), -1.0)
    return x, np.hstack([ends, inner, ends])


@cache
def _allen_cahn_reference():
    points = _allen_cahn_points()
    times = np.unique(points[:, 1])
    x, u = allen_cahn_method_of_lines(times)
    stride = (len(x) - 1) // 200  # the test x values lie on the fine grid
    values = u[:, ::stride]  # (times, 201)
    return _column(values.T.reshape(-1))  # the points are x-major (meshgrid "ij")


# --- Lotka-Volterra (DeepXDE's example): x' = r (2 x - 0.04 ub x y) ... rescaled, t in [0, 1]
LV = {"ub": 200.0, "rb": 20.0, "start": (100 / 200, 15 / 200)}


def _lotka_volterra_rhs(_, z):
    ub, rb = LV["ub"], LV["rb"]
    x, y = z
    return [rb * (2.0 * x - 0.04 * ub * x * y), rb * (0.02 * ub * x * y - 1.06 * y)]


@cache
def _lotka_volterra_points():
    return np.linspace(0, 1, 401).reshape(-1, 1)


@cache
def _lotka_volterra_reference():
    times = _lotka_volterra_points()[:, 0]
    ode = solve_ivp(_lotka_volterra_rhs, (0, 1), LV["start"], t_eval=times, method="DOP853",
                    rtol=1e-12, atol=1e-14)
    return ode.y.T


# --- Euler beam: u'''' = -1 on [0, 1], u(0) = u'(0) = 0, u''(1) = u'''(1) = 0
@cache
def _beam_points():
    return np.linspace(0, 1, 1001).reshape(-1, 1)


def _beam_exact(points):
    x = points[:, 0]
    return _column(-(x**4) / 24 + x**3 / 6 - x**2 / 4)


# --- Poisson 1-D, periodic (DeepXDE Poisson_periodic_1d): -u'' = pi^2 sin pi x on [-1, 1],
# u(-1) = u(1) (periodic) and u(-1) = 0 (Dirichlet, fixing the constant); exact sin pi x.
# Poisson 1-D, Robin (DeepXDE Poisson_Robin): u'' = 2 on [-1, 1], u(-1) = 0, u'(1) = u(1);
# exact (x + 1)^2.
@cache
def _line_points():
    return np.linspace(-1, 1, 1001).reshape(-1, 1)


def _periodic_exact(points):
    return _column(np.sin(PI * points[:, 0]))


def _robin_exact(points):
    return _column((points[:, 0] + 1) ** 2)


# --- Helmholtz 2-D (DeepXDE Helmholtz_Dirichlet_2d): -Δu - k0^2 u = k0^2 sin(k0 x) sin(k0 y)
# on [0, 1]^2, k0 = 2 pi n, n = 2, u = 0 on the boundary; exact sin(k0 x) sin(k0 y)
HELMHOLTZ_K0 = 2 * PI * 2


@cache
def _helmholtz_points():
    return _grid([0, 0], [1, 1], [101, 101])


def _helmholtz_exact(points):
    k0 = HELMHOLTZ_K0
    return _column(np.sin(k0 * points[:, 0]) * np.sin(k0 * points[:, 1]))


# --- Lorenz inverse (DeepXDE Lorenz_inverse): x' = C1 (y - x), y' = x (C2 - z) - y,
# z' = x y - C3 z on [0, 3] from (-8, 7, 27); true C1 = 10, C2 = 15, C3 = 8/3; observed at 25
# times (as many as DeepXDE's Lorenz.npz holds; here evenly spaced)
LORENZ = {"C1": 10.0, "C2": 15.0, "C3": 8.0 / 3.0}
LORENZ_START = (-8.0, 7.0, 27.0)


def _lorenz_rhs(_, z):
    x, y, w = z
    return [LORENZ["C1"] * (y - x), x * (LORENZ["C2"] - w) - y, x * y - LORENZ["C3"] * w]


def _lorenz_solution(times):
    ode = solve_ivp(_lorenz_rhs, (0, float(np.max(times))), LORENZ_START, t_eval=times,
                    method="DOP853", rtol=1e-12, atol=1e-12)
    return ode.y.T


@cache
def _lorenz_points():
    return np.linspace(0, 3, 301).reshape(-1, 1)


@cache
def _lorenz_observations():
    times = np.linspace(0, 3, 25)
    return times.reshape(-1, 1), _lorenz_solution(times)


def _exact(points_fn, exact_fn):
    return cache(lambda: exact_fn(points_fn()))


PROBLEMS: dict[str, PeerProblem] = {problem.name: problem for problem in [
    PeerProblem("heat", 2, ("u",), _heat_points, _exact(_heat_points, _heat_exact)),
    PeerProblem("diffusion_1d", 2, ("u",), _diffusion_points,
                _exact(_diffusion_points, _diffusion_exact)),
    PeerProblem("wave", 2, ("u",), _wave_points, _exact(_wave_points, _wave_exact)),
    PeerProblem("klein_gordon", 2, ("u",), _klein_gordon_points,
                _exact(_klein_gordon_points, _klein_gordon_exact)),
    PeerProblem("burgers", 2, ("u",), _burgers_points, _burgers_reference),
    PeerProblem("allen_cahn", 2, ("u",), _allen_cahn_points, _allen_cahn_reference),
    PeerProblem("lotka_volterra", 1, ("x", "y"), _lotka_volterra_points,
                _lotka_volterra_reference),
    PeerProblem("euler_beam", 1, ("u",), _beam_points, _exact(_beam_points, _beam_exact)),
    PeerProblem("poisson_periodic", 1, ("u",), _line_points,
                _exact(_line_points, _periodic_exact)),
    PeerProblem("poisson_robin", 1, ("u",), _line_points, _exact(_line_points, _robin_exact)),
    PeerProblem("helmholtz2d", 2, ("u",), _helmholtz_points,
                _exact(_helmholtz_points, _helmholtz_exact)),
    PeerProblem("diffusion_inverse", 2, ("u",), _diffusion_points,
                _exact(_diffusion_points, _diffusion_exact), truth={"C": 1.0},
                observations=_diffusion_observations),
    PeerProblem("lorenz_inverse", 1, ("x", "y", "z"), _lorenz_points,
                cache(lambda: _lorenz_solution(_lorenz_points()[:, 0])), truth=dict(LORENZ),
                observations=_lorenz_observations),
]}
