"""Systems: vector-valued fields with named components (`pinn.PDE(fields=...)`).

Lotka-Volterra is solved in float64 by Gauss-Newton and compared with SciPy's `solve_ivp`; a
coupled 2-D system with a hard condition on one field and soft ones on the other against its
analytic solution; the stacked Jacobian against `jax.jacfwd`; bad input against its messages.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from scipy.integrate import solve_ivp
from x64 import enable_x64

import jaxnn
import pinn
from pinn.solver._collocation import CollocationPoints
from pinn.operators import laplacian, partial
from pinn.solver._residuals import make_field, make_residuals

# Lotka-Volterra, x' = a x - b x y, y' = c x y - d y, scaled to O(1): equilibrium (3, 2).
A, B, C, D = 1.0, 0.5, 0.25, 0.75
X0, Y0 = 1.0, 1.0
T = 2.0
UNIT_SQUARE = pinn.Rectangle((0, 0), (1, 1))


def lotka_volterra(u, t):
    x, y = u["x"](t), u["y"](t)
    return (partial(u["x"], 0)(t) - (A * x - B * x * y),
            partial(u.y, 0)(t) - (C * x * y - D * y))  # u.y is u["y"]


def lotka_volterra_problem() -> pinn.PDE:
    return pinn.PDE(pinn.Interval(0.0, T), lotka_volterra, fields=("x", "y"),
                    bcs=[pinn.Dirichlet(X0, on="left", field="x"),
                         pinn.Dirichlet(Y0, on="left", field="y")], name="lotka_volterra")


def reference(times: np.ndarray) -> np.ndarray:
    """SciPy's solution (n, 2) at `times`."""
    return solve_ivp(lambda t, z: [A * z[0] - B * z[0] * z[1], C * z[0] * z[1] - D * z[1]],
                     (0.0, T), [X0, Y0], t_eval=times, method="DOP853", rtol=1e-10,
                     atol=1e-12).y.T


@pytest.fixture(scope="module")
def lotka_volterra_solution() -> pinn.Solution:
    with enable_x64(True):
        return pinn.solve(lotka_volterra_problem(), jaxnn.MLP([12, 12, 2], activation="tanh"),
                          stages=[pinn.GaussNewton(60)], dtype="float64",
                          collocation=pinn.Collocation(48, boundary=1, method="grid"),
                          log_every=60, verbose=0)


# ---------------------------------------------------------------- solves against oracles
def test_lotka_volterra_matches_solve_ivp(lotka_volterra_solution):
    assert pinn.Interval(0.0, T).boundary_parts == ("left", "right")
    times = np.linspace(0.0, T, 301)
    with enable_x64(True):
        u = lotka_volterra_solution(times[:, None])
    expected = reference(times)
    assert u.shape == (301, 2)
    error = np.linalg.norm(u - expected) / np.linalg.norm(expected)
    assert error < 1e-5, error  # 3e-7 on the machine that wrote this
    for i, name in enumerate(("x", "y")):  # each component on its own, and the columns' order
        component = np.linalg.norm(u[:, i] - expected[:, i]) / np.linalg.norm(expected[:, i])
        assert component < 1e-5, (name, component)


def test_system_solution_names_its_components_and_evaluates_one(lotka_volterra_solution):
    solution = lotka_volterra_solution
    times = np.linspace(0.0, T, 11)[:, None]
    with enable_x64(True):
        both = solution(times)
        np.testing.assert_array_equal(solution["y"](times), both[:, 1])
        np.testing.assert_array_equal(solution["x"](times), both[:, 0])
        assert solution.residual_rms() < 1e-4
        grid = np.linspace(0.0, T, 4001)
        ref = reference(grid)

        def exact(t):
            return jnp.stack([jnp.interp(t[0], grid, ref[:, 0]),
                              jnp.interp(t[0], grid, ref[:, 1])])

        overall = solution.relative_l2(exact)
        only_y = solution.relative_l2(exact, field="y")
    assert solution.fields == ("x", "y")
    assert overall < 1e-5 and only_y < 1e-5  # linear interpolation of the reference: ~1e-7
    assert {"loss", "interior_loss", "boundary_loss", "step", "stage"} <= set(solution.history)
    with pytest.raises(ValueError, match=r"Solution\[...\]: expected one of the fields "
                                         r"\['x', 'y'\], got 'z'"):
        solution["z"]
    with pytest.raises(ValueError, match=r"relative_l2\(field=...\).*\['x', 'y'\]"):
        solution.relative_l2(exact, field="z")
    with pytest.raises(ValueError, match=r"plot one component.*solution\['x'\]"):
        pinn.plot.summary(solution)


