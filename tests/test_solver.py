"""`pinn.solve`: accuracy against exact solutions, what each option does, and bad input.

Every solve here is written in the parts form (stages, collocation, weighting, dtype); the
older keyword form is tested in test_legacy.py.

Solves are few and small (each costs a few seconds of compilation on a CPU): the module-scoped
fixtures below are shared by the tests that only inspect a finished solution.
"""

from __future__ import annotations

import dataclasses
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import linen as nn
from stopping import SEQUENCES, keras_early_stopping
from interrupt import Killed, kill_after
from x64 import enable_x64

import jaxnn
import pinn
from jaxnn.training import init_params
from pinn import operators, problems
from pinn.solver import _solve as solver
from pinn.solver._residuals import make_field, make_residuals
from pinn.solver._sampling import CollocationBatch

PI = np.pi
LINE = np.linspace(-1.0, 1.0, 101)[:, None]  # our own test points for poisson1d
UNIT = np.linspace(0.0, 1.0, 51)[:, None]  # and for the problems on [0, 1]
X64_BEFORE = jax.config.jax_enable_x64  # the global switch before any solve ran


@pytest.fixture
def x64():
    """JAX's x64 mode for one test (float64 solutions need it to be evaluated)."""
    with enable_x64(True):
        yield


def poisson1d():
    """-u'' = π² sin πx on [-1, 1], u(±1) = 0; exact u = sin πx."""
    return problems.get("poisson1d").build()


def small_net(width=20):
    """One hidden layer: compiles several times faster than two, and is enough in 1-D."""
    return jaxnn.MLP([width, 1], activation="tanh")


def exact_on_unit_interval(x):
    """u = sin 2x + x + 1, so u'' + 4 sin 2x = 0: u(0) = 1, u'(0) = 3, u'(1) = 2 cos 2 + 1."""
    return np.sin(2 * x) + x + 1


def unit_interval_problem(*bcs):
    return pinn.PDE(pinn.Interval(0.0, 1.0),
                    lambda u, x: operators.partial(u, 0, 2)(x) + 4 * jnp.sin(2 * x[0]),
                    bcs=list(bcs), exact=lambda x: jnp.sin(2 * x[0]) + x[0] + 1)


NEUMANN_AT_1 = pinn.Neumann(2 * np.cos(2.0) + 1, on="right")  # ∂u/∂n = +u'(1)


def central_slope(solution, x, h=1e-4):
    """u'(x) of a trained solution by a central finite difference (float64: error ~1e-8)."""
    return float(np.diff(solution(np.array([[x - h], [x + h]])))[0] / (2 * h))


@pytest.fixture(scope="module")
def adam_lbfgs_solution():
    return pinn.solve(poisson1d(), small_net(),
                      stages=[pinn.Adam(200, learning_rate=1e-2), pinn.LBFGS(200)],
                      collocation=pinn.Collocation(100), log_every=100, seed=0, verbose=0)


@pytest.fixture(scope="module")
def gauss_newton_solution():
    """u(0) = 1 imposed exactly (hard), u'(1) = 2 cos 2 + 1 as a soft Neumann condition."""
    problem = unit_interval_problem(pinn.Dirichlet(1.0, on="left", hard=True), NEUMANN_AT_1)
    with enable_x64(True):
        return pinn.solve(problem, small_net(), stages=[pinn.GaussNewton(60)],
                          collocation=pinn.Collocation(100, method="grid"), dtype="float64",
                          log_every=20, seed=0, verbose=0)


# ---------------------------------------------------------------------------------------------
# Accuracy


def test_adam_then_lbfgs_in_float32_reaches_a_loose_bar(adam_lbfgs_solution):
    u, exact = adam_lbfgs_solution(LINE), np.sin(PI * LINE[:, 0])
    assert np.linalg.norm(u - exact) / np.linalg.norm(exact) < 3e-2
    assert adam_lbfgs_solution.relative_l2() < 3e-2
    assert adam_lbfgs_solution.history["relative_l2"][-1] < 3e-2


