"""`jaxnn.training.reuse_line_search`: a full-batch step that takes the loss and gradient from
its line search's state makes the same iterates as one that evaluates them, with one gradient
evaluation a step fewer, forgets them when the data changes, and is refused where it cannot
be right. `jaxnn.training.stop_on_failure`: line searches that keep failing stop the steps
(and their cost) until the data change."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from x64 import enable_x64

import jaxnn
import pinn
from jaxnn.training import DataRefresh, stop_on_failure, reuse_line_search, train_loop


@pytest.fixture
def x64():
    with enable_x64(True):
        yield


def _least_squares(seed: int = 0, rows: int = 40, cols: int = 5):
    rng = np.random.default_rng(seed)
    return {"a": rng.normal(size=(rows, cols)), "b": rng.normal(size=rows)}


def _counting_loss(backward_passes: list):
    """Least squares whose backward passes are counted on the host (`backward_passes`)."""

    @jax.custom_vjp
    def residual(w, a, b):
        return a @ w - b

    def forward(w, a, b):
        return residual(w, a, b), a

    def backward(a, cotangent):
        jax.debug.callback(lambda: backward_passes.append(1))
        return a.T @ cotangent, None, None

    residual.defvjp(forward, backward)

    def loss_fn(params, batch, key):
        r = residual(params["w"], batch["a"], batch["b"])
        return 0.5 * jnp.sum(r**2), {"max_residual": jnp.max(jnp.abs(r))}

    return loss_fn


def _train(optimizer, data, epochs=4, steps=5, callbacks=(), state=None):
    backward_passes: list = []
    result = train_loop(_counting_loss(backward_passes), {"w": jnp.zeros(5)}, data,
                        optimizer=optimizer, epochs=epochs, steps_per_epoch=steps,
                        callbacks=callbacks, state=state)
    return result, len(backward_passes)


def test_reuse_makes_the_same_iterates_with_one_gradient_a_step_fewer(x64):
    data = _least_squares()
    plain, plain_passes = _train(optax.lbfgs(), data)
    reused, reused_passes = _train(reuse_line_search(optax.lbfgs()), data)
    np.testing.assert_allclose(reused.params["w"], plain.params["w"], rtol=1e-12, atol=1e-14)
    for name in ("loss", "max_residual"):
        np.testing.assert_allclose(reused.history[name], plain.history[name], rtol=1e-12)
    # 20 steps: the first evaluates the gradient itself, the other 19 take it from the state
    assert plain_passes - reused_passes == 19
    exact = np.linalg.lstsq(data["a"], data["b"], rcond=None)[0]
    np.testing.assert_allclose(reused.params["w"], exact, atol=1e-8)


def test_reuse_forgets_the_stored_loss_when_a_callback_replaces_the_data(x64):
    rng = np.random.default_rng(1)

    def fresh(epoch, params):
        return {"a": rng.normal(size=(40, 5)), "b": rng.normal(size=40)}

    draws = [fresh(e, None) for e in range(4)]
    refresh = lambda: DataRefresh(lambda epoch, params: draws[epoch - 1])  # noqa: E731
    plain, _ = _train(optax.lbfgs(), _least_squares(), callbacks=[refresh()])
    reused, _ = _train(reuse_line_search(optax.lbfgs()), _least_squares(),
                       callbacks=[refresh()])
    # a stale loss would show in the first epoch after each refresh
    np.testing.assert_allclose(reused.history["loss"], plain.history["loss"], rtol=1e-12)
    np.testing.assert_allclose(reused.params["w"], plain.params["w"], rtol=1e-12, atol=1e-14)


def test_reuse_forgets_the_stored_loss_when_a_run_continues_on_other_data(x64):
    first, _ = _train(reuse_line_search(optax.lbfgs()), _least_squares(0), epochs=2)
    other = _least_squares(5)
    continued, _ = _train(reuse_line_search(optax.lbfgs()), other, epochs=1, state=first)
    plain_first, _ = _train(optax.lbfgs(), _least_squares(0), epochs=2)
    plain, _ = _train(optax.lbfgs(), other, epochs=1, state=plain_first)
    # a stale loss would show in the continued epoch's log and iterates
    np.testing.assert_allclose(continued.history["loss"], plain.history["loss"], rtol=1e-12)
    np.testing.assert_allclose(continued.params["w"], plain.params["w"], rtol=1e-12, atol=1e-14)


def test_bfgs_stage_of_a_solve_reuses_its_line_search():
    stage = pinn.BFGS(10)
    transformation = stage.transformation(None, None)
    assert isinstance(transformation, jaxnn.training.ReusesLineSearch)
    assert isinstance(pinn.LBFGS(10).transformation(None, None),
                      jaxnn.training.ReusesLineSearch)
    assert not isinstance(pinn.quasi_newton(), jaxnn.training.ReusesLineSearch)


@pytest.mark.parametrize("transformation, error, message", [
    ("not an optimizer", TypeError, r"reuse_line_search\(transformation=str\).*optax.lbfgs"),
    (optax.adam(1e-3), ValueError, r"one zoom line search.*found 0"),
    (optax.chain(optax.lbfgs(), optax.scale_by_zoom_linesearch(10)), ValueError, r"found 2"),
])
def test_transformations_without_one_line_search_are_refused(transformation, error, message):
    with pytest.raises(error, match=message):
        reuse_line_search(transformation)


def test_minibatches_are_refused_before_training():
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    with pytest.raises(ValueError, match=r"reuse_line_search.*batch_size=16.*batch_size=None"):
        jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), optimizer=reuse_line_search(optax.lbfgs()),
                  epochs=1, batch_size=16, verbose=0)
    # full batch, the same model trains
    result = jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), optimizer=reuse_line_search(optax.lbfgs()),
                       epochs=5, batch_size=None, verbose=0)
    assert result.history["loss"][-1] < result.history["loss"][0]


def _stalled_search_steps(transformation, steps: int):
    """`steps` updates of `transformation` on f(x) = x² with the sign of the gradient turned:
    every direction climbs, so every line search fails. The updates, and the final state."""
    f = lambda x: jnp.sum(x**2)  # noqa: E731
    x = jnp.ones(3)
    state = transformation.init(x)
    update = jax.jit(lambda state: transformation.update(
        -2 * x, state, x, value=f(x), grad=-2 * x, value_fn=f))
    moves = []
    for _ in range(steps):
        updates, state = update(state)
        moves.append(np.asarray(updates))
    return moves, state


def test_stop_on_failure_starts_afresh_after_three_failures_and_stops_after_three_more():
    moves, state = _stalled_search_steps(stop_on_failure(optax.lbfgs()), 8)
    # steps 1-3 fail (each spends a line search), step 4 starts afresh, steps 4-6 fail; then
    # no moves and no line searches
    assert all(np.all(move != 0) for move in moves[:6])
    assert np.all(moves[6] == 0) and np.all(moves[7] == 0)
    assert int(state.failures) == 4 and np.isfinite(state.restart_value)
    # the fresh start is the first step of a new state
    first, _ = _stalled_search_steps(optax.lbfgs(), 1)
    np.testing.assert_allclose(moves[3], first[0], rtol=1e-6)
    assert not np.allclose(moves[2], first[0], rtol=1e-3, atol=0)
    # without it, every step spends a full line search on climbing directions
    plain, _ = _stalled_search_steps(optax.lbfgs(), 8)
    assert all(np.all(move != 0) for move in plain)
    # patience=1: a fresh start after the first failure, a stop after the second
    moves, _ = _stalled_search_steps(stop_on_failure(optax.lbfgs(), patience=1), 4)
    assert np.all(moves[1] != 0) and np.all(moves[2] == 0) and np.all(moves[3] == 0)


def test_a_fresh_start_that_lowers_the_loss_clearly_may_start_afresh_again():
    transformation = stop_on_failure(optax.lbfgs())
    c = jnp.array([1.0, 2.0, 4.0])
    f = lambda x: jnp.sum(c * x**2)  # noqa: E731

    def step(state, x, sign):  # sign -1: the gradient turned, every direction climbs
        g = sign * 2 * c * x
        return transformation.update(g, state, x, value=f(x), grad=g, value_fn=f)

    x = jnp.ones(3)
    state = transformation.init(x)
    for _ in range(3):  # three failures
        _, state = step(state, x, -1)
    updates, state = step(state, x, 1)  # a fresh start, downhill
    assert state.restart_value == f(x)
    x = x + updates
    assert f(x) < 0.5 * 7.0  # far below where the fresh start began
    for _ in range(3):  # the next step sees the fall; then three failures in a row
        _, state = step(state, x, -1)
        assert state.restart_value == np.inf
    # a second fresh start, not a stop
    updates, state = step(state, x, -1)
    fresh = optax.lbfgs()
    g = -2 * c * x
    expected, _ = fresh.update(g, fresh.init(x), x, value=f(x), grad=g, value_fn=f)
    np.testing.assert_allclose(updates, expected, rtol=1e-6)
    assert np.all(updates != 0) and state.restart_value == f(x)


def test_forgetting_the_line_search_lets_a_stalled_run_try_again():
    transformation = stop_on_failure(optax.lbfgs())
    _, state = _stalled_search_steps(transformation, 8)
    fresh = jaxnn.training.forget_line_search(state)
    f = lambda x: jnp.sum(x**2)  # noqa: E731
    x = jnp.ones(3)
    step = jax.jit(lambda state: transformation.update(2 * x, state, x, value=f(x),
                                                       grad=2 * x, value_fn=f))
    updates, after = step(fresh)
    assert int(after.failures) == 0 and after.restart_value == np.inf
    # it starts afresh: the first step of a new state, downhill
    np.testing.assert_allclose(updates, step(transformation.init(x))[0], rtol=1e-6)
    assert f(x + updates) < f(x)
    # new data also end a fresh start's probation (their losses are not comparable)
    _, on_probation = _stalled_search_steps(transformation, 4)
    assert on_probation.restart_value == f(x) and int(on_probation.failures) == 0
    _, after = step(jaxnn.training.forget_line_search(on_probation))
    assert after.restart_value == np.inf


def test_a_quasi_newton_at_the_floor_stops_spending_line_searches(x64):
    data = _least_squares()
    exact = np.linalg.lstsq(data["a"], data["b"], rcond=None)[0]
    search = optax.scale_by_zoom_linesearch(max_linesearch_steps=30, initial_guess_strategy="one")
    plain = optax.chain(pinn.solver._quasi_newton.scale_by_quasi_newton(), search)
    unguarded, unguarded_passes = _train(plain, data, epochs=30, steps=10)
    guarded, guarded_passes = _train(pinn.quasi_newton(), data, epochs=30, steps=10)
    for result in (unguarded, guarded):
        np.testing.assert_allclose(result.params["w"], exact, atol=1e-10)
    # 300 steps on 5 unknowns: converged in a few dozen; the unguarded line searches at the
    # floor then spend their 30 evaluations a step
    assert guarded_passes < unguarded_passes / 3


@pytest.mark.parametrize("transformation, patience, error, message", [
    ("not an optimizer", 3, TypeError, r"stop_on_failure\(transformation=str\)"),
    (optax.adam(1e-3), 3, ValueError, r"stop_on_failure.*found 0"),
    (optax.lbfgs(), 0, ValueError, r"stop_on_failure\(patience=...\)"),
])
def test_stop_on_failure_refuses_bad_arguments(transformation, patience, error, message):
    with pytest.raises(error, match=message):
        stop_on_failure(transformation, patience)