def coupled_problem() -> pinn.PDE:
    """-Δu = 2π² sin πx sin πy (u = sin πx sin πy, hard u = 0 on the boundary) and
    -Δv + u = -4 + u (v = x² + y²: soft Dirichlet on three sides, Neumann v_x = 2 on the right)."""
    def exact_u(p):
        return jnp.sin(jnp.pi * p[0]) * jnp.sin(jnp.pi * p[1])

    def residual(fields, p):
        u, v = fields["u"], fields["v"]
        return jnp.stack([-laplacian(u)(p) - 2 * jnp.pi**2 * exact_u(p),
                          -laplacian(v)(p) + u(p) - (-4.0 + exact_u(p))])

    return pinn.PDE(UNIT_SQUARE, residual, fields=("u", "v"),
                    bcs=[pinn.Dirichlet(0.0, hard=True, field="u"),
                         pinn.Dirichlet(lambda p: p[0]**2 + p[1]**2, on=["left", "top", "bottom"],
                                        field="v"),
                         pinn.Neumann(2.0, on="right", field="v")],
                    exact=lambda p: jnp.stack([exact_u(p), p[0]**2 + p[1]**2]), name="coupled")


@pytest.mark.slow
def test_coupled_2d_system_with_a_hard_and_a_soft_field_matches_the_analytic_solution():
    problem = coupled_problem()
    assert set(problem.hard_dirichlets) == {"u"}
    with enable_x64(True):
        solution = pinn.solve(problem, jaxnn.MLP([16, 16, 2], activation="tanh"),
                              stages=[pinn.GaussNewton(80)], dtype="float64",
                              collocation=pinn.Collocation(100, boundary=24, method="grid"),
                              log_every=80, verbose=0)
        error = solution.relative_l2()
        error_v = solution.relative_l2(field="v")
        edge = np.column_stack([np.linspace(0, 1, 9), np.zeros(9)])  # y = 0: u = 0 exactly
        on_edge = solution["u"](edge)
    assert error < 1e-4, error  # 7.5e-6 on the machine that wrote this (u 4e-7, v 9e-6)
    assert error_v < 1e-4, error_v
    assert solution.history["relative_l2"][-1] == pytest.approx(error, rel=1e-6)
    np.testing.assert_allclose(on_edge, 0.0, atol=1e-14)


@pytest.mark.slow
def test_observations_of_one_component_replace_its_initial_condition():
    """x' = y, y' = -x with x(0) = 1 and y measured at 6 times (no y(0)): x = cos t, y = -sin t."""
    times = np.linspace(0.3, 1.8, 6)[:, None]
    problem = pinn.PDE(
        pinn.Interval(0.0, T),
        lambda u, t: jnp.stack([partial(u["x"], 0)(t) - u["y"](t),
                                partial(u["y"], 0)(t) + u["x"](t)]),
        fields=("x", "y"),
        bcs=[pinn.Dirichlet(1.0, on="left", field="x"),
             pinn.Observations(times, -np.sin(times[:, 0]), field="y")],
        exact=lambda t: jnp.stack([jnp.cos(t[0]), -jnp.sin(t[0])]))
    with enable_x64(True):
        solution = pinn.solve(problem, jaxnn.MLP([12, 12, 2], activation="tanh"),
                              stages=[pinn.GaussNewton(60)], dtype="float64",
                              collocation=pinn.Collocation(48, boundary=1, method="grid"),
                              log_every=60, verbose=0)
        error = solution.relative_l2()
        misfit = solution["y"](times) + np.sin(times[:, 0])
    assert error < 1e-4, error
    np.testing.assert_allclose(misfit, 0.0, atol=1e-6)


