"""Conditions on any derivative (`pinn.OperatorBC`, `pinn.Derivative`) and periodic ones
(`pinn.Periodic`).

The Euler-Bernoulli cantilever (DeepXDE's example) against its polynomial deflection; a
periodic Poisson problem against its trigonometric solution, soft and hard; the periodic block
against values computed by hand and finite differences; its Jacobian against forward mode;
bad input against its messages.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from x64 import enable_x64

import jaxnn
import pinn
from pinn.solver._collocation import CollocationPoints
from pinn.conditions import PeriodicEmbedding
from pinn.operators import laplacian, partial
from pinn.solver._residuals import make_field, make_residuals, residual_terms
from pinn.fields import Fields


def block_values(term, batch) -> np.ndarray:
    """A residual block's unweighted values at its points, (n,) or (n, m), for a field that
    ignores the parameters."""
    arguments = term.arguments(batch)
    return np.asarray(jax.vmap(term.residual, in_axes=(None,) + (0,) * len(arguments))(
        None, *arguments))


# ---------------------------------------------------------------- the Euler beam
def beam_deflection(x):
    """u = -x⁴/24 + x³/6 - x²/4: u'''' = -1, u(0) = u'(0) = 0, u''(1) = u'''(1) = 0."""
    x = x[0]
    return -x**4 / 24 + x**3 / 6 - x**2 / 4


def euler_beam() -> pinn.PDE:
    return pinn.PDE(
        pinn.Interval(0.0, 1.0), lambda u, x: partial(u, 0, 4)(x) + 1.0,
        bcs=[pinn.Dirichlet(0.0, on="left"),                                   # u(0) = 0
             pinn.Derivative(1, on="left"),                                    # u'(0) = 0
             pinn.OperatorBC(lambda u, x, n: partial(u, 0, 2)(x), on="right"),  # u''(1) = 0
             pinn.OperatorBC(lambda u, x, n: partial(u, 0, 3)(x), on="right")],  # u'''(1) = 0
        exact=beam_deflection, name="euler_beam")


@pytest.mark.slow  # the periodic solve below is the default suite's solve with the new conditions
def test_euler_beam_matches_the_cantilever_deflection():
    with enable_x64(True):
        solution = pinn.solve(euler_beam(), jaxnn.MLP([20, 1], activation="tanh"),
                              stages=[pinn.GaussNewton(80)], dtype="float64",
                              collocation=pinn.Collocation(24, boundary=1, method="grid"),
                              log_every=80, verbose=0)
        error = solution.relative_l2()
        tip = float(solution(np.array([[1.0]]))[0])
    assert error <= 1e-6, error  # 1.6e-7 on the machine that wrote this
    assert tip == pytest.approx(beam_deflection(np.array([1.0])), rel=1e-5)  # -1/8


def test_operator_condition_subtracts_its_value_and_sees_the_normal():
    """OperatorBC's residual is residual(u, x, n) - value(x); Derivative(k) is ∂ᵏu along the
    axis: both against hand derivatives of u = x³ y² on the unit square."""
    def u(p):
        return p[0]**3 * p[1]**2

    x, normal = jnp.array([1.0, 0.5]), jnp.array([1.0, 0.0])
    on_normal = pinn.OperatorBC(lambda u, x, n: pinn.operators.normal_derivative(u)(x, n),
                                value=lambda x: x[1], on="right")
    assert float(on_normal.residual(u, x, normal)) == pytest.approx(3 * 0.25 - 0.5)
    second = pinn.Derivative(2, value=1.0, on="top", axis=1)
    assert float(second.residual(u, x, jnp.array([0.0, 1.0]))) == pytest.approx(2.0 - 1.0)
    pinn.PDE(pinn.Rectangle((0, 0), (1, 1)), lambda u, x: laplacian(u)(x),
             bcs=[on_normal, second])  # checks pass on a 2-D domain


# ---------------------------------------------------------------- periodic problems
def periodic_exact(x):
    return jnp.cos(x[0]) + 0.5 * jnp.sin(2 * x[0])


def periodic_poisson(bcs) -> pinn.PDE:
    """-u'' = cos x + 2 sin 2x on [-π, π]: u = cos x + 0.5 sin 2x + a x + b. Periodicity fixes
    a = 0, the value at x = -π fixes b."""

    def source(x):
        return jnp.cos(x[0]) + 2 * jnp.sin(2 * x[0])

    return pinn.PDE(pinn.Interval(-np.pi, np.pi), lambda u, x: -partial(u, 0, 2)(x) - source(x),
                    bcs=bcs, exact=periodic_exact, name="periodic_poisson")


def solve_periodic(bcs, steps: int = 200) -> tuple[float, np.ndarray]:
    """The relative L2 error and the jump u(π) - u(-π)."""
    with enable_x64(True):
        solution = pinn.solve(periodic_poisson(bcs), jaxnn.MLP([24, 1], activation="tanh"),
                              stages=[pinn.GaussNewton(steps)], dtype="float64",
                              collocation=pinn.Collocation(64, boundary=1, method="grid"),
                              log_every=steps, verbose=0)
        ends = np.array([[-np.pi], [np.pi]])
        u = np.asarray(solution(ends))
        return solution.relative_l2(), u[1] - u[0]


@pytest.mark.slow  # the peer benchmark solves the same periodic Poisson problem
def test_periodic_poisson_is_solved_once_periodicity_fixes_the_slope():
    error, jump = solve_periodic([pinn.Periodic(axis=0, derivatives=1),
                                  pinn.Dirichlet(periodic_exact, on="left")])
    assert error < 1e-5, error  # 7.6e-7 on the machine that wrote this
    assert abs(jump) < 1e-4


def test_periodicity_is_what_selects_the_solution():
    """u + a (x + π) solves the same PDE and the same value at -π exactly: every block but the
    periodic one is zero for it, and the periodic block is (2π a, 0)."""
    a = 0.3

    def shifted(x):
        return periodic_exact(x) + a * (x[0] + np.pi)

    with enable_x64(True):
        problem = periodic_poisson([pinn.Periodic(0), pinn.Dirichlet(periodic_exact, on="left")])
        batch = CollocationPoints(problem, pinn.Collocation(16, boundary=1, method="grid"),
                                  pinn.FixedWeights(), 0, jnp.float64).batch()
        blocks = {}
        for name, u in (("exact", periodic_exact), ("shifted", shifted)):
            blocks[name] = [block_values(term, batch)
                            for term in residual_terms(problem, lambda params, u=u: u)]
    interior, periodic, value = blocks["shifted"]
    np.testing.assert_allclose(interior, 0.0, atol=1e-10)
    np.testing.assert_allclose(value, 0.0, atol=1e-12)
    np.testing.assert_allclose(periodic, [[2 * np.pi * a, 0.0]], atol=1e-12)
    for block in blocks["exact"]:
        np.testing.assert_allclose(block, 0.0, atol=1e-10)


def test_periodic_embedding_is_periodic_to_every_order():
    with enable_x64(True):
        embedded = PeriodicEmbedding(jaxnn.MLP([8, 1], activation="tanh"), axes=(1,),
                                     lower=(0.5,), periods=(2.0,))
        params = embedded.init(jax.random.PRNGKey(1), jnp.zeros((1, 2)))

        def u(x):
            return embedded.apply(params, x)[0]

        @jax.jit
        def derivatives(x):  # ∂ᵏu/∂yᵏ, k = 0..3, and ∂u/∂x at one point
            return jnp.stack([partial(u, 1, k)(x) for k in range(4)] + [partial(u, 0)(x)])

        lower = derivatives(jnp.array([0.3, 0.5]))
        upper = derivatives(jnp.array([0.3, 2.5]))
        inside = derivatives(jnp.array([0.3, 1.0]))
    np.testing.assert_allclose(upper, lower, rtol=1e-12, atol=1e-12)
    assert abs(float(inside[0] - lower[0])) > 1e-3  # not constant along y


@pytest.mark.slow
def test_hard_periodic_poisson_is_exactly_periodic():
    error, jump = solve_periodic([pinn.Periodic(0, hard=True),
                                  pinn.Dirichlet(periodic_exact, on="left")], steps=40)
    assert error < 1e-4, error  # 3.4e-6 on the machine that wrote this
    assert abs(jump) < 1e-13


@pytest.mark.slow
def test_without_periodicity_the_problem_is_ambiguous_and_the_solve_misses():
    error, jump = solve_periodic([pinn.Dirichlet(periodic_exact, on="left")])
    assert error > 1e-2, error  # 14.5 on the machine that wrote this: some u + a x
    assert abs(jump) > 1e-2


@pytest.mark.slow
def test_poisson_on_a_rectangle_periodic_in_x():
    """-Δu = (1 + π²) cos x sin πy on [-π, π] × [0, 1], u = 0 at y = 0 and 1, periodic in x:
    u = cos x sin πy (not zero on the left and right sides: periodicity decides there)."""

    def exact(p):
        return jnp.cos(p[0]) * jnp.sin(jnp.pi * p[1])

    problem = pinn.PDE(
        pinn.Rectangle((-np.pi, 0.0), (np.pi, 1.0)),
        lambda u, p: -laplacian(u)(p) - (1 + np.pi**2) * exact(p),
        bcs=[pinn.Periodic(axis=0), pinn.Dirichlet(0.0, on=["bottom", "top"])], exact=exact)
    with enable_x64(True):
        solution = pinn.solve(problem, jaxnn.MLP([16, 16, 1], activation="tanh"),
                              stages=[pinn.GaussNewton(80)], dtype="float64",
                              collocation=pinn.Collocation(200, boundary=16, method="grid"),
                              log_every=80, verbose=0)
        error = solution.relative_l2()
    assert error < 1e-3, error


@pytest.mark.slow
def test_periodic_conditions_train_with_adam_and_lbfgs_on_a_field_of_a_system():
    """A system whose field "v" is periodic (soft) and "w" pinned: first-order stages run on
    the vector-valued periodic block and lower the loss."""
    problem = pinn.PDE(
        pinn.Interval(-np.pi, np.pi),
        lambda u, x: jnp.stack([-partial(u["v"], 0, 2)(x) - jnp.cos(x[0]),
                                partial(u["w"], 0)(x) - u["v"](x)]),
        fields=("v", "w"),
        bcs=[pinn.Periodic(0, field="v"), pinn.Dirichlet(1.0, on="left", field="v"),
             pinn.Dirichlet(0.0, on="left", field="w"),
             pinn.OperatorBC(lambda u, x, n: partial(u, 0)(x), on="right", field="w")])
    solution = pinn.solve(problem, jaxnn.MLP([12, 2], activation="tanh"),
                          stages=[pinn.Adam(150, learning_rate=1e-2), pinn.LBFGS(40)],
                          collocation=pinn.Collocation(32, boundary=1, method="grid"),
                          log_every=10, verbose=0)
    loss = np.asarray(solution.history["loss"])
    assert np.isfinite(loss).all()
    assert loss[-1] < 0.1 * loss[0], (loss[0], loss[-1])
    assert set(solution.history["stage"]) >= {"adam", "lbfgs"}


# ---------------------------------------------------------------- the periodic block
def smooth_field(p):
    """Not periodic in either coordinate."""
    return jnp.exp(0.3 * p[0]) * jnp.sin(p[1] + 0.2) + p[0]**2 * p[1]


def test_periodic_block_is_the_jump_of_the_value_and_derivatives_across_the_box():
    lo, hi = (-1.0, 0.5), (2.0, 1.5)
    with enable_x64(True):
        problem = pinn.PDE(pinn.Rectangle(lo, hi), lambda u, x: laplacian(u)(x),
                           bcs=[pinn.Periodic(axis=0, derivatives=2)])
        points = CollocationPoints(problem, pinn.Collocation(16, boundary=7), pinn.FixedWeights(),
                                   3, jnp.float64)
        batch = points.batch()
        values = block_values(residual_terms(problem, lambda params: smooth_field)[1], batch)
    faces = np.asarray(batch["boundary"][0][0])
    assert problem.bcs[0].on == ("left",) and values.shape == (7, 3)
    np.testing.assert_array_equal(faces[:, 0], lo[0])  # drawn on the lower face
    y = faces[:, 1]
    lower, upper = np.column_stack([np.full(7, lo[0]), y]), np.column_stack([np.full(7, hi[0]), y])

    def u(points):  # NumPy, independent of the JAX formula
        p, q = points[:, 0], points[:, 1]
        return np.exp(0.3 * p) * np.sin(q + 0.2) + p**2 * q

    h, dx = 1e-4, np.array([1.0, 0.0])

    def first(p):
        return (u(p + h * dx) - u(p - h * dx)) / (2 * h)

    def second(p):
        return (u(p + h * dx) - 2 * u(p) + u(p - h * dx)) / h**2

    np.testing.assert_allclose(values[:, 0], u(upper) - u(lower), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(values[:, 1], first(upper) - first(lower), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(values[:, 2], second(upper) - second(lower), rtol=1e-4, atol=1e-5)


def test_periodic_block_of_a_system_compares_its_own_field():
    with enable_x64(True):
        problem = pinn.PDE(pinn.Interval(0.0, 1.0), lambda u, x: (u["v"](x), u["w"](x)),
                           fields=("v", "w"), bcs=[pinn.Periodic(0, derivatives=0, field="w")])
        fields = Fields(("v", "w"), lambda x: jnp.stack([jnp.sin(x[0]), jnp.exp(x[0])]))
        batch = CollocationPoints(problem, pinn.Collocation(8, boundary=1, method="grid"),
                                  pinn.FixedWeights(), 0, jnp.float64).batch()
        values = block_values(residual_terms(problem, lambda params: fields)[1], batch)
    np.testing.assert_allclose(values, [[np.e - 1.0]], rtol=1e-14)  # w(1) - w(0), not v's


def test_periodic_points_are_part_of_the_checkpointed_collocation_state():
    """On a space-time domain periodic in x: points on "left" (x = 0), stored and restored by
    the collocation state like any boundary block, also after a redraw."""
    domain = pinn.SpaceTime(pinn.Interval(0.0, 2.0), 0.0, 1.0)
    problem = pinn.PDE(domain, lambda u, x: partial(u, 1)(x) - partial(u, 0, 2)(x),
                       bcs=[pinn.Initial(lambda x: jnp.cos(jnp.pi * x[0])), pinn.Periodic(0)])
    periodic = problem.bcs[1]
    assert periodic.on == ("left",) and (periodic.lower, periodic.upper) == (0.0, 2.0)
    spec = pinn.Collocation(32, boundary=8)
    points = CollocationPoints(problem, spec, pinn.FixedWeights(), 0, jnp.float32)
    state = points.state()
    np.testing.assert_array_equal(state["boundary_points_1"][:, 0], 0.0)
    restored = CollocationPoints(problem, spec, pinn.FixedWeights(), 5, jnp.float32)
    assert not np.array_equal(restored.boundary[1][0], state["boundary_points_1"])
    restored.load_state(state)
    np.testing.assert_array_equal(restored.batch()["boundary"][1][0],
                                  points.batch()["boundary"][1][0])


def test_gauss_newton_jacobian_of_the_periodic_block_equals_forward_mode():
    with enable_x64(True):
        problem = pinn.PDE(pinn.Rectangle((0, 0), (1, 2)), lambda u, x: laplacian(u)(x),
                           bcs=[pinn.Periodic(axis=1, derivatives=2),
                                pinn.Derivative(2, on="right")])
        model = jaxnn.MLP([6, 1], activation="tanh")
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64),
                                        model.init(jax.random.PRNGKey(0), jnp.zeros((1, 2))))
        batch = CollocationPoints(problem, pinn.Collocation(9, boundary=5, method="grid"),
                                  pinn.FixedWeights(boundary=2.0), 0, jnp.float64).batch()
        residuals, residuals_and_jacobian = make_residuals(problem, make_field(problem, model))
        r, jacobian = jax.jit(residuals_and_jacobian)(params, batch)
        flat, unravel = ravel_pytree(params)
        expected = jax.jit(jax.jacfwd(lambda theta: residuals(unravel(theta), batch)[0]))(flat)
        stacked = jax.jit(residuals)(params, batch)[0]
    sizes = [len(points) for points, _ in batch["boundary"]]
    assert r.shape == (len(batch["interior"]) + 3 * sizes[0] + sizes[1],)
    np.testing.assert_allclose(r, stacked, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(jacobian, expected, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- bad input
def laplace_on(domain, *bcs) -> pinn.PDE:
    return pinn.PDE(domain, lambda u, x: laplacian(u)(x), bcs=list(bcs))


def test_bad_periodic_conditions_say_what_works():
    with pytest.raises(TypeError, match=r"Periodic\(axis=0\): expected a domain with two "
                                        r"opposite faces.*pinn.Rectangle.*got Disk"):
        laplace_on(pinn.Disk((0, 0), 1.0), pinn.Periodic(0))
    with pytest.raises(TypeError, match=r"Periodic\(axis=0\).*got Polygon"):
        laplace_on(pinn.Polygon([(0, 0), (1, 0), (0, 1)]), pinn.Periodic(0))
    with pytest.raises(ValueError, match=r"Periodic\(axis=2\): expected an axis of the 2-D "
                                         r"domain Rectangle, 0 to 1, got 2"):
        laplace_on(pinn.Rectangle((0, 0), (1, 1)), pinn.Periodic(axis=2))
    with pytest.raises(ValueError, match=r"Periodic\(derivatives=...\): expected an integer "
                                         r">= 0, got -1"):
        pinn.Periodic(0, derivatives=-1)
    with pytest.raises(TypeError, match=r"Periodic\(axis=...\): expected an integer"):
        pinn.Periodic(axis=0.5)
    with pytest.raises(TypeError, match=r"Periodic\(hard=...\): expected True or False"):
        pinn.Periodic(0, hard="yes")
    with pytest.raises(ValueError, match=r"Periodic\(field='q'\): expected one of the fields"):
        pinn.PDE(pinn.Interval(0, 1), lambda u, x: (u["a"](x), u["b"](x)), fields=("a", "b"),
                 bcs=[pinn.Periodic(0, field="q")])


def test_bad_operator_conditions_name_the_argument():
    interval = pinn.Interval(0.0, 1.0)
    with pytest.raises(TypeError, match=r"OperatorBC\(residual=...\): expected a function "
                                        r"\(u, x, n\) -> scalar.*got float"):
        pinn.OperatorBC(0.0, on="right")
    with pytest.raises(ValueError, match=r"OperatorBC\(residual=...\): must return one value "
                                         r"per point \(shape \(\)\), got shape \(2,\)"):
        laplace_on(interval, pinn.OperatorBC(lambda u, x, n: jnp.stack([u(x), u(x)]), on="right"))
    with pytest.raises(ValueError, match=r"OperatorBC\(residual=...\): calling residual\(u, x, "
                                         r"n\).*failed"):
        laplace_on(interval, pinn.OperatorBC(lambda u, x: u(x), on="right"))
    with pytest.raises(ValueError, match=r"OperatorBC\(on='middle'\): expected a boundary part "
                                         r"of the domain Interval, one of \['left', 'right'\]"):
        laplace_on(interval, pinn.OperatorBC(lambda u, x, n: u(x), on="middle"))
    with pytest.raises(ValueError, match=r"Derivative\(order=0\): expected an order >= 1.*"
                                         r"pinn.Dirichlet"):
        pinn.Derivative(0)
    with pytest.raises(ValueError, match=r"Derivative\(axis=1\): expected an axis of the 1-D"):
        laplace_on(interval, pinn.Derivative(2, on="left", axis=1))
    with pytest.raises(ValueError, match=r"OperatorBC\(value=...\)"):
        pinn.OperatorBC(lambda u, x, n: u(x), value=float("nan"))