def test_gauss_newton_in_float64_reaches_a_tight_bar(gauss_newton_solution, x64):
    u, exact = gauss_newton_solution(UNIT), exact_on_unit_interval(UNIT[:, 0])
    error = np.linalg.norm(u - exact) / np.linalg.norm(exact)
    assert error < 1e-5
    assert np.max(np.abs(u - exact)) < 1e-5
    # the Solution's own measures agree (they use a grid of 10,000 points)
    np.testing.assert_allclose(gauss_newton_solution.relative_l2(), error, rtol=0.5)
    assert gauss_newton_solution.max_error() < 1e-5
    assert gauss_newton_solution.residual_rms() < 1e-3
    assert gauss_newton_solution.stop_reason is None


def test_hard_constraint_gives_the_boundary_value_exactly(gauss_newton_solution, x64):
    assert gauss_newton_solution.problem.hard_dirichlet is not None
    assert gauss_newton_solution(np.array([[0.0]]))[0] == 1.0


def test_neumann_condition_is_satisfied_by_the_trained_solution(gauss_newton_solution, x64):
    assert abs(central_slope(gauss_newton_solution, 1.0) - (2 * np.cos(2.0) + 1)) < 1e-4


def test_hard_constraint_ansatz_matches_a_non_zero_boundary_value_for_any_network():
    def g(x):
        return 1.0 + x[0] - 2.0 * x[1] ** 2

    problem = pinn.Laplace(pinn.Rectangle((0.0, 0.0), (2.0, 1.0)),
                           bcs=[pinn.Dirichlet(g, hard=True)])
    model = small_net(8)
    params = model.init(jax.random.PRNGKey(3), jnp.zeros((1, 2)))
    u = jax.jit(jax.vmap(make_field(problem, model)(params)))
    boundary = problem.domain.sample_boundary(64, seed=0).points
    np.testing.assert_allclose(np.asarray(u(jnp.asarray(boundary, jnp.float32))),
                               1.0 + boundary[:, 0] - 2.0 * boundary[:, 1] ** 2, atol=1e-5)
    inside = jnp.asarray(problem.domain.sample_interior(64, seed=0), jnp.float32)
    assert np.max(np.abs(np.asarray(u(inside) - jax.vmap(g)(inside)))) > 1e-3  # not just g


def test_robin_condition_is_solved_to_the_exact_solution(x64):
    # outward normal -1 at x = 0: 2u + ∂u/∂n = 2u(0) - u'(0) = 2 - 3 = -1
    problem = unit_interval_problem(pinn.Robin(2.0, 1.0, value=-1.0, on="left"), NEUMANN_AT_1)
    solution = pinn.solve(problem, small_net(), stages=[pinn.GaussNewton(60)],
                          collocation=pinn.Collocation(100, method="grid"), dtype="float64",
                          log_every=20, verbose=0)
    assert np.max(np.abs(solution(UNIT) - exact_on_unit_interval(UNIT[:, 0]))) < 1e-5
    u0 = solution(np.array([[0.0]]))[0]
    assert abs(2 * u0 - central_slope(solution, 0.0) - (-1.0)) < 1e-4


# ---------------------------------------------------------------------------------------------
# The Solution object


def test_solution_maps_points_to_one_value_each(adam_lbfgs_solution):
    assert adam_lbfgs_solution(LINE).shape == (101,)
    assert adam_lbfgs_solution(np.zeros((1, 1))).shape == (1,)
    assert adam_lbfgs_solution([[0.5], [0.25]]).shape == (2,)  # lists work too


def test_history_has_the_losses_and_a_monotone_step_per_log(adam_lbfgs_solution):
    history = adam_lbfgs_solution.history
    assert {"step", "loss", "interior_loss", "boundary_loss", "relative_l2", "stage",
            "time"} <= set(history)
    assert history["step"] == [100, 200, 300, 400]
    assert history["stage"] == ["adam", "adam", "lbfgs", "lbfgs"]
    assert all(len(values) == 4 for values in history.values())
    assert history["loss"][-1] < history["loss"][0]


