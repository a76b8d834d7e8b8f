"""The 1-D frontier references (benchmarks/references), each checked against an independent oracle.

Cole-Hopf Burgers: the initial value and its Taylor step, the PDE by fourth-order finite
differences (the residual falls as h⁴, so it is the stencil's truncation, not the solution's
error), the boundary values and odd symmetry, and a second quadrature (trapezoid rule).
ETDRK4: the contour coefficients against their closed forms, the exact Fourier integrals of
x² cos(pi x), a dispersive-diffusive mode exactly, a spatially constant Allen-Cahn against its
ODE solution, and a KdV soliton; the refinement estimate bounds the change to a finer solution.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from references import burgers, common, spectral  # noqa: E402

PI = np.pi


# --- Burgers by Cole-Hopf ------------------------------------------------------------------

def test_cole_hopf_starts_from_the_initial_value_and_its_taylor_step():
    x = np.linspace(-1, 1, 41)
    np.testing.assert_array_equal(burgers.reference(x, 0.0), -np.sin(PI * x))
    # u(x, t) = u0 + t (nu u0'' - u0 u0') + O(t²); the t² term is about t² pi⁴ / 2 < 5e-7
    t = 1e-4
    u0, u0_x, u0_xx = -np.sin(PI * x), -PI * np.cos(PI * x), PI**2 * np.sin(PI * x)
    taylor = u0 + t * (burgers.NU * u0_xx - u0 * u0_x)
    u = burgers.reference(x, t)
    assert np.max(np.abs(u - u0)) > 1e-4  # the step is resolved, not the initial value again
    np.testing.assert_allclose(u, taylor, rtol=0, atol=5e-7)


def _burgers_residual(x, t, h):
    """u_t + u u_x - nu u_xx by fourth-order central differences, and the largest term."""
    def u(dx=0.0, dt=0.0):
        return burgers.reference(x + dx, np.full_like(x, t + dt))

    first = lambda f: (f(-2) - 8 * f(-1) + 8 * f(1) - f(2)) / (12 * h)  # noqa: E731
    u_t = first(lambda j: u(dt=j * h))
    u_x = first(lambda j: u(dx=j * h))
    u_xx = (-u(-2 * h) + 16 * u(-h) - 30 * u() + 16 * u(h) - u(2 * h)) / (12 * h * h)
    value = u()
    terms = np.abs(np.stack([u_t, value * u_x, burgers.NU * u_xx]))
    return u_t + value * u_x - burgers.NU * u_xx, terms.max()


@pytest.mark.parametrize("t", [0.3, 0.6, 0.95])
def test_cole_hopf_satisfies_burgers_equation_through_the_shock(t):
    x = np.array([-0.9, -0.5, -0.1, -0.02, -0.005, 0.003, 0.3, 0.8])  # the shock is at x = 0
    residual, scale = _burgers_residual(x, t, 1e-4)
    assert np.max(np.abs(residual)) < 1e-7 * scale
    # the residual is the stencil's O(h⁴) truncation: halving h divides it by about 16
    coarse, _ = _burgers_residual(x, t, 2e-4)
    if np.max(np.abs(coarse)) > 1e-6 * scale:  # above rounding: the order shows
        ratio = np.max(np.abs(coarse)) / np.max(np.abs(residual))
        assert 10 < ratio < 24


def test_cole_hopf_is_odd_and_zero_on_the_boundary():
    t = np.linspace(0.05, 1.0, 20)
    np.testing.assert_allclose(burgers.reference(np.array([[-1.0], [1.0]]), t), 0.0, atol=1e-14)
    x = np.linspace(0.0, 1.0, 51)[:, None]
    np.testing.assert_allclose(burgers.reference(-x, t), -burgers.reference(x, t),
                               rtol=0, atol=1e-14)


def _cole_hopf_trapezoid(x, t, nodes=20001, half_width=16.0):
    """The same integrals by the trapezoid rule on s in [-16, 16] (spectral for this smooth,
    Gaussian-decaying integrand): an independent quadrature."""
    s = np.linspace(-half_width, half_width, nodes)
    y = x[:, None] - np.sqrt(4 * burgers.NU * t[:, None]) * s
    exponent = -s**2 - np.cos(PI * y) / (2 * PI * burgers.NU)
    weight = np.exp(exponent - exponent.max(axis=1, keepdims=True))
    return -np.sum(np.sin(PI * y) * weight, axis=1) / np.sum(weight, axis=1)


def test_gauss_hermite_agrees_with_the_trapezoid_rule_across_the_shock():
    x, t = np.meshgrid(np.concatenate([np.linspace(-1, 1, 41), np.linspace(-0.02, 0.02, 41)]),
                       np.array([1e-6, 0.01, 0.1, 1 / PI, 0.5, 0.75, 1.0]))
    x, t = x.ravel(), t.ravel()
    np.testing.assert_allclose(burgers.reference(x, t), _cole_hopf_trapezoid(x, t),
                               rtol=0, atol=2e-14)


def test_burgers_reference_on_the_standard_grid_and_its_error():
    reference = burgers.burgers_reference()
    t, x = burgers.grid()
    assert reference.u.shape == (100, 256) and t[-1] == 0.99 and x[0] == -1
    np.testing.assert_array_equal(reference.t, t)
    np.testing.assert_allclose(reference.u[0], -np.sin(PI * x), atol=0)
    assert reference.max_error < 1e-13 and reference.error < 1e-14
    assert burgers.reference_error() == reference.error
    assert reference.method == "Cole-Hopf, 256 Gauss-Hermite nodes"
    # fewer nodes do not suffice, and the estimate says so
    assert burgers.burgers_reference(t[::10], x, nodes=32).max_error > 1e-8


def test_burgers_bad_input_is_refused():
    with pytest.raises(ValueError, match="t >= 0"):
        burgers.reference(0.5, -0.1)
    with pytest.raises(ValueError, match="nodes"):
        burgers.reference(0.5, 0.1, nodes=0)
    with pytest.raises(ValueError, match="t_final"):
        burgers.grid(t_final=2.0)


# --- ETDRK4 ----------------------------------------------------------------------------------

def test_etdrk4_contour_coefficients_match_their_closed_forms():
    dt = 0.1
    z = np.array([-40.0, -3.0, 2.5, 0.7j, 5j, 80j, -2 + 3j])  # away from 0: closed forms exact
    e, e2, q, f1, f2, f3 = spectral.etdrk4_coefficients(z / dt, dt)
    ez = np.exp(z)
    np.testing.assert_allclose(e, ez, rtol=1e-15)
    np.testing.assert_allclose(e2, np.exp(z / 2), rtol=1e-15)
    np.testing.assert_allclose(q, dt * (np.exp(z / 2) - 1) / z, rtol=1e-13)
    np.testing.assert_allclose(f1, dt * (-4 - z + ez * (4 - 3 * z + z**2)) / z**3, rtol=1e-12)
    np.testing.assert_allclose(f2, dt * (2 + z + ez * (z - 2)) / z**3, rtol=1e-12)
    np.testing.assert_allclose(f3, dt * (-4 - 3 * z - z**2 + ez * (4 - z)) / z**3, rtol=1e-12)
    # at z = 0 the limits are 1/2 and 1/6: no cancellation there
    _, _, q, f1, f2, f3 = spectral.etdrk4_coefficients(np.array([0.0, 1e-9]), dt)
    np.testing.assert_allclose(np.stack([q, f1, f2, f3]) / dt,
                               [[0.5, 0.5], [1 / 6] * 2, [1 / 6] * 2, [1 / 6] * 2], rtol=1e-9)
    assert q.dtype == np.float64


def test_fourier_coefficients_are_the_exact_integrals_of_a_kinked_function():
    modes = 256
    c = spectral.fourier_coefficients(spectral.ALLEN_CAHN.initial, modes, (-1.0, 1.0)) / modes
    m = np.arange(modes // 2)
    # (1/2) ∫ x² cos(pi x) e^{-i pi m (x + 1)} dx from ∫_{-1}^{1} x² cos(a pi x) dx
    # = 4 (-1)^a / (a pi)² (a != 0), 2/3 (a = 0)
    moment = lambda a: np.where(a == 0, 2 / 3, 4 * (-1.0)**a / (np.maximum(a, 1) * PI)**2)  # noqa: E731
    exact = (-1.0)**m * (moment(np.abs(m - 1)) + moment(m + 1)) / 4
    np.testing.assert_allclose(c[:-1], exact, rtol=0, atol=1e-15)
    assert c[-1] == 0


def test_etdrk4_carries_a_linear_mode_exactly_on_a_shifted_domain():
    # u_t = -c u_x + d u_xx - e u_xxx on [-1, 3): each mode turns and decays exactly
    c, d, e, length = 0.7, 0.01, 0.003, 4.0
    def initial(x):
        return np.sin(2 * PI * 3 * (x + 1) / length) + 0.5 * np.cos(2 * PI * 5 * (x + 1) / length)

    problem = spectral.PeriodicProblem(
        "linear", (-1.0, 3.0), 1.0, lambda k: -1j * c * k - d * k**2 + 1j * e * k**3,
        lambda k: 0.0, lambda u: u, 1, initial)
    t, x = np.linspace(0, 1, 6), np.linspace(-1, 3, 37)
    u = spectral.evaluate(spectral.solve(problem, 32, t, 3), 32, problem.domain, x)
    exact = 0.0
    for m, amplitude, phase in ((3, 1.0, -PI / 2), (5, 0.5, 0.0)):
        k = 2 * PI * m / length
        symbol = problem.linear(np.array(k))
        exact = exact + amplitude * np.real(np.exp(1j * phase) * np.exp(
            1j * k * (x[None, :] + 1) + symbol * t[:, None]))
    np.testing.assert_allclose(u, exact, rtol=0, atol=1e-13)


def test_etdrk4_solves_constant_allen_cahn_to_its_ode_solution():
    # u(x, 0) = c: u_t = 5 (u - u³), so u = c e^{5t} / sqrt(1 + c² (e^{10t} - 1))
    c0 = 0.3
    problem = spectral.PeriodicProblem(
        "constant", (-1.0, 1.0), 1.0, spectral.ALLEN_CAHN.linear,
        spectral.ALLEN_CAHN.nonlinear_symbol, spectral.ALLEN_CAHN.nonlinear, 3,
        lambda x: np.full_like(x, c0))
    t = np.linspace(0, 1, 11)
    u = spectral.evaluate(spectral.solve(problem, 16, t, 100), 16, problem.domain, np.zeros(1))
    exact = c0 * np.exp(5 * t) / np.sqrt(1 + c0**2 * (np.exp(10 * t) - 1))
    np.testing.assert_allclose(u[:, 0], exact, rtol=1e-10)


def test_etdrk4_carries_a_kdv_soliton_on_a_wide_periodic_domain():
    # u_t + u u_x + mu² u_xxx = 0: u = A sech²(kappa (x - A t / 3)), kappa = sqrt(A / 12) / mu;
    # on [-4, 4) the periodic images meet at sech²(4 kappa), below 1e-19
    amplitude, mu, length = 1.0, 0.05, 8.0
    kappa = np.sqrt(amplitude / 12) / mu
    problem = spectral.PeriodicProblem(
        "soliton", (-length / 2, length / 2), 1.0, lambda k: 1j * mu**2 * k**3,
        spectral.KDV.nonlinear_symbol, spectral.KDV.nonlinear, 2,
        lambda x: amplitude / np.cosh(kappa * x) ** 2)
    t, x = np.linspace(0, 1, 5), np.linspace(-4, 4, 161)
    u = spectral.evaluate(spectral.solve(problem, 256, t, 400), 256, problem.domain, x)
    moved = (x[None, :] - amplitude / 3 * t[:, None] + length / 2) % length - length / 2
    np.testing.assert_allclose(u, amplitude / np.cosh(kappa * moved) ** 2, rtol=0, atol=1e-10)


def test_refinement_estimate_bounds_the_change_to_a_finer_solution(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXNN_BENCHMARKS_CACHE", str(tmp_path))
    t, x = np.linspace(0, 0.2, 11), np.linspace(-1, 1, 65)
    reference = spectral.kdv_reference(t, x, modes=256, steps_per_output=10)
    assert 1e-10 < reference.error < 1e-5  # a coarse run: the estimate sees its error
    finer = spectral.kdv_reference(t, x, modes=1024, steps_per_output=40, use_cache=False)
    assert finer.error < reference.error / 100
    # fourth order in time: the change on halving the step is 15/16 of the error
    assert common.relative_l2(reference.u, finer.u) <= 1.1 * reference.error
    np.testing.assert_array_equal(reference.u[0], np.cos(PI * x))
    # the second call reads the cache: the same numbers
    assert len(list(tmp_path.glob("kdv-etdrk4-*.npz"))) == 1
    again = spectral.kdv_reference(t, x, modes=256, steps_per_output=10)
    np.testing.assert_array_equal(again.u, reference.u)
    assert again.error == reference.error


def test_spectral_bad_input_is_refused():
    with pytest.raises(ValueError, match="evenly spaced"):
        spectral.kdv_reference(t=np.array([0.0, 0.1, 0.3]))
    with pytest.raises(ValueError, match="domain"):
        spectral.kdv_reference(x=np.linspace(0, 2, 5))
    with pytest.raises(ValueError, match="modes"):
        spectral.kdv_reference(modes=255)
    with pytest.raises(ValueError, match="steps_per_output"):
        spectral.allen_cahn_reference(steps_per_output=0)


# --- the jaxpi comparison script ----------------------------------------------------------

def test_compare_jaxpi_reports_a_files_distance_from_the_reference(tmp_path):
    t, x = np.linspace(0, 1, 11), np.linspace(-1, 1, 33)
    exact = burgers.burgers_reference(t, x).u
    perturbed = exact + 1e-6 * np.cos(PI * x)  # a known error
    scipy.io.savemat(tmp_path / "burgers.mat", {"t": t[None], "x": x[None], "usol": perturbed})
    scipy.io.savemat(tmp_path / "heat.mat", {"t": t[None], "x": x[None], "usol": exact})
    script = BENCHMARKS / "references" / "compare_jaxpi.py"
    run = subprocess.run([sys.executable, str(script), str(tmp_path / "burgers.mat")],
                         capture_output=True, text=True, check=True)
    record = json.loads(run.stdout)
    assert record["problem"] == "burgers" and record["shape"] == [11, 33]
    expected = np.linalg.norm(perturbed - exact) / np.linalg.norm(exact)
    assert record["relative_l2"] == pytest.approx(expected, rel=1e-6)
    assert record["reference_error"] < 1e-14
    failed = subprocess.run([sys.executable, str(script), str(tmp_path / "heat.mat")],
                            capture_output=True, text=True)
    assert failed.returncode != 0 and "allen_cahn" in failed.stderr


@pytest.mark.slow
@pytest.mark.parametrize("make", [spectral.allen_cahn_reference, spectral.kdv_reference])
def test_default_spectral_references_change_less_than_1e_9_on_refinement(make):
    reference = make(use_cache=False)
    assert reference.u.shape == (201, 512)
    assert reference.error < 1e-9
