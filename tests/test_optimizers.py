"""Gauss-Newton / Levenberg-Marquardt against scipy.optimize.least_squares, through jaxnn's loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from scipy.optimize import least_squares
from x64 import enable_x64

from jaxnn.training import train_loop
from pinn.solver import _gauss_newton as optimizers
from pinn.solver._gauss_newton import check_dense_size, gauss_newton


@pytest.fixture(autouse=True)
def float64():
    with enable_x64(True):
        yield


def decay_data(seed=0):
    """y = 2.5 exp(-1.3 t) + 0.4 + noise: a nonlinear least-squares fit with a known optimum."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 4, 60)
    y = 2.5 * np.exp(-1.3 * t) + 0.4 + 0.02 * rng.normal(size=t.size)
    return {"t": jnp.asarray(t), "y": jnp.asarray(y)}


def decay_residual(params, batch):
    return params["a"] * jnp.exp(-params["b"] * batch["t"]) + params["c"] - batch["y"]


def decay_jacobian(params, batch):
    e = jnp.exp(-params["b"] * batch["t"])
    # ravel_pytree order of {"a", "b", "c"}: sorted keys.
    jac = jnp.stack([e, -params["a"] * batch["t"] * e, jnp.ones_like(e)], axis=1)
    return decay_residual(params, batch), jac


def fit(optimizer, data, start, steps=40):
    def loss_fn(params, batch, key):
        r = decay_residual(params, batch)
        return jnp.sum(r * r), {}

    return train_loop(loss_fn, start, data, optimizer=optimizer, epochs=1, batch_size=None,
                      steps_per_epoch=steps)


def scipy_optimum(data, start):
    t, y = np.asarray(data["t"]), np.asarray(data["y"])
    solution = least_squares(lambda p: p[0] * np.exp(-p[1] * t) + p[2] - y,
                             [start["a"], start["b"], start["c"]], xtol=1e-15, ftol=1e-15,
                             gtol=1e-15)
    return solution.x


START = {"a": 1.0, "b": 0.2, "c": 0.0}


@pytest.mark.parametrize("variant", ["dense", "dense_forward_jacobian", "cg"])
def test_gauss_newton_reaches_the_scipy_least_squares_optimum(variant):
    data = decay_data()
    start = {k: jnp.float64(v) for k, v in START.items()}
    optimizer = {
        "dense": gauss_newton(decay_residual, decay_jacobian),
        "dense_forward_jacobian": gauss_newton(decay_residual),
        "cg": gauss_newton(decay_residual, solver="cg"),
    }[variant]
    result = fit(optimizer, data, start)
    expected = scipy_optimum(data, START)
    got = np.array([float(result.params[k]) for k in ("a", "b", "c")])
    np.testing.assert_allclose(got, expected, rtol=1e-7)  # scipy stops at |Jᵀr| ~ 1e-9
    residual, jacobian = decay_jacobian(result.params, data)
    # first-order optimality, to the round-off of Jᵀr (a few 1e-9, depending on the compiler)
    assert float(jnp.linalg.norm(jacobian.T @ residual)) < 1e-8
    assert float(jnp.sum(residual**2)) < 0.03  # 60 residuals of noise 0.02: about 60 * 4e-4


def test_gauss_newton_converges_quadratically_on_a_zero_residual_problem():
    # Exact data: the residual at the optimum is zero and Gauss-Newton converges
    # quadratically; the final loss is at float64 rounding level.
    t = jnp.linspace(0, 4, 60)
    data = {"t": t, "y": 2.5 * jnp.exp(-1.3 * t) + 0.4}
    start = {k: jnp.float64(v) for k, v in START.items()}
    result = fit(gauss_newton(decay_residual, decay_jacobian), data, start, steps=30)
    assert float(jnp.sum(decay_residual(result.params, data) ** 2)) < 1e-25
    np.testing.assert_allclose(float(result.params["b"]), 1.3, rtol=1e-12)


def test_a_singular_jacobian_is_damped_not_a_crash():
    # y = (a + b) t: a and b only enter as a sum, so JᵀJ is exactly singular.
    t = jnp.linspace(0, 1, 20)
    data = {"t": t, "y": 3.0 * t}

    def residual(params, batch):
        return (params["a"] + params["b"]) * batch["t"] - batch["y"]

    def loss_fn(params, batch, key):
        return jnp.sum(residual(params, batch) ** 2), {}

    result = train_loop(loss_fn, {"a": jnp.float64(0.0), "b": jnp.float64(0.0)}, data,
                        optimizer=gauss_newton(residual), epochs=1, batch_size=None,
                        steps_per_epoch=20)
    assert result.stop_reason is None
    assert float(result.params["a"] + result.params["b"]) == pytest.approx(3.0, rel=1e-10)


def test_a_step_into_nan_is_rejected_and_the_params_stay_finite():
    # The model is NaN for b < 0.5, and the optimum (b = 0.1 for these data) lies there:
    # every step that would cross into the NaN region is rejected.
    t = jnp.linspace(0, 4, 40)
    data = {"t": t, "y": 2.0 * jnp.exp(-0.1 * t)}

    def residual(params, batch):
        value = params["a"] * jnp.exp(-params["b"] * batch["t"]) - batch["y"]
        return jnp.where(params["b"] < 0.5, jnp.nan, value)

    def loss_fn(params, batch, key):
        return jnp.sum(residual(params, batch) ** 2), {}

    result = train_loop(loss_fn, {"a": jnp.float64(1.0), "b": jnp.float64(1.0)}, data,
                        optimizer=gauss_newton(residual), epochs=3, batch_size=None,
                        steps_per_epoch=10)
    assert result.nonfinite is None  # no NaN step was ever applied
    assert 0.5 <= float(result.params["b"]) < 1.0  # it moved towards the optimum, stayed valid
    assert np.all(np.isfinite(result.history["loss"]))
    assert result.history["loss"][-1] < result.history["loss"][0]