def test_float32_is_the_default_and_float64_gives_float64(adam_lbfgs_solution,
                                                          gauss_newton_solution):
    assert adam_lbfgs_solution(LINE).dtype == np.float32
    assert {leaf.dtype for leaf in jax.tree_util.tree_leaves(adam_lbfgs_solution.params)} == {
        jnp.dtype("float32")}
    assert gauss_newton_solution.dtype == np.float64 and gauss_newton_solution.float64
    with enable_x64(True):
        assert gauss_newton_solution(UNIT).dtype == np.float64
    assert {leaf.dtype for leaf in jax.tree_util.tree_leaves(gauss_newton_solution.params)} == {
        jnp.dtype("float64")}
    # solve never touches the global switch: it is as it was.
    assert jax.config.jax_enable_x64 == X64_BEFORE
    if not X64_BEFORE:
        assert jnp.zeros(1).dtype == jnp.float32


@pytest.mark.skipif(X64_BEFORE, reason="x64 is on for the whole session")
def test_float64_with_x64_off_is_refused_with_the_line_that_enables_it(gauss_newton_solution):
    with pytest.raises(ValueError, match=r'solve\(dtype=...\).*jax.config.update\('
                                         r'"jax_enable_x64", True\).*JAX_ENABLE_X64=1'):
        pinn.solve(poisson1d(), small_net(), dtype="float64", verbose=0)
    with pytest.raises(ValueError, match=r"Solution\(points\) of a float64 solution.*x64"):
        gauss_newton_solution(UNIT)
    assert jax.config.jax_enable_x64 is False


def test_points_of_the_wrong_shape_are_refused_naming_the_expected_shape(adam_lbfgs_solution):
    with pytest.raises(ValueError, match=r"shape \(n, 1\).*got shape \(5, 2\)"):
        adam_lbfgs_solution(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        adam_lbfgs_solution(np.array([[0.1], [np.nan]]))
    with pytest.raises(TypeError, match="real coordinates"):
        adam_lbfgs_solution(np.array([["a"], ["b"]]))


def test_one_dimensional_points_may_come_without_the_coordinate_axis(adam_lbfgs_solution):
    np.testing.assert_array_equal(adam_lbfgs_solution(LINE[:, 0]), adam_lbfgs_solution(LINE))


@pytest.mark.slow  # determinism: the bit-for-bit resume tests stay in the default suite
def test_same_seed_same_solution_and_another_seed_another():
    def run(seed):
        return pinn.solve(poisson1d(), jaxnn.MLP([8, 1], activation="tanh"),
                          stages=[pinn.Adam(10)], collocation=pinn.Collocation(30),
                          log_every=10, seed=seed, verbose=0)

    first, again, other = run(0), run(0), run(1)
    np.testing.assert_array_equal(first(LINE), again(LINE))
    assert first.history["loss"] == again.history["loss"]
    assert not np.allclose(first(LINE), other(LINE))


# ---------------------------------------------------------------------------------------------
# Options between epochs: resampling, adaptive refinement, gradient weighting, Fourier features


@pytest.fixture(scope="module")
def recorded_batches():
    """One short solve with every between-epoch option on, recording the batches it trains on:
    the first, then the one handed over before each later epoch."""
    batches = []
    original = CollocationBatch.data_fn

    def recording_data_fn(self, *args, **kwargs):
        update = original(self, *args, **kwargs)
        batches.append(jax.tree_util.tree_map(np.asarray, self.batch()))

        def recorded(epoch, params):
            batch = update(epoch, params)
            batches.append(jax.tree_util.tree_map(np.asarray, batch))
            return batch

        return recorded

    patch = pytest.MonkeyPatch()
    patch.setattr(CollocationBatch, "data_fn", recording_data_fn)
    try:
        solution = pinn.solve(
            poisson1d(), pinn.FourierFeatures(jaxnn.MLP([10, 1], activation="tanh"),
                                              num_features=6, scale=1.0, seed=0),
            stages=[pinn.Adam(30)], log_every=10,
            collocation=pinn.Collocation(40, resample_every=10, refinement=pinn.Refinement(
                every=10, add=5, candidates=200, rounds=2)),
            weighting=pinn.GradientNormWeights(), verbose=0)
    finally:
        patch.undo()
    assert len(batches) == 3
    return solution, batches


def test_resample_every_draws_new_collocation_points_between_epochs(recorded_batches):
    _, batches = recorded_batches
    interiors = [batch["interior"][:40] for batch in batches]
    assert len({interior.shape for interior in interiors}) == 1
    for before, after in itertools.pairwise(interiors):
        assert not np.any(np.isin(after, before))


def test_adaptive_refinement_adds_points_during_the_solve(recorded_batches):
    _, batches = recorded_batches
    assert [float(batch["interior_mask"].sum()) for batch in batches] == [40, 45, 50]
    assert batches[0]["interior"].shape == (50, 1)


def test_gradient_weighting_changes_the_boundary_weight(recorded_batches):
    _, batches = recorded_batches
    weights = [float(batch["weights"]["boundary"][0]) for batch in batches]
    assert weights[0] == 1.0
    assert weights[1] != 1.0 and weights[2] != weights[1]
    assert all(np.isfinite(weights)) and min(weights) > 0


def test_fourier_features_wrap_the_network(recorded_batches):
    solution, _ = recorded_batches
    assert isinstance(solution.model, pinn.FourierFeatures)
    n_params = sum(leaf.size for leaf in jax.tree_util.tree_leaves(solution.params))
    assert n_params == (2 * 6) * 10 + 10 + 10 * 1 + 1  # 12 features in, B is not trained
    u = solution(LINE)
    assert u.shape == (101,) and np.all(np.isfinite(u))


# ---------------------------------------------------------------------------------------------
# Failure as a value


def test_diverging_run_stops_with_a_reason_and_keeps_finite_parameters():
    problem = pinn.PDE(pinn.Interval(0.0, 1.0), lambda u, x: jnp.exp(30 * u(x)) - 1.0,
                       bcs=[pinn.Dirichlet(0.0)])
    with pytest.warns(RuntimeWarning, match="non-finite"):
        solution = pinn.solve(problem, jaxnn.MLP([8, 1], activation="tanh"),
                              stages=[pinn.OptaxStage(optax.sgd(1e6), 20)], log_every=10,
                              collocation=pinn.Collocation(20), verbose=0)
    assert solution.stop_reason is not None and "non-finite" in solution.stop_reason
    assert set(solution.history["stage"]) == {"custom"}  # the Optax transformation was used
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves(solution.params))
    assert np.all(np.isfinite(solution(LINE[50:])))
    assert np.isfinite(solution.residual_rms())


