"""The references `benchmarks/pinn_peer.py` measures pinn and DeepXDE against.

Each is checked independently of how it is computed: Burgers' Cole-Hopf quadrature satisfies
the PDE by finite differences and converges in its node count; the Allen-Cahn method of lines
converges in its grid and keeps its boundary values; the ODE references agree with a second,
implicit integrator; the exact solutions satisfy their PDEs by finite differences.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import peer_problems as peer


def test_burgers_cole_hopf_solves_burgers_equation():
    nu = peer.BURGERS_NU
    np.testing.assert_allclose(peer.burgers_cole_hopf(np.linspace(-1, 1, 9), 0.0),
                               -np.sin(np.pi * np.linspace(-1, 1, 9)), atol=1e-15)
    # away from the shock at x = 0: u_t + u u_x - nu u_xx = 0 by central differences
    x, t, h = np.array([-0.7, -0.4, 0.3, 0.6]), 0.4, 1e-3

    def u(x, t):
        return peer.burgers_cole_hopf(x, np.full_like(x, t))

    u_t = (u(x, t + h) - u(x, t - h)) / (2 * h)
    u_x = (u(x + h, t) - u(x - h, t)) / (2 * h)
    u_xx = (u(x + h, t) - 2 * u(x, t) + u(x - h, t)) / h**2
    assert np.max(np.abs(u_t + u(x, t) * u_x - nu * u_xx)) < 1e-4
    # odd in x, and converged in the quadrature nodes, through the shock too
    x = np.linspace(-1, 1, 41)
    np.testing.assert_allclose(u(-x, 0.9), -u(x, 0.9), atol=1e-12)
    fine = peer.burgers_cole_hopf(x, np.full_like(x, 0.9), nodes=16001)
    np.testing.assert_allclose(u(x, 0.9), fine, atol=1e-10)


def test_allen_cahn_method_of_lines_converges_and_keeps_its_boundary_values():
    times = np.array([0.0, 0.25, 0.5])
    x, coarse = peer.allen_cahn_method_of_lines(times, cells=1000)
    _, fine = peer.allen_cahn_method_of_lines(times, cells=2000)
    np.testing.assert_allclose(coarse[0], x**2 * np.cos(np.pi * x), atol=1e-15)
    np.testing.assert_array_equal(coarse[:, [0, -1]], -1.0)
    assert np.max(np.abs(fine[:, ::2] - coarse)) < 1e-5


@pytest.mark.parametrize("name, rhs, start", [
    ("lotka_volterra", peer._lotka_volterra_rhs, peer.LV["start"]),
    ("lorenz_inverse", peer._lorenz_rhs, peer.LORENZ_START)])
def test_ode_references_agree_with_an_implicit_integrator(name, rhs, start):
    problem = peer.PROBLEMS[name]
    times = problem.test_points()[:, 0]
    radau = solve_ivp(rhs, (0, times[-1]), start, t_eval=times, method="Radau", rtol=1e-11,
                      atol=1e-12).y.T
    assert problem.error(radau) < 1e-7
    if problem.observations is not None:  # observed on the same trajectory
        at, values = problem.observations()
        again = solve_ivp(rhs, (0, at[-1, 0]), start, t_eval=at[:, 0], method="Radau",
                          rtol=1e-11, atol=1e-12).y.T
        np.testing.assert_allclose(values, again, atol=1e-5)


@pytest.mark.parametrize("name, residual", [
    ("heat", lambda u, ut, ux, uxx, x, t: ut - peer.HEAT["a"] * uxx),
    ("diffusion_1d", lambda u, ut, ux, uxx, x, t: ut - uxx + np.exp(-t) * (
        np.sin(np.pi * x) - np.pi**2 * np.sin(np.pi * x))),
    ("klein_gordon", None)])
def test_exact_solutions_satisfy_their_pdes(name, residual):
    h = 1e-4
    points = np.array([[0.3, 0.4], [0.2, 0.7], [0.8, 0.2]])
    values = {"heat": peer._heat_exact, "diffusion_1d": peer._diffusion_exact,
              "klein_gordon": peer._klein_gordon_exact}[name]

    def u(p):
        return values(p)[:, 0]

    shift = np.eye(2) * h
    ut = (u(points + shift[1]) - u(points - shift[1])) / (2 * h)
    ux = (u(points + shift[0]) - u(points - shift[0])) / (2 * h)
    uxx = (u(points + shift[0]) - 2 * u(points) + u(points - shift[0])) / h**2
    utt = (u(points + shift[1]) - 2 * u(points) + u(points - shift[1])) / h**2
    x, t = points[:, 0], points[:, 1]
    if residual is None:  # Klein-Gordon: u_tt - u_xx + u^2 + x cos t - x^2 cos^2 t
        got = utt - uxx + u(points) ** 2 + x * np.cos(t) - (x * np.cos(t)) ** 2
    else:
        got = residual(u(points), ut, ux, uxx, x, t)
    assert np.max(np.abs(got)) < 1e-5