def test_dense_size_limit_names_the_count_and_the_matrix_free_option():
    check_dense_size(100)
    with pytest.raises(ValueError, match="12345 parameters.*gauss_newton_cg"):
        check_dense_size(12345)
    with pytest.raises(ValueError, match="solver='qr'"):
        gauss_newton(decay_residual, solver="qr")


def test_initial_state_is_laid_out_as_the_flattened_parameters():
    params = {"b": jnp.ones((3, 2)), "a": jnp.zeros(4), "c": {"w": jnp.full((2,), 2.0)}}
    state = gauss_newton(decay_residual, damping=0.25).init(params)
    flat = ravel_pytree(params)[0]  # oracle: JAX's own flattening
    assert state.last_step.shape == flat.shape and state.last_step.dtype == flat.dtype
    assert not np.any(np.asarray(state.last_step))
    assert state.damping.dtype == flat.dtype and float(state.damping) == 0.25
    assert state.rejected.dtype == np.int32 and int(state.rejected) == 0


def test_a_large_gramian_is_formed_by_numpy_on_cpu_and_a_small_one_by_xla(monkeypatch):
    jacobians = np.random.default_rng(0).normal(size=(3, 40, 30))
    expected = np.einsum("bnp,bnq->bpq", jacobians, jacobians)

    def program(jac):  # traced afresh each time: the size limit is read at trace time
        return jax.jit(lambda j: optimizers._gramian(j)).lower(jac).as_text()

    assert "callback" not in program(jacobians[0])  # below HOST_GRAMIAN_SIZE: XLA's product
    monkeypatch.setattr(optimizers, "HOST_GRAMIAN_SIZE", 1)
    assert "callback" in program(jacobians[0])
    np.testing.assert_allclose(jax.jit(lambda j: optimizers._gramian(j))(jacobians[0]),
                               expected[0], rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(jax.jit(jax.vmap(lambda j: optimizers._gramian(j)))(jacobians),
                               expected, rtol=1e-13, atol=1e-12)
    # and a Gauss-Newton fit through it reaches the same optimum as SciPy's
    data = decay_data()
    start = {k: jnp.float64(v) for k, v in START.items()}
    result = fit(gauss_newton(decay_residual, decay_jacobian), data, start)
    np.testing.assert_allclose(ravel_pytree(result.params)[0], scipy_optimum(data, START),
                               rtol=1e-7)  # as the XLA Gramian does (scipy's own tolerance)


def _run(params, data, steps, state=None, unguarded=False):
    """The parameters after each of `steps` steps, the evaluations of the residual each step
    made (the residual counts its calls), and the final state. `unguarded` clears the stop
    before every step: the iteration without it."""
    calls = []

    def counted(params, batch):
        jax.debug.callback(lambda: calls.append(1))
        return decay_residual(params, batch)

    transformation = gauss_newton(counted, decay_jacobian)
    update = jax.jit(lambda p, s, d: transformation.update(p, s, p, batch=d))
    state = transformation.init(params) if state is None else state
    path, work = [], []
    for _ in range(steps):
        if unguarded:
            state = state._replace(stopped_at=jnp.full_like(state.stopped_at, jnp.inf))
        before = len(calls)
        updates, state = update(params, state, data)
        params = jax.tree_util.tree_map(jnp.add, params, updates)
        jax.effects_barrier()
        path.append(np.asarray(ravel_pytree(params)[0]))
        work.append(len(calls) - before)
    return path, work, state


def _params(flat):
    return {name: jnp.float64(value) for name, value in zip("abc", flat, strict=True)}


def test_at_the_floor_the_steps_stop_and_change_no_iterate():
    data = decay_data()
    start = {k: jnp.float64(v) for k, v in START.items()}
    path, work, state = _run(start, data, 60)
    free_path, free_work, _ = _run(start, data, 60, unguarded=True)
    # the same iterates as the iteration without the stop, to the bit
    np.testing.assert_array_equal(np.array(path), np.array(free_path))
    np.testing.assert_allclose(path[-1], scipy_optimum(data, START), rtol=1e-7)
    assert np.isfinite(float(state.stopped_at))  # stopped, at the loss there
    np.testing.assert_allclose(float(state.stopped_at),
                               float(jnp.sum(decay_residual(_params(path[-1]), data) ** 2)),
                               rtol=1e-12)
    # stopped: one evaluation a step (does the data still give that loss?), where the
    # iteration without the stop tries 8 damped solves every step, each with a second
    # derivative and a line search (its 8 lengths one batched call under vmap)
    assert work[-10:] == [1] * 10
    assert min(free_work[-10:]) >= 16


def test_a_stopped_iteration_starts_again_on_new_data():
    data, other = decay_data(seed=0), decay_data(seed=1)
    start = {k: jnp.float64(v) for k, v in START.items()}
    path, _, stopped = _run(start, data, 60)
    assert np.isfinite(float(stopped.stopped_at))
    params = _params(path[-1])
    more, work, _ = _run(params, other, 60, state=stopped)
    assert work[0] > 1 and not np.array_equal(more[0], path[-1])  # it moved at once
    np.testing.assert_allclose(more[-1], scipy_optimum(other, START), rtol=1e-7)
    # and rerunning on the data it stopped on changes nothing
    again, work, _ = _run(params, data, 5, state=stopped)
    np.testing.assert_array_equal(np.array(again), np.array([path[-1]] * 5))
    assert work == [1] * 5