def test_initial_params_start_where_an_earlier_solve_ended(gauss_newton_solution, x64):
    again = pinn.solve(gauss_newton_solution.problem, small_net(), stages=[pinn.GaussNewton(1)],
                       collocation=pinn.Collocation(100, method="grid"), dtype="float64",
                       initial_params=gauss_newton_solution.params, log_every=1, verbose=0)
    # the same points: a Gauss-Newton step from the converged parameters keeps their loss
    # (it takes only steps that lower it), where one step from a fresh network is far off
    assert again.history["loss"][0] <= gauss_newton_solution.history["loss"][-1] < 1e-8
    assert again.relative_l2() < 2 * gauss_newton_solution.relative_l2() < 1e-4


class _ListWidths(jaxnn.MLP):
    """An MLP with a list-valued field: unhashable, so not a static argument of a jit."""

    extra: list = dataclasses.field(default_factory=list)


@pytest.mark.parametrize("model", [jaxnn.MLP([8, 8, 1], activation="tanh"),
                                   _ListWidths([8, 8, 1], activation="tanh", extra=[1])],
                         ids=["hashable", "unhashable"])
def test_initial_weights_are_flax_init_in_float32_cast_to_the_dtype(model, x64):
    # oracle: Flax's own initializer run op by op, then cast
    expected = model.init(jax.random.PRNGKey(3), jnp.zeros((1, 2), jnp.float32))
    weights = init_params(model, jax.random.PRNGKey(3), np.zeros((1, 2), np.float32), "float64")
    assert jax.tree_util.tree_structure(weights) == jax.tree_util.tree_structure(expected)
    for got, want in zip(jax.tree_util.tree_leaves(weights), jax.tree_util.tree_leaves(expected),
                         strict=True):
        assert got.dtype == np.float64
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want, np.float64))


def test_initial_params_of_another_network_are_refused_naming_the_shapes(
        gauss_newton_solution):
    with pytest.raises(ValueError, match=r"initial_params=.*shaped.*same network"):
        pinn.solve(gauss_newton_solution.problem, small_net(width=8), verbose=0,
                   initial_params=gauss_newton_solution.params)


# ---------------------------------------------------------------------------------------------
# Bad input, refused before anything trains