# ---------------------------------------------------------------- the stacked residual
def small_system(dtype) -> tuple:
    """A problem with every kind of block (interior of 2 equations, a hard field, soft
    conditions on both fields, observations of one, an unknown), a network and its batch."""
    points = np.array([[0.2], [0.7], [0.45]])
    problem = pinn.PDE(
        pinn.Interval(0.0, 1.0),
        lambda u, x, k: jnp.stack([-partial(u["a"], 0, 2)(x) - k["s"] * u["b"](x),
                                   -partial(u["b"], 0, 2)(x) + u["a"](x) * u["b"](x) - 1.0]),
        fields=("a", "b"), unknowns=[pinn.Unknown("s", init=0.5)],
        bcs=[pinn.Dirichlet(lambda x: 1.0 + x[0], hard=True, field="a"),
             pinn.Dirichlet(0.0, on="left", field="b"),
             pinn.Neumann(1.0, on="right", field="a"),
             pinn.Observations(points, [0.1, -0.2, 0.3], field="b")])
    model = jaxnn.MLP([5, 2], activation="tanh")
    network = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 1)))
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype),
                                    {"network": network, "unknowns": {"s": 0.5}})
    batch = CollocationPoints(problem, pinn.Collocation(9, boundary=4, method="grid"),
                              pinn.FixedWeights(boundary=2.0), 0, dtype).batch()
    return problem, model, params, batch, points


