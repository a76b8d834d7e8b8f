"""Time-dependent problems: `pinn.SpaceTime`, `pinn.Initial`, `pinn.InitialRate`.

The geometry is checked against direct formulas; the heat and wave equations are solved in
float64 by Gauss-Newton and compared with their exact solutions.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from x64 import enable_x64

import jaxnn
import pinn
from pinn.operators import partial
from pinn.solver._residuals import make_field

ALPHA = 0.1  # heat diffusivity
C = 1.0  # wave speed


def rod(t0: float = 0.0, t1: float = 1.0) -> pinn.SpaceTime:
    return pinn.SpaceTime(pinn.Interval(0.0, 1.0), t0, t1)


def sine(x):
    return jnp.sin(jnp.pi * x[0])


def solve_small(problem: pinn.PDE, steps: int) -> pinn.Solution:
    return pinn.solve(problem, jaxnn.MLP([12, 12, 1], activation="tanh"),
                      stages=[pinn.GaussNewton(steps)], dtype="float64",
                      collocation=pinn.Collocation(150, boundary=30, method="grid"),
                      log_every=steps, verbose=0)


# ---------------------------------------------------------------- geometry
def test_spacetime_has_the_space_parts_then_initial_and_final_with_time_last():
    domain = pinn.SpaceTime(pinn.Rectangle((0, 0), (2, 1)), 0.5, 3.0)
    assert domain.dim == 3
    assert domain.boundary_parts == ("left", "right", "bottom", "top", "initial", "final")
    lo, hi = domain.bounding_box
    np.testing.assert_array_equal(lo, [0, 0, 0.5])
    np.testing.assert_array_equal(hi, [2, 1, 3.0])
    assert domain.measure == pytest.approx(2 * 1 * 2.5)
    assert rod().boundary_parts == ("left", "right", "initial", "final")
    assert pinn.SpaceTime(pinn.Box([0], [1]), 0, 1).boundary_parts == (
        "x0_min", "x0_max", "initial", "final")


@pytest.mark.parametrize("method", ["uniform", "grid", "sobol"])
def test_spacetime_interior_points_lie_strictly_inside_space_and_time(method):
    points = rod(0.25, 2.0).sample_interior(500, seed=3, method=method)
    assert points.shape[1] == 2
    assert ((points[:, 0] > 0) & (points[:, 0] < 1)).all()
    assert ((points[:, 1] > 0.25) & (points[:, 1] < 2.0)).all()


def test_spacetime_initial_points_sit_exactly_at_t0_with_normal_minus_t():
    domain = pinn.SpaceTime(pinn.Rectangle((0, 0), (1, 1)), 0.3, 1.0)
    sample = domain.sample_boundary(200, seed=1, part="initial")
    assert (sample.points[:, 2] == 0.3).all()
    assert domain.contains(sample.points).all()
    np.testing.assert_array_equal(sample.normals, np.tile([0.0, 0.0, -1.0], (200, 1)))


def test_spacetime_whole_boundary_leaves_out_the_final_time():
    domain = rod()
    sample = domain.sample_boundary(400, seed=0)
    assert set(np.unique(sample.part_index)) == {0, 1, 2}  # left, right, initial
    assert (sample.points[:, 1] < 1.0).all()
    final = domain.sample_boundary(50, part="final")
    assert (final.points[:, 1] == 1.0).all()


def test_spacetime_distance_vanishes_on_selected_parts_and_matches_the_product_formula():
    domain = rod(0.0, 2.0)
    parts = ["left", "right", "initial"]
    inside = domain.sample_interior(300, seed=2)
    x, t = inside[:, 0], inside[:, 1]
    expected = 4 * x * (1 - x) * (t / 2.0)  # both spatial ends times (t - t0)/T
    # float32 (JAX's default) distances of float64 points
    np.testing.assert_allclose(domain.distance(inside, parts), expected, rtol=1e-5, atol=1e-7)
    assert (np.asarray(domain.distance(inside, parts)) > 0).all()
    on_parts = domain.sample_boundary(100, seed=4, part=parts).points
    np.testing.assert_allclose(domain.distance(on_parts, parts), 0.0, atol=1e-12)
    # the default (parts=None) is the same selection: everything but "final"
    np.testing.assert_allclose(domain.distance(inside), expected, rtol=1e-5, atol=1e-7)
    # "initial" alone: zero at t = t0 only, positive on the spatial ends
    ends = domain.sample_boundary(10, part=["left", "right"]).points
    assert (np.asarray(domain.distance(ends, "initial")) > 0).all()


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, error, message", [
    (lambda: pinn.SpaceTime(pinn.Interval(0, 1), 1.0, 1.0), ValueError, r"t1 > t0"),
    (lambda: pinn.SpaceTime(pinn.Interval(0, 1), 2.0, 1.0), ValueError, r"t0=2.0, t1=1.0"),
    (lambda: pinn.SpaceTime(pinn.Interval(0, 1), float("nan"), 1.0), ValueError,
     r"SpaceTime\(t0=...\): expected a real number, finite"),
    (lambda: pinn.SpaceTime(pinn.Interval(0, 1), 0.0, "1"), TypeError,
     r"SpaceTime\(t1=...\): expected a real number"),
    (lambda: pinn.SpaceTime((0.0, 1.0), 0.0, 1.0), TypeError,
     r"SpaceTime\(space=...\): expected a pinn domain.*Interval"),
    (lambda: pinn.SpaceTime(pinn.Disk((0, 0), 1), 0.0, 1.0), TypeError,
     r"supported spaces are boxes"),
    (lambda: pinn.SpaceTime(rod(), 0.0, 1.0), TypeError, r"domain.space"),
    (lambda: pinn.PDE(pinn.Rectangle((0, 0), (1, 1)), lambda u, x: u(x),
                      bcs=[pinn.Initial(0.0)]), ValueError,
     r"Initial\(...\): expected a pinn.SpaceTime domain.*on=part"),
    (lambda: pinn.InitialRate("fast"), TypeError, r"InitialRate\(value=...\)"),
    (lambda: pinn.Initial(0.0, hard="yes"), TypeError, r"Initial\(hard=...\)"),
])
def test_bad_time_input_is_refused_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


# ---------------------------------------------------------------- conditions and solves
def test_initial_rate_residual_is_the_time_derivative_minus_the_value():
    def u(x):  # u_t = 2u
        return jnp.sin(x[0]) * jnp.exp(2 * x[1])

    condition = pinn.InitialRate(lambda x: x[0])
    x = jnp.array([0.3, 0.0])
    expected = 2 * jnp.sin(0.3) - 0.3
    assert float(condition.residual(u, x, jnp.array([0.0, -1.0]))) == pytest.approx(expected)
    assert condition.on == ("initial",) and pinn.Initial(1.0).on == ("initial",)


def test_hard_initial_condition_holds_exactly_at_t0_before_any_training():
    problem = pinn.PDE(rod(), lambda u, x: partial(u, 1)(x), bcs=[pinn.Initial(sine, hard=True)])
    assert problem.hard_dirichlet is problem.bcs[0]
    model = jaxnn.MLP([8, 1], activation="tanh")
    params = model.init(jax.random.key(0), jnp.zeros((1, 2)))
    u = make_field(problem, model)(params)
    for x in (0.1, 0.3, 0.8):
        assert float(u(jnp.array([x, 0.0]))) == pytest.approx(np.sin(np.pi * x), abs=1e-7)
    assert float(u(jnp.array([0.3, 0.5]))) != pytest.approx(np.sin(np.pi * 0.3), abs=1e-3)


def heat_problem(hard: bool = False) -> pinn.PDE:
    """u_t = α u_xx, u(0, t) = u(1, t) = 0, u(x, 0) = sin πx; exact exp(-απ²t) sin πx."""
    def heat(u, x):
        return partial(u, 1)(x) - ALPHA * partial(u, 0, 2)(x)

    def exact(x):
        return jnp.exp(-ALPHA * jnp.pi**2 * x[1]) * sine(x)

    if hard:  # one hard condition: sin πx vanishes at both ends, so it is the value there too
        bcs = [pinn.Dirichlet(sine, on=["left", "right", "initial"], hard=True)]
    else:
        bcs = [pinn.Dirichlet(0.0, on=["left", "right"]), pinn.Initial(sine)]
    return pinn.PDE(rod(), heat, bcs=bcs, exact=exact, name="heat_1d")


@pytest.mark.slow  # the docs build solves the same heat problem on every CI run
def test_heat_equation_matches_the_exact_solution():
    with enable_x64(True):
        solution = solve_small(heat_problem(), steps=40)
        error = solution.relative_l2()
    assert error < 1e-3, error


@pytest.mark.slow
def test_heat_equation_with_the_initial_condition_built_in_is_exact_at_t0():
    with enable_x64(True):
        solution = solve_small(heat_problem(hard=True), steps=40)
        error = solution.relative_l2()
        start = jnp.column_stack([jnp.linspace(0, 1, 11), jnp.zeros(11)])
        at_t0 = np.asarray(solution(start)).reshape(-1)
    assert error < 1e-3, error
    np.testing.assert_allclose(at_t0, np.sin(np.pi * np.linspace(0, 1, 11)), atol=1e-12)


@pytest.mark.slow  # the docs build runs this wave equation on every CI run
def test_wave_equation_with_initial_value_and_rate_matches_the_exact_solution():
    """u_tt = c² u_xx, u = 0 at the ends, u(x, 0) = sin πx, u_t(x, 0) = 0: u = sin πx cos cπt."""
    def wave(u, x):
        return partial(u, 1, 2)(x) - C**2 * partial(u, 0, 2)(x)

    def exact(x):
        return sine(x) * jnp.cos(C * jnp.pi * x[1])

    problem = pinn.PDE(rod(), wave, bcs=[pinn.Dirichlet(0.0, on=["left", "right"]),
                                         pinn.Initial(sine), pinn.InitialRate(0.0)],
                       exact=exact, name="wave_1d")
    with enable_x64(True):
        error = solve_small(problem, steps=60).relative_l2()
    assert error < 2e-3, error  # 2e-4 on the machine that wrote this


def test_spacetime_distance_works_under_jit_and_grad():
    domain = rod()
    d = jax.jit(lambda x: domain.distance(x, ["left", "right", "initial"]))
    point = jnp.array([[0.25, 0.5]])
    gradient = jax.grad(lambda p: d(p)[0])(point)
    # d = 4x(1-x)t: ∂d/∂x = 4(1-2x)t, ∂d/∂t = 4x(1-x)
    np.testing.assert_allclose(gradient[0], [4 * 0.5 * 0.5, 4 * 0.25 * 0.75], rtol=1e-6)