def test_network_with_two_outputs_is_refused():
    with pytest.raises(ValueError, match=r"one value per point.*\(3, 2\).*last layer size 1"):
        pinn.solve(poisson1d(), jaxnn.MLP([8, 2]), verbose=0)


def test_dense_gauss_newton_refuses_a_large_network_and_points_to_cg():
    with pytest.raises(ValueError, match=r"10401 parameters.*solver='cg'"):
        pinn.solve(poisson1d(), jaxnn.MLP([100, 100, 1]),
                   stages=[pinn.GaussNewton(solver="dense")],
                   collocation=pinn.Collocation(20), verbose=0)


@pytest.mark.parametrize("argument", ["log_every", "guess_steps"])
@pytest.mark.parametrize("value, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError)])
def test_step_counts_of_solve_must_be_positive_integers(argument, value, error):
    with pytest.raises(error, match=rf"solve\({argument}=...\): expected an integer.*{value}"):
        pinn.solve(poisson1d(), **{argument: value}, verbose=0)


def test_problem_must_be_a_pde():
    with pytest.raises(TypeError, match=r"solve\(problem=...\).*got Interval"):
        pinn.solve(pinn.Interval(0.0, 1.0), verbose=0)


def test_hard_dirichlet_needs_a_dirichlet_condition():
    problem = unit_interval_problem(pinn.Robin(2.0, 1.0, value=-1.0, on="left"), NEUMANN_AT_1)
    with pytest.raises(ValueError, match="no Dirichlet condition"):
        problem.with_hard_dirichlet()


@pytest.mark.parametrize("measure", ["relative_l2", "max_error", "residual_rms"])
def test_an_error_measured_on_points_outside_the_domain_is_refused(adam_lbfgs_solution, measure):
    # A reference grid over a wider box than the problem's [-1, 1]; evaluating there is allowed.
    grid = np.linspace(-1.5, 1.5, 7)[:, None]
    assert adam_lbfgs_solution(grid).shape == (7,)
    with pytest.raises(ValueError, match=rf"{measure}\(points=...\): 2 of 7 points lie outside "
                                         r"the problem's domain .*x = \[-1.5\].*contains"):
        getattr(adam_lbfgs_solution, measure)(points=grid)
    getattr(adam_lbfgs_solution, measure)(points=grid[1:-1])  # on the domain: measured


def test_two_hard_dirichlet_conditions_blended_solve_to_the_exact_solution(x64):
    # u = 0 on the left, u = 1 on the right, no flux through the top and bottom: u = x. Both
    # values are imposed through one blended lifting, exactly on their sides.
    square = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))
    problem = pinn.Laplace(square, bcs=[
        pinn.Dirichlet(0.0, on="left", hard=True), pinn.Dirichlet(1.0, on="right", hard=True),
        pinn.Neumann(0.0, on=["top", "bottom"])], exact=lambda x: x[0])
    solution = pinn.solve(problem, jaxnn.MLP([12, 12, 1], activation="tanh"),
                          stages=[pinn.GaussNewton(30)],
                          collocation=pinn.Collocation(200, 40, method="sobol"),
                          dtype="float64", verbose=0)
    assert solution.relative_l2() < 1e-5
    edges = np.array([[0.0, 0.1], [0.0, 0.7], [1.0, 0.2], [1.0, 0.9]])
    np.testing.assert_array_equal(solution(edges), [0.0, 0.0, 1.0, 1.0])


def test_exact_solution_with_nan_is_refused_naming_the_point():
    with pytest.raises(ValueError, match=r"Poisson\(exact=...\): expected finite values on the "
                                         r"interior, got \[nan\] at x = \[-0\."):
        pinn.Poisson(pinn.Interval(-1.0, 1.0), source=1.0, bcs=[pinn.Dirichlet(0.0)],
                     exact=lambda x: jnp.sqrt(x[0]))


class _Trained(Exception):
    """Raised instead of training: the call got past every check."""


@pytest.fixture
def no_training(monkeypatch):
    """Replace the training loop: record what solve asked of it, then stop."""
    calls = []

    def train_loop(loss_fn, params, data, **options):
        calls.append(options)
        raise _Trained

    monkeypatch.setattr(solver, "train_loop", train_loop)
    return calls