def test_gauss_newton_jacobian_of_a_system_equals_forward_mode_of_the_stacked_residual():
    with enable_x64(True):
        problem, model, params, batch, _ = small_system(jnp.float64)
        residuals, residuals_and_jacobian = make_residuals(problem, make_field(problem, model))
        r, jacobian = jax.jit(residuals_and_jacobian)(params, batch)
        flat, unravel = ravel_pytree(params)
        expected = jax.jit(jax.jacfwd(lambda theta: residuals(unravel(theta), batch)[0]))(flat)
        stacked, parts = jax.jit(residuals)(params, batch)
        r, jacobian, expected, stacked = map(np.asarray, (r, jacobian, expected, stacked))
        parts = {key: float(value) for key, value in parts.items()}
    n_interior = batch["interior"].shape[0]
    n_boundary = sum(points.shape[0] for points, _ in batch["boundary"])
    # 2 equations per interior point, one per boundary point and per observation
    assert n_interior > 4 and n_boundary == 2
    assert r.shape == (2 * n_interior + n_boundary + 3,)
    assert jacobian.shape == (r.shape[0], flat.size)
    np.testing.assert_allclose(r, stacked, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(jacobian, expected, rtol=1e-10, atol=1e-12)
    assert np.sum(r**2) == pytest.approx(
        parts["interior_loss"] + 2.0 * parts["boundary_loss"] + parts["data_loss"], rel=1e-12)


def test_conditions_act_on_their_component_and_the_hard_one_holds_before_training():
    with enable_x64(True):
        problem, model, params, batch, points = small_system(jnp.float64)
        field = make_field(problem, model)(params)
        outputs = np.asarray(model.apply(params["network"], jnp.asarray(points)))  # no ansatz
        r = np.asarray(jax.jit(make_residuals(problem, make_field(problem, model))[0])(
            params, batch)[0])
        edge = np.array([[0.0], [1.0]])
        on_edge = np.asarray(jax.vmap(field["a"])(jnp.asarray(edge)))
        inside = np.asarray(jax.vmap(field)(jnp.asarray(points)))
    # the observations are the last block: (b(x_i) - v_i) with b the network's 2nd output
    observed = np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(r[-3:], np.sqrt(1 / 3) * (outputs[:, 1] - observed), rtol=1e-12)
    np.testing.assert_allclose(on_edge, [1.0, 2.0], atol=1e-15)  # a = 1 + x at both ends
    np.testing.assert_allclose(inside[:, 1], outputs[:, 1], rtol=1e-14)  # b has no ansatz
    assert not np.allclose(inside[:, 0], outputs[:, 0])


@pytest.mark.slow
def test_adam_and_lbfgs_train_a_system_in_float32():
    problem = lotka_volterra_problem()
    solution = pinn.solve(problem, jaxnn.MLP([12, 12, 2], activation="tanh"),
                          stages=[pinn.Adam(100, learning_rate=1e-2), pinn.LBFGS(100)],
                          collocation=pinn.Collocation(48, boundary=1, method="grid"),
                          log_every=50, verbose=0)
    loss = solution.history["loss"]
    assert loss[-1] < 1e-2 * loss[0], loss
    times = np.linspace(0.0, T, 51)
    error = np.linalg.norm(solution(times[:, None]) - reference(times)) / np.linalg.norm(
        reference(times))
    assert error < 3e-2, error


# ---------------------------------------------------------------- bad input
def oscillator(u, t):
    return partial(u["x"], 0)(t) - u["y"](t), partial(u["y"], 0)(t) + u["x"](t)


LINE = pinn.Interval(0.0, 1.0)


@pytest.mark.parametrize("make, error, message", [
    (lambda: pinn.PDE(LINE, oscillator, fields=("x", "y"),
                      bcs=[pinn.Dirichlet(1.0, on="left", field="z")]), ValueError,
     r"Dirichlet\(field='z'\): expected one of the fields \['x', 'y'\].*got 'z'"),
    (lambda: pinn.PDE(LINE, oscillator, fields=("x", "y"),
                      bcs=[pinn.Observations([[0.5]], [1.0], field="Y")]), ValueError,
     r"Observations\(field='Y'\): expected one of the fields \['x', 'y'\]"),
    (lambda: pinn.PDE(LINE, oscillator, fields=("x", "y"), bcs=[pinn.Initial(1.0, field="q")]),
     ValueError, r"Initial\(field='q'\).*\['x', 'y'\]"),
    (lambda: pinn.PDE(LINE, oscillator, fields=("x", "y"), bcs=[pinn.Neumann(1.0, on="left")]),
     ValueError, r"Neumann\(field=None\): the system has the fields \['x', 'y'\].*field='x'"),
    (lambda: pinn.PDE(LINE, lambda u, t: partial(u, 0)(t), bcs=[pinn.Dirichlet(1.0, field="x")]),
     ValueError, r"Dirichlet\(field='x'\): this problem has one scalar field.*fields="),
    (lambda: pinn.PDE(LINE, oscillator, fields=("x", "y"),
                      bcs=[pinn.Dirichlet(1.0, field="x", hard=True),
                           pinn.Dirichlet(2.0, on="left", field="x", hard=True)]), ValueError,
     r"two Dirichlet\(..., hard=True\) conditions of field 'x' both hold on the part 'left'"),
    (lambda: pinn.PDE(LINE, oscillator, fields="xy"), TypeError,
     r"PDE\(fields=...\): expected a tuple of component names.*fields=\('xy',\)"),
    (lambda: pinn.PDE(LINE, oscillator, fields=("x", "x")), ValueError,
     r"PDE\(fields=...\): the names \['x'\] are declared twice"),
    (lambda: pinn.PDE(LINE, oscillator, fields=("x", "2y")), ValueError,
     r"PDE\(fields=...\).*not identifiers: \['2y'\]"),
    (lambda: pinn.PDE(LINE, lambda u, t: (), fields=("x", "y")), ValueError,
     r"PDE\(residual=...\): returned an empty tuple"),
    (lambda: pinn.PDE(LINE, lambda u, t: (u["x"](t), jnp.ones(3)), fields=("x", "y")),
     ValueError, r"PDE\(residual=...\): entry 1 of the returned tuple has shape \(3,\)"),
    (lambda: pinn.PDE(LINE, lambda u, t: jnp.ones((2, 2)) * u["x"](t), fields=("x", "y")),
     ValueError, r"PDE\(residual=...\): returned shape \(2, 2\)"),
    (lambda: pinn.PDE(LINE, lambda u, t: u["z"](t), fields=("x", "y")), ValueError,
     r"PDE\(residual=...\).*u\['z'\]: no such field; the system's fields are \['x', 'y'\]"),
    (lambda: pinn.PDE(LINE, lambda u, t: jnp.stack([u(t)[0], u(t)[1]]), bcs=[]), ValueError,
     r"PDE\(residual=...\)"),
    (lambda: pinn.PDE(LINE, lambda u, t: jnp.ones(2) * partial(u, 0)(t)), ValueError,
     r"must return one value per point.*fields=\('u', 'v'\)"),
    (lambda: pinn.PDE(LINE, oscillator, fields=("x", "y"), exact=lambda t: jnp.cos(t[0])),
     ValueError, r"exact=...\): expected 2 values per point \(one per field"),
    (lambda: pinn.Dirichlet(1.0, field=3), TypeError,
     r"Dirichlet\(field=...\): expected the name of a component"),
])
def test_bad_system_input_is_refused_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_network_with_the_wrong_number_of_outputs_is_refused_before_training():
    problem = lotka_volterra_problem()
    with pytest.raises(ValueError, match=r"solve\(model=...\): the problem has 2 fields \['x', "
                                         r"'y'\].*returned \(3, 1\).*jaxnn.MLP\(\[32, 32, 2\]"):
        pinn.solve(problem, jaxnn.MLP([8, 1]), stages=[pinn.GaussNewton(1)], verbose=0)


def test_a_system_of_one_field_needs_no_field_names_in_its_conditions():
    problem = pinn.PDE(LINE, lambda u, t: partial(u["c"], 0)(t) + u["c"](t), fields=("c",),
                       bcs=[pinn.Dirichlet(1.0, on="left")])
    assert problem.component(problem.bcs[0]) == "c" and problem.equations == 1
    two = pinn.PDE(LINE, oscillator, fields=("x", "y"),
                   bcs=[pinn.Dirichlet(1.0, on="left", field="x"),
                        pinn.Dirichlet(0.0, on="left", field="y")])
    assert two.equations == 2
    hard = two.with_hard_dirichlet()
    assert set(hard.hard_dirichlets) == {"x", "y"} and not two.hard_dirichlets


# ---------------------------------------------------------------------------------------------
# The coupled two-field bounce (pinn.problems.bounce): V = V₁(φ) + μ²χ²/2 - gφ²χ


def test_coupled_bounce_forces_are_the_gradient_of_its_potential():
    from pinn.problems import bounce

    def potential(fields, g=0.3, mu=1.7, alpha=bounce.ALPHA):
        phi, chi = fields
        return (phi**2 / 2 - phi**3 / 2 + alpha * phi**4 / 8 + mu**2 * chi**2 / 2
                - g * phi**2 * chi)

    for point in ([0.7, -0.4], [4.1, 0.6], [-1.3, 2.2]):
        expected = jax.grad(potential)(jnp.array(point))
        got = bounce.coupled_gradient(*point, coupling=0.3, mass=1.7)
        np.testing.assert_allclose(np.array(got), np.asarray(expected), rtol=1e-6)


@pytest.mark.slow
def test_coupled_bounce_reference_reduces_to_the_shooting_bounce_and_solves_its_equations():
    from pinn.problems import bounce

    # g = 0: χ = 0 and φ the one-field bounce of the shooting method (an independent solver)
    radii, values, _ = bounce.coupled_profile(coupling=0.0)
    _, shot_radii, shot, _ = bounce.shooting_profile(12.0)
    np.testing.assert_allclose(radii[::2], shot_radii, atol=1e-12)  # every other grid point
    np.testing.assert_allclose(values[::2, 0], shot, atol=2e-6)
    np.testing.assert_allclose(values[:, 1], 0.0, atol=1e-9)
    # g = 0.1: the tabulated profile satisfies both equations by central differences
    radii, values, _ = bounce.coupled_profile()
    h = radii[1] - radii[0]
    inner = slice(40, -40)
    second = (values[2:] - 2 * values[1:-1] + values[:-2])[inner] / h**2
    first = (values[2:] - values[:-2])[inner] / (2 * h)
    r = radii[1:-1][inner, None]
    phi, chi = values[1:-1][inner].T
    forces = np.stack(bounce.coupled_gradient(phi, chi), axis=1)
    np.testing.assert_allclose(second + 3 * first / r - forces, 0.0, atol=5e-5)
    assert values[0, 0] > 4 and values[0, 1] > 0.5  # a bounce, not the false vacuum (0, 0)


@pytest.mark.slow
def test_coupled_bounce_pinn_matches_the_solve_bvp_reference_to_1e_5():
    from pinn.problems import bounce

    with enable_x64(True):
        problem = bounce.coupled_problem()
        solution = pinn.solve(
            problem, jaxnn.MLP([20, 20, 2], activation="tanh"), stages=[pinn.GaussNewton(150)],
            collocation=pinn.Collocation(400, boundary=1, method="grid"), dtype="float64",
            initial_guess=bounce.coupled_initial_guess, seed=0, verbose=0)
        assert solution.relative_l2() <= 1e-5
        assert solution.relative_l2(field="chi") <= 1e-5
