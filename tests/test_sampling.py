"""Collocation batches: shapes, masks and counts; resampling, adaptive refinement and gradient
weighting between epochs; validation of the weights; the exact-solution test set."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from x64 import enable_x64

import jaxnn
import pinn
from pinn import operators
from pinn.solver._residuals import make_field
from pinn.solver._sampling import CollocationBatch, exact_test_set

PI = np.pi
UNIT_SQUARE = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))


def square_problem(bcs=None):
    return pinn.Poisson(UNIT_SQUARE, source=1.0,
                        bcs=bcs if bcs is not None else [pinn.Dirichlet(0.0, on=["left", "right"]),
                                                         pinn.Neumann(0.0, on=["top", "bottom"])])


def collocation(problem=None, n_interior=300, n_boundary=40, method="uniform", seed=0,
                dtype=jnp.float32, weights=None, adaptive=None):
    return CollocationBatch(problem or square_problem(), n_interior, n_boundary, method, seed,
                            dtype, weights, adaptive)


# ---------------------------------------------------------------------------------------------
# The batch


def test_batch_holds_interior_points_a_mask_and_one_block_per_soft_condition():
    points = collocation()
    batch = points.batch()
    assert batch["interior"].shape == (300, 2) and batch["interior"].dtype == jnp.float32
    np.testing.assert_array_equal(batch["interior_mask"], np.ones(300))
    assert len(batch["boundary"]) == 2
    left_right, top_bottom = (np.asarray(p) for p, _ in batch["boundary"])
    assert left_right.shape == top_bottom.shape == (40, 2)
    assert np.all(np.isin(left_right[:, 0], [0.0, 1.0]))  # on x = 0 or x = 1
    assert np.all(np.isin(top_bottom[:, 1], [0.0, 1.0]))
    normals = np.asarray(batch["boundary"][1][1])
    np.testing.assert_allclose(np.abs(normals[:, 1]), 1.0)  # vertical unit normals
    assert np.all(UNIT_SQUARE.contains(np.asarray(batch["interior"])))
    assert float(batch["weights"]["interior"]) == 1.0
    assert [float(w) for w in batch["weights"]["boundary"]] == [1.0, 1.0]


def test_hard_dirichlet_condition_gets_no_boundary_points():
    problem = square_problem().with_hard_dirichlet()
    batch = collocation(problem).batch()
    assert len(batch["boundary"]) == 1  # only the Neumann condition is sampled
    assert np.all(np.isin(np.asarray(batch["boundary"][0][0])[:, 1], [0.0, 1.0]))


def test_batch_has_the_requested_dtype():
    with enable_x64(True):
        batch = collocation(dtype=jnp.float64).batch()
        leaves = jax.tree_util.tree_leaves(batch)
        assert {leaf.dtype for leaf in leaves} == {jnp.dtype("float64")}


def test_grid_sampling_takes_the_count_the_domain_gives():
    points = collocation(n_interior=1000, method="grid")
    expected = UNIT_SQUARE.sample_interior(1000, method="grid")
    assert points.n_interior == len(expected)
    assert 500 < points.n_interior < 2000
    np.testing.assert_allclose(np.asarray(points.batch()["interior"]), expected, rtol=1e-6)


def test_adaptive_refinement_preallocates_masked_slots():
    points = collocation(adaptive={"add": 25, "rounds": 3})
    batch = points.batch()
    assert batch["interior"].shape == (300 + 75, 2)
    np.testing.assert_array_equal(np.asarray(batch["interior_mask"]),
                                  np.r_[np.ones(300), np.zeros(75)])


def test_same_seed_same_points_and_different_seed_different_points():
    a, b, c = (collocation(seed=s).batch()["interior"] for s in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


# ---------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("weights, message", [
    ({"boundry": 10.0}, r"unknown keys \['boundry'\]"),
    ({"boundary": -1.0}, r"weights=\{'boundary': -1.0\}.*positive finite"),
    ({"interior": 0.0}, r"weights=\{'interior': 0.0\}.*positive finite"),
    ({"interior": float("nan")}, "positive finite"),
    ({"boundary": "10"}, "positive finite"),
])
def test_bad_loss_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        collocation(weights=weights)


def test_unknown_adaptive_setting_is_refused():
    with pytest.raises(ValueError, match=r"adaptive=...\): unknown keys \['evry'\]"):
        collocation(adaptive={"evry": 100})


@pytest.mark.parametrize("setting", [{"every": 0}, {"add": -5}, {"rounds": 1.5}])
def test_adaptive_settings_must_be_positive_integers(setting):
    with pytest.raises(ValueError, match="adaptive"):
        collocation(adaptive=setting)


def test_weights_scale_the_batch_weights():
    batch = collocation(weights={"interior": 2.0, "boundary": 50.0}).batch()
    assert float(batch["weights"]["interior"]) == 2.0
    assert [float(w) for w in batch["weights"]["boundary"]] == [50.0, 50.0]


# ---------------------------------------------------------------------------------------------
# Adaptive refinement


def test_refine_adds_the_candidates_of_largest_residual():
    points = collocation(adaptive={"add": 20, "candidates": 500, "rounds": 2})
    before = np.asarray(points.batch()["interior"]).copy()
    seen = []

    def residual_at(params, x):
        # a residual peaked at (0.8, 0.2); record the candidates the refinement looked at
        seen.append(np.asarray(x))
        return -params * jnp.exp(-20 * jnp.sum((x - jnp.array([0.8, 0.2])) ** 2, axis=1))

    points.refine(residual_at, jnp.float32(3.0), seed=5)
    candidates = seen[0]
    assert candidates.shape == (500, 2)
    magnitude = 3.0 * np.exp(-20 * np.sum((candidates - [0.8, 0.2]) ** 2, axis=1))
    expected = candidates[np.argsort(magnitude)[-20:]]

    batch = points.batch()
    added = np.asarray(batch["interior"])[300:320]
    assert {tuple(p) for p in np.round(added, 5)} == {tuple(p) for p in np.round(expected, 5)}
    assert float(np.sum(batch["interior_mask"])) == 320
    np.testing.assert_array_equal(np.asarray(batch["interior"])[:300], before[:300])
    np.testing.assert_array_equal(np.asarray(batch["interior"])[320:], 0.0)  # still free slots


# ---------------------------------------------------------------------------------------------
# Between epochs: data_fn


@pytest.fixture(scope="module")
def line_problem_field():
    """-u'' = π² sin πx on [-1, 1] with u(±1) = 0, a small network and its field."""
    problem = pinn.Poisson(pinn.Interval(-1.0, 1.0), source=lambda x: PI**2 * jnp.sin(PI * x[0]),
                           bcs=[pinn.Dirichlet(0.0)])
    model = jaxnn.MLP([8, 1], activation="tanh")
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 1)))
    return problem, make_field(problem, model), params


def test_no_resampling_no_refinement_no_weighting_means_a_fixed_batch(line_problem_field):
    problem, field, _ = line_problem_field
    points = collocation(problem, n_interior=50, n_boundary=2)
    assert points.data_fn(field, 10, None, False) is None


def test_resampling_draws_fresh_points_every_resample_every_steps(line_problem_field):
    problem, field, params = line_problem_field
    points = collocation(problem, n_interior=50, n_boundary=2)
    update = points.data_fn(field, steps_per_epoch=10, resample_every=20,
                            gradient_weighting=False)
    first = np.asarray(points.batch()["interior"])
    unchanged = np.asarray(update(1, params)["interior"])  # step 10: not a multiple of 20
    np.testing.assert_array_equal(unchanged, first)
    fresh = np.asarray(update(2, params)["interior"])  # step 20
    assert fresh.shape == first.shape
    assert not np.any(np.isin(fresh[:, 0], first[:, 0]))
    assert np.all(np.abs(fresh) < 1.0)


def test_adaptive_rounds_happen_every_so_many_steps_up_to_the_limit(line_problem_field):
    problem, field, params = line_problem_field
    points = collocation(problem, n_interior=50, n_boundary=2,
                         adaptive={"every": 20, "add": 5, "candidates": 100, "rounds": 2})
    update = points.data_fn(field, steps_per_epoch=10, resample_every=None,
                            gradient_weighting=False)
    counts = [float(np.sum(update(epoch, params)["interior_mask"])) for epoch in range(1, 7)]
    assert counts == [50, 55, 55, 60, 60, 60]


def test_gradient_weighting_sets_the_boundary_weight_from_gradient_norms(line_problem_field):
    problem, field, params = line_problem_field
    with enable_x64(True):
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), params)
        points = collocation(problem, n_interior=50, n_boundary=2, dtype=jnp.float64)
        update = points.data_fn(field, steps_per_epoch=10, resample_every=None,
                                gradient_weighting=True)
        batch = points.batch()
        x, boundary = batch["interior"], batch["boundary"][0][0]

        # An independent ratio max|∇θ L_interior| / mean|∇θ L_boundary| with the plain formulas.
        def interior_loss(p):
            u = field(p)
            r = jax.vmap(lambda y: -operators.laplacian(u)(y) - PI**2 * jnp.sin(PI * y[0]))(x)
            return jnp.mean(r**2)

        def boundary_loss(p):
            return jnp.mean(jax.vmap(field(p))(boundary) ** 2)

        g_interior = ravel_pytree(jax.jit(jax.grad(interior_loss))(params))[0]
        g_boundary = ravel_pytree(jax.jit(jax.grad(boundary_loss))(params))[0]
        ratio = float(jnp.max(jnp.abs(g_interior)) / jnp.mean(jnp.abs(g_boundary)))

        weight = float(update(1, params)["weights"]["boundary"][0])
    assert ratio > 1.5  # the check below would not tell a changed weight from 1.0 otherwise
    np.testing.assert_allclose(weight, 0.9 + 0.1 * ratio, rtol=1e-6)  # moving average from 1


# ---------------------------------------------------------------------------------------------
# The exact-solution test set


def test_exact_test_set_is_a_grid_with_the_exact_values():
    problem = pinn.Poisson(UNIT_SQUARE, source=1.0, exact=lambda x: x[0] * x[1])
    points, values = exact_test_set(problem, jnp.float32, n=400)
    points = np.asarray(points)
    np.testing.assert_allclose(points, UNIT_SQUARE.sample_interior(400, method="grid"),
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(values), points[:, 0] * points[:, 1], rtol=1e-6)
    assert exact_test_set(square_problem(), jnp.float32, n=400)[1] is None


def test_exact_solution_that_is_not_finite_is_refused_naming_a_point():
    # refused when the problem is declared (a probe of the interior), before any sampling
    with pytest.raises(ValueError, match=r"Poisson\(exact=...\): expected finite values on the "
                                         r"interior, got \[nan\] at x = \[-0\."):
        pinn.Poisson(pinn.Interval(-1.0, 1.0), source=1.0, exact=lambda x: jnp.log(x[0]))