def test_solve_trains_the_number_of_steps_asked_for(no_training):
    with pytest.raises(_Trained):
        pinn.solve(poisson1d(), stages=[pinn.Adam(15)], log_every=10, verbose=0)
    (options,) = no_training
    assert options["total_steps"] == 15  # two epochs of 10, the last 5 steps skipped
    assert options["epochs"] * options["steps_per_epoch"] >= 15


def test_source_of_shape_1_gives_the_same_residual_vector_as_a_scalar_source():
    interval = pinn.Interval(-1.0, 1.0)
    scalar = pinn.Poisson(interval, source=lambda x: PI**2 * jnp.sin(PI * x[0]),
                          bcs=[pinn.Dirichlet(0.0, hard=True)])
    vector = pinn.Poisson(interval, source=lambda x: PI**2 * jnp.sin(PI * x),
                          bcs=[pinn.Dirichlet(0.0, hard=True)])
    model = jaxnn.MLP([8, 1], activation="tanh")
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 1)))
    vectors = []
    for problem in (scalar, vector):
        batch = CollocationBatch(problem, 20, 2, "uniform", 0, jnp.float32, None, None).batch()
        vectors.append(make_residuals(problem, make_field(problem, model))[0](params, batch)[0])
    assert vectors[1].shape == vectors[0].shape == (20,)
    np.testing.assert_allclose(vectors[1], vectors[0], rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# solve from parts: stages, collocation, weighting, dtype


def test_gradient_weighting_with_hard_constraints_trains():
    # Was KeyError 'boundary_loss': with the only condition hard there is nothing to balance.
    problem = unit_interval_problem(pinn.Dirichlet(1.0)).with_hard_dirichlet()
    solution = pinn.solve(problem, small_net(8), stages=[pinn.Adam(20, learning_rate=1e-2)],
                          collocation=pinn.Collocation(30), weighting=pinn.GradientNormWeights(),
                          log_every=10, verbose=0)
    assert solution.history["loss"][-1] < solution.history["loss"][0]
    assert solution(np.array([[0.0], [1.0]])).tolist() == [1.0, 1.0]


def test_the_dirichlet_conditions_own_flag_decides_the_ansatz():
    problem = unit_interval_problem(pinn.Dirichlet(1.0, on="left", hard=True), NEUMANN_AT_1)
    solution = pinn.solve(problem, small_net(8), stages=[pinn.Adam(10)],
                          collocation=pinn.Collocation(20), log_every=10, verbose=0)
    assert solution(np.array([[0.0]]))[0] == 1.0
    assert "boundary_loss" in solution.history  # the Neumann condition stays a loss term


def test_killed_solve_with_resampling_and_refinement_resumes_bit_for_bit(tmp_path):
    def run(directory, resume=False, kill_at=None):
        # Two identical stages share one compiled program; the kill falls in the second, so
        # the resumed run also restores the finished first stage and its points.
        return pinn.solve(
            poisson1d(), jaxnn.MLP([8, 1], activation="tanh"),
            stages=[pinn.Adam(30, learning_rate=1e-2), pinn.Adam(30, learning_rate=1e-2)],
            collocation=pinn.Collocation(30, boundary=2, resample_every=10,
                                         refinement=pinn.Refinement(every=20, add=4,
                                                                    candidates=100, rounds=3)),
            weighting=pinn.GradientNormWeights(), log_every=10, seed=1, verbose=0,
            checkpoint_dir=str(directory), resume=resume, callbacks=[kill_after(kill_at)])

    whole = run(tmp_path / "whole")
    with pytest.raises(Killed):
        run(tmp_path / "killed", kill_at=5)
    resumed = run(tmp_path / "killed", resume=True)
    leaves = zip(jax.tree_util.tree_leaves(whole.params),
                 jax.tree_util.tree_leaves(resumed.params), strict=True)
    assert all(np.array_equal(a, b) for a, b in leaves)
    assert whole.history["step"] == resumed.history["step"] == [10, 20, 30, 40, 50, 60]
    np.testing.assert_array_equal(whole.history["loss"], resumed.history["loss"])


class _Table(nn.Module):
    """u(x) = sqrt(values[w]) everywhere, w a parameter: a Dirichlet condition u = 0 at the
    two ends of an interval then logs boundary_loss = values[w] exactly."""

    values: tuple[float, ...]

    @nn.compact
    def __call__(self, x):
        w = self.param("w", nn.initializers.zeros, ())
        return jnp.sqrt(jnp.asarray(self.values))[w.astype(jnp.int32)] * jnp.ones(
            x.shape[:-1] + (1,))


# Whatever the gradient: every parameter goes up by 1 each step, so epoch e logs values[e - 1].
_WALK = optax.GradientTransformation(
    lambda params: optax.EmptyState(),
    lambda grads, state, params=None: (jax.tree_util.tree_map(jnp.ones_like, grads), state))


@pytest.mark.parametrize(("values", "patience", "min_delta", "stopped", "best"), SEQUENCES)
def test_a_stages_early_stopping_follows_keras_and_the_next_stage_starts_from_the_best(
        values, patience, min_delta, stopped, best):
    assert keras_early_stopping(values, patience, min_delta) == (stopped, best)  # the oracle
    stopper = jaxnn.EarlyStopping(monitor="boundary_loss", patience=patience, min_delta=min_delta)
    table = [*values, 1.0, 2.0]
    solution = pinn.solve(
        pinn.Laplace(pinn.Interval(0.0, 1.0), bcs=[pinn.Dirichlet(0.0)]),
        _Table(tuple(table)),
        stages=[pinn.OptaxStage(_WALK, len(values), early_stopping=stopper),
                pinn.OptaxStage(_WALK, 2)], log_every=1, verbose=0)
    history = solution.history
    assert history["epoch"] == [*range(1, stopped + 1), 1, 2]
    # Keras keeps the weights at the end of the best epoch, w = best; the next stage goes on
    # from there for its two steps, and the solve itself did not stop early.
    np.testing.assert_allclose(history["boundary_loss"],
                               table[:stopped] + table[best:best + 2], rtol=1e-6)
    assert float(solution.params["params"]["w"]) == best + 2
    assert solution.stop_reason is None


def test_a_solve_killed_after_a_stage_stopped_early_resumes_into_the_next_stage(tmp_path):
    values = [5.0, 4.0, 3.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.0, 1.0, 1.0, 1.0]

    def run(kill_at=None, resume=False):
        stopper = jaxnn.EarlyStopping(monitor="loss", patience=2)
        return pinn.solve(
            pinn.Laplace(pinn.Interval(0.0, 1.0), bcs=[pinn.Dirichlet(0.0)]), _Table(tuple(values)),
            stages=[pinn.OptaxStage(_WALK, 8, early_stopping=stopper), pinn.OptaxStage(_WALK, 3)],
            log_every=1, verbose=0, checkpoint_dir=str(tmp_path), resume=resume,
            callbacks=[kill_after(kill_at)])

    with pytest.raises(Killed):
        run(kill_at=7)  # stage 1 stopped after epoch 6 (best at 4); killed in stage 2
    resumed = run(resume=True)
    assert resumed.stop_reason is None
    assert resumed.history["epoch"] == [1, 2, 3, 4, 5, 6, 1, 2, 3]
    assert float(resumed.params["params"]["w"]) == 4 + 3


@pytest.mark.parametrize("options, error, message", [
    ({"stages": ["adam"]}, TypeError, r"solve\(stages=.*pinn.Adam"),
    ({"stages": []}, TypeError, r"solve\(stages="),
    ({"collocation": {"interior": 10}}, TypeError, r"solve\(collocation=...\).*pinn.Collocation"),
    ({"weighting": {"boundary": 10}}, TypeError, r"solve\(weighting=...\).*FixedWeights"),
    ({"dtype": "float16"}, ValueError, r"solve\(dtype=...\).*'float32' or 'float64'"),
    ({"dtype": "double-ish"}, TypeError, r"solve\(dtype=...\)"),
    ({"seed": -1}, ValueError, r"solve\(seed=...\).*non-negative.*got -1"),
    ({"seed": 1.5}, TypeError, r"solve\(seed=...\).*integer, got float 1.5"),
    ({"model": "mlp"}, TypeError, r"solve\(model=...\).*flax.linen Module"),
    ({"model": jaxnn.CNN()}, ValueError, r"solve\(model=...\).*fails on points"),
])
def test_bad_pieces_are_refused_before_training(no_training, options, error, message):
    with pytest.raises(error, match=message):
        pinn.solve(poisson1d(), verbose=0, **options)
    assert no_training == []


class _Identity(nn.Module):
    """The features themselves, to compare them with NumPy's."""

    @nn.compact
    def __call__(self, x):
        return x


def test_fourier_features_of_known_frequencies_and_the_inputs_match_numpy():
    x = np.random.default_rng(0).uniform(0.0, 1.0, (5, 3))
    known = np.array([[10.0, 0.0, 0.0], [0.0, 0.5, 2.0]])
    module = pinn.FourierFeatures(_Identity(), num_features=2, scale=3.0, seed=4,
                                  frequencies=[tuple(row) for row in known], keep_inputs=True)
    features = np.asarray(module.apply({}, jnp.asarray(x)))
    b = np.concatenate([np.random.default_rng(4).normal(0.0, 3.0, (3, 2)), known.T], axis=1)
    angles = 2 * np.pi * x @ b
    np.testing.assert_allclose(features, np.concatenate([np.cos(angles), np.sin(angles), x], 1),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("options, error, message", [
    ({"num_features": -1}, ValueError, r"FourierFeatures\(num_features=...\).*>= 0, got -1"),
    ({"scale": 0.0}, ValueError, r"FourierFeatures\(scale=...\).*> 0"),
    ({"num_features": 0}, ValueError, r"no features at all.*frequencies=\[...\]"),
    ({"frequencies": "x"}, TypeError, r"FourierFeatures\(frequencies='x'\): expected rows"),
    ({"frequencies": [1.0, 2.0]}, ValueError, r"frequencies=\[1.0, 2.0\]\): expected rows"),
    ({"keep_inputs": "yes"}, TypeError, r"FourierFeatures\(keep_inputs=...\)"),
])
def test_bad_fourier_features_are_refused_when_built(options, error, message):
    with pytest.raises(error, match=message):
        pinn.FourierFeatures(jaxnn.MLP([4, 1]), **options)


def test_known_frequencies_of_the_wrong_length_are_refused_before_training(no_training):
    model = pinn.FourierFeatures(jaxnn.MLP([4, 1]), frequencies=[(1.0, 2.0)])
    with pytest.raises(ValueError, match=r"solve\(model=...\).*expected 1 for 1-D points, got 2"):
        pinn.solve(poisson1d(), model, verbose=0)
    assert no_training == []


@pytest.mark.parametrize("make, error, message", [
    (lambda: pinn.Adam(0), ValueError, r"Adam\(steps=...\)"),
    (lambda: pinn.Adam(10.0), TypeError, r"Adam\(steps=...\)"),
    (lambda: pinn.Adam(10, learning_rate=-1), ValueError, r"Adam\(learning_rate=...\)"),
    (lambda: pinn.LBFGS(10, memory_size=0), ValueError, r"LBFGS\(memory_size=...\)"),
    (lambda: pinn.GaussNewton(10, solver="qr"), ValueError, r"GaussNewton\(solver='qr'\)"),
    (lambda: pinn.GaussNewton(10, damping=0), ValueError, r"damping"),
    (lambda: pinn.OptaxStage("adam", 10), TypeError, r"OptaxStage\(transformation=...\)"),
    (lambda: pinn.Adam(10, early_stopping="loss"), TypeError,
     r"Adam\(early_stopping='loss'\): expected a jaxnn.EarlyStopping"),
    (lambda: pinn.GaussNewton(10, early_stopping=jaxnn.EarlyStopping(patience=3)), ValueError,
     r"GaussNewton\(early_stopping=EarlyStopping\(monitor='val_loss'\)\).*no validation"),
    (lambda: pinn.Collocation(0), ValueError, r"Collocation\(interior=...\)"),
    (lambda: pinn.Collocation(10, method="grid", resample_every=5), ValueError, r"grid"),
    (lambda: pinn.Collocation(10, refinement={"often": 3}), ValueError, r"often"),
    (lambda: pinn.Refinement(add=10, candidates=5), ValueError, r"candidates=5"),
    (lambda: pinn.FixedWeights(boundary=0.0), ValueError, r"FixedWeights\(boundary=...\)"),
])
def test_bad_stage_collocation_and_weights_settings_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()
