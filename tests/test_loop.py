"""The training loop: compile once, fused epochs, step budgets, stops, resume, callbacks."""

import errno
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from sklearn import metrics as sk_metrics

import jaxnn
from jaxnn import training as callbacks_lib
from jaxnn.saving import _checkpoint as checkpoint_lib
from jaxnn.training import _program as loop
from jaxnn.training import EarlyStopping, train_loop
from jaxnn.training import Carry, TrainState, make_epoch, make_train_step, watch_nonfinite
from stopping import IMPROVES_UNTIL_4, SEQUENCES, keras_early_stopping

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([0, 1, 1, 0], np.float32)


def _blobs(n=120, seed=0, features=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.4 * rng.normal(size=n) > 0).astype(np.int32)
    return x, y


def _quadratic(params, batch, key):
    """(w - 3)²: with SGD at rate lr, w_k = 3 - 3 (1 - 2 lr)^k exactly."""
    return (params["w"] - 3.0) ** 2, {}


def _without_time(history):
    return {k: v for k, v in history.items() if k != "time"}


def _assert_same_run(a, b):
    assert _without_time(a.history) == _without_time(b.history)
    assert a.epochs_run == b.epochs_run and a.stop_reason == b.stop_reason
    for x, y in zip(jax.tree_util.tree_leaves((a.params, a.state)),
                    jax.tree_util.tree_leaves((b.params, b.state)), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def _every_epoch(epoch, logs):
    """A callback that needs the host after every epoch: one epoch per compiled call."""
    return


# --------------------------------------------------------------------------- compile once


def test_a_second_identical_fit_reuses_the_compiled_code():
    x, y = _blobs()
    options = {"optimizer": optax.adam(1e-2), "epochs": 3, "batch_size": 32, "verbose": 0,
               "validation_split": 0.25, "metrics": ["accuracy", "auc"]}
    first = jaxnn.fit(jaxnn.MLP([8, 2]), (x, y), **options)
    misses = loop._CACHE.misses
    # A new model object, a new optimizer object: equal settings, so the same program.
    second = jaxnn.fit(jaxnn.MLP([8, 2]), (x, y), **{**options, "optimizer": optax.adam(1e-2)})
    assert loop._CACHE.misses == misses
    assert second.compile_seconds == 0.0 and first.compile_seconds > 0.0
    _assert_same_run(first, second)
    # Another constant learning rate is another program (the rate is baked into the update).
    jaxnn.fit(jaxnn.MLP([8, 2]), (x, y), **{**options, "optimizer": optax.adam(1e-3)})
    assert loop._CACHE.misses == misses + 1


def test_injected_learning_rates_share_one_compilation_and_give_exact_iterates():
    traces = []

    def loss_fn(params, batch, key):
        traces.append(1)
        return _quadratic(params, batch, key)

    results = {}
    for lr in (0.05, 0.1, 0.2):
        optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=lr)
        results[lr] = train_loop(loss_fn, {"w": jnp.float32(0.0)}, {}, optimizer=optimizer,
                                 epochs=4, steps_per_epoch=5)
        np.testing.assert_allclose(float(results[lr].params["w"]), 3 - 3 * (1 - 2 * lr) ** 20,
                                   rtol=1e-5)
    # the first call traces twice (the contract probe, the compilation), the others only probe
    assert len(traces) == 2 + 2


def test_a_plain_gradient_transformation_without_extra_args_works():
    def init(params):
        return optax.EmptyState()

    def update(grads, state, params=None):  # no **extra_args: optax 0.1-style
        return jax.tree_util.tree_map(lambda g: -0.1 * g, grads), state

    plain = optax.GradientTransformation(init, update)
    result = train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, optimizer=plain, epochs=10)
    np.testing.assert_allclose(float(result.params["w"]), 3 - 3 * 0.8**10, rtol=1e-5)


# --------------------------------------------------------------------------- fused epochs

_FUSION_CASES = {
    "full_batch": {"batch_size": None, "epochs": 30},
    "ragged_minibatches": {"batch_size": 32, "epochs": 6},  # 90 training rows: 3 batches, 1 ragged
    "dropout_early_stopping": {"batch_size": 16, "epochs": 40, "dropout": 0.2,
                               "early_stopping": True},
}


@pytest.mark.parametrize("case", sorted(_FUSION_CASES))
def test_fused_and_one_epoch_per_call_give_identical_runs(case):
    settings = dict(_FUSION_CASES[case])
    dropout = settings.pop("dropout", 0.0)
    patience = 2 if settings.pop("early_stopping", False) else None
    x, y = _blobs()
    weight = np.random.default_rng(1).uniform(0.5, 2.0, len(x)).astype(np.float32)

    def run(callbacks):
        stopper = None if patience is None else EarlyStopping(patience=patience)
        return jaxnn.fit(jaxnn.MLP([16, 2], dropout=dropout), (x, y),
                         optimizer=optax.adam(0.05), verbose=0, validation_split=0.25,
                         metrics=["accuracy", "auc", "f1"], sample_weight=weight,
                         early_stopping=stopper, callbacks=callbacks, seed=4, **settings)

    fused, stepwise = run([]), run([_every_epoch])
    _assert_same_run(fused, stepwise)
    assert fused.best_epoch == stepwise.best_epoch
    if patience is not None:
        assert fused.stop_reason.startswith("early stopping")
        assert fused.epochs_run - fused.best_epoch == patience  # Keras: patience epochs, no gain


def test_the_host_wakes_a_bounded_number_of_times_on_tiny_epochs():
    class CountWakes(callbacks_lib.Callback):
        every = None
        wakes = 0

        def on_epoch_end(self, epoch, state, logs):
            CountWakes.wakes += 1

    result = train_loop(_quadratic, {"w": jnp.float32(0.0)}, {},
                        optimizer=optax.sgd(0.01), epochs=5000, callbacks=[CountWakes()])
    assert result.epochs_run == 5000 and len(result.history["loss"]) == 5000
    assert CountWakes.wakes <= 5000 // loop.MAX_EPOCHS_PER_CALL + 20


# --------------------------------------------------------------------------- step budgets

_BUDGETS = [  # (epochs, steps_per_epoch, total_steps, steps run, epochs recorded)
    (10, 1, 5, 5, 5),  # a multiple of steps_per_epoch: was ignored (10 steps ran)
    (10, 1, None, 10, 10),
    (2, 10, 15, 15, 2),  # ends mid-epoch
    (3, 4, 12, 12, 3),
    (4, 5, 0, 0, 0),
]


@pytest.mark.parametrize(("epochs", "per_epoch", "budget", "steps", "recorded"), _BUDGETS)
def test_step_budgets_run_exactly_that_many_steps(epochs, per_epoch, budget, steps, recorded):
    result = train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, optimizer=optax.sgd(0.1),
                        epochs=epochs, steps_per_epoch=per_epoch, total_steps=budget)
    assert int(result.state.step) == steps
    assert result.epochs_run == recorded == len(result.history.get("loss", []))
    np.testing.assert_allclose(float(result.params["w"]), 3 - 3 * 0.8**steps, rtol=1e-5)
    assert all(loss > 0 for loss in result.history.get("loss", []))  # no 0.0 for skipped epochs


# --------------------------------------------------------------------------- continuing


def test_continuing_a_result_equals_one_uninterrupted_run():
    x, y = _blobs()
    options = {"optimizer": optax.adam(0.02), "batch_size": 32, "verbose": 0,
               "validation_split": 0.25, "seed": 7}
    model = jaxnn.MLP([8, 2], dropout=0.1)
    straight = jaxnn.fit(model, (x, y), epochs=5, **options)
    first = jaxnn.fit(model, (x, y), epochs=3, **options)
    continued = jaxnn.fit(model, (x, y), epochs=2, params=first, **options)
    assert continued.history["epoch"] == [1, 2, 3, 4, 5]
    assert int(continued.state.step) == int(straight.state.step)
    _assert_same_run(continued, straight)


# --------------------------------------------------------------------------- outputs


def test_sigmoid_output_trained_with_mse_reports_accuracy_and_probabilities_correctly():
    # The lecture's XOR: 2-2-1, tanh hidden, sigmoid output, MSE, SGD.
    model = jaxnn.MLP([4, 1], activation="tanh", output_activation="sigmoid")
    result = jaxnn.fit(model, (XOR_X, XOR_Y), loss="mse", optimizer=optax.sgd(2.0),
                       epochs=3000, batch_size=None, verbose=0, seed=3)
    outputs = jaxnn.predict(model, result.params, XOR_X)[:, 0]
    assert np.array_equal(outputs > 0.5, XOR_Y == 1)  # solved
    assert result.history["accuracy"][-1] == 1.0
    np.testing.assert_allclose(jaxnn.predict_proba(model, result.params, XOR_X)[:, 0], outputs)
    scores = jaxnn.evaluate(model, result.params, (XOR_X, XOR_Y), loss="mse",
                            metrics=["accuracy"])
    assert scores["accuracy"] == 1.0


def test_validation_split_keeps_the_sample_weights():
    x, y = _blobs(n=100)
    weight = np.linspace(0.1, 3.0, len(x)).astype(np.float32)
    model = jaxnn.MLP([4, 2])
    result = jaxnn.fit(model, (x, y), sample_weight=weight, validation_split=0.3, epochs=1,
                       optimizer=optax.sgd(0.0), verbose=0, seed=2)
    held = np.random.default_rng(2).permutation(len(x))[:30]  # fit's documented split
    logits = jaxnn.predict(model, result.params, x[held]).astype(np.float64)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    per_sample = -log_p[np.arange(30), y[held]]
    expected = np.sum(weight[held] * per_sample) / np.sum(weight[held])
    np.testing.assert_allclose(result.history["val_loss"][0], expected, rtol=1e-5)
    unweighted = per_sample.mean()
    assert abs(expected - unweighted) > 1e-3  # the weights matter here


def test_validation_metrics_equal_scikit_learn_with_weights():
    x, y = _blobs(n=300, features=3)
    y3 = (x[:, 0] > 0.5).astype(int) + (x[:, 1] > 0).astype(int)  # three classes
    weight = np.random.default_rng(3).uniform(0.2, 2.0, len(x)).astype(np.float32)
    for labels, outputs in ((y, 2), (y3, 3)):
        model = jaxnn.MLP([6, outputs])
        params = model.init(jax.random.PRNGKey(1), x[:1])
        metrics = ["accuracy", "precision", "recall", "f1"] + (["auc"] if outputs == 2 else [])
        scores = jaxnn.evaluate(model, params, (x, labels), metrics=metrics,
                                sample_weight=weight, batch_size=64)
        logits = jaxnn.predict(model, params, x)
        predicted = logits.argmax(axis=1)
        average = "binary" if outputs == 2 else "macro"
        expected = {
            "accuracy": sk_metrics.accuracy_score(labels, predicted, sample_weight=weight),
            "precision": sk_metrics.precision_score(labels, predicted, average=average,
                                                    sample_weight=weight, zero_division=0),
            "recall": sk_metrics.recall_score(labels, predicted, average=average,
                                              sample_weight=weight, zero_division=0),
            "f1": sk_metrics.f1_score(labels, predicted, average=average, sample_weight=weight,
                                      zero_division=0),
        }
        if outputs == 2:
            expected["auc"] = sk_metrics.roc_auc_score(labels, logits[:, 1] - logits[:, 0],
                                                       sample_weight=weight)
        for name, value in expected.items():
            np.testing.assert_allclose(scores[name], value, rtol=1e-5, atol=1e-6, err_msg=name)


# --------------------------------------------------------------------------- stops and resume


def _stop_at_4(epoch, logs):
    return epoch == 4


def _explodes(params, batch, key):
    return jnp.where(params["w"] > 2.0, jnp.nan, (params["w"] - 3.0) ** 2), {}


_STOPS = {  # kind: (loss_fn, epochs, callbacks, early_stopping patience)
    "completed": (_quadratic, 6, [], None),
    "early_stopped": (_quadratic, 40, [], 0),
    "callback_stopped": (_quadratic, 10, [_stop_at_4], None),
    "nonfinite": (_explodes, 10, [], None),
}


@pytest.mark.parametrize("kind", sorted(_STOPS))
def test_rerunning_an_ended_run_with_resume_returns_its_result_without_training(kind, tmp_path):
    loss_fn, epochs, callbacks, patience = _STOPS[kind]

    def run(epochs, callbacks):
        stopper = None if patience is None else EarlyStopping(monitor="loss", patience=patience,
                                                              min_delta=1e-2)
        checkpoint = jaxnn.Checkpoint(tmp_path, every=3, resume=True, verbose=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the non-finite run warns
            return train_loop(loss_fn, {"w": jnp.float32(0.0)}, {}, optimizer=optax.sgd(0.1),
                              epochs=epochs, steps_per_epoch=2, early_stopping=stopper,
                              callbacks=[*callbacks, checkpoint])

    first = run(epochs, callbacks)
    assert (first.stop_reason is None) == (kind == "completed")
    assert (first.nonfinite is not None) == (kind == "nonfinite")
    calls = []
    # Same epochs, or more for a run that stopped early: nothing is trained again.
    again = run(epochs if kind == "completed" else epochs + 5,
                [lambda epoch, logs: calls.append(epoch)])
    assert calls == []
    _assert_same_run(again, first)
    assert again.nonfinite == first.nonfinite and again.best_epoch == first.best_epoch


def test_resume_asking_for_fewer_epochs_than_the_checkpoint_holds_is_an_error(tmp_path):
    options = {"optimizer": optax.sgd(0.1), "steps_per_epoch": 2}
    train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, epochs=6,
               callbacks=[jaxnn.Checkpoint(tmp_path, verbose=0)], **options)
    with pytest.raises(ValueError, match="already trained for 6 epochs.*epochs >= 6"):
        train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, epochs=4,
                   callbacks=[jaxnn.Checkpoint(tmp_path, resume=True, verbose=0)], **options)


def test_resume_with_more_epochs_continues_to_the_uninterrupted_result(tmp_path):
    options = {"optimizer": optax.sgd(0.05), "steps_per_epoch": 3}
    train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, epochs=4,
               callbacks=[jaxnn.Checkpoint(tmp_path, verbose=0)], **options)
    resumed = train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, epochs=9,
                         callbacks=[jaxnn.Checkpoint(tmp_path, resume=True, verbose=0)], **options)
    straight = train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, epochs=9, **options)
    _assert_same_run(resumed, straight)


def test_a_directory_with_another_runs_checkpoints_is_refused_and_left_alone(tmp_path):
    x, y = _blobs()
    options = {"optimizer": optax.sgd(0.1), "batch_size": 32, "verbose": 0,
               "checkpoint_dir": tmp_path}
    jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), epochs=5, keep=2, **options)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(ValueError, match="holds checkpoints of another run.*resume=True"):
        jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), epochs=2, seed=1, **options)
    with pytest.raises(ValueError, match="batch_size=32.*batch_size=16"):
        jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), epochs=8, resume=True,
                  **{**options, "batch_size": 16})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# --------------------------------------------------------------------------- errors at the door


def _never_called(epoch, logs):
    raise AssertionError("training started")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"early_stopping": EarlyStopping(monitor="val_acc")}, "monitor='val_acc'.*val_accuracy"),
    ({"metrics": ["auc"], "validation_data": (np.zeros((6, 3), np.float32), np.ones(6))},
     "auc.*both classes"),
    ({"callbacks": [lambda epoch, logs: np.zeros(2)], "epochs": 1}, "returned ndarray"),
])
def test_configuration_errors_come_before_training(kwargs, match):
    x, y = _blobs()
    kwargs = {"callbacks": [_never_called], "epochs": 3, **kwargs}
    if "validation_data" not in kwargs:
        kwargs["validation_split"] = 0.25
    with pytest.raises((ValueError, TypeError), match=match):
        jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), verbose=0, **kwargs)


def test_checkpoint_directory_problems_are_errors_before_training(tmp_path, monkeypatch):
    x, y = _blobs()
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory")
    options = {"verbose": 0, "epochs": 2, "callbacks": [_never_called]}
    with pytest.raises(ValueError, match="a_file exists and is not a directory"):
        jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), checkpoint_dir=a_file / "run", **options)

    def disk_full(path, payload):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint_lib, "_atomic_write", disk_full)
    with pytest.raises(ValueError, match="cannot write a checkpoint there.*No space left"):
        jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), checkpoint_dir=tmp_path / "full", **options)


def test_a_save_failing_mid_run_stops_and_keeps_the_trained_state(tmp_path, monkeypatch):
    write = checkpoint_lib._atomic_write
    saves = []

    def fails_on_the_third_checkpoint(path, payload):
        if path.name.startswith("checkpoint_"):
            saves.append(path.name)
            if len(saves) == 3:
                raise OSError(errno.ENOSPC, "No space left on device")
        write(path, payload)

    monkeypatch.setattr(checkpoint_lib, "_atomic_write", fails_on_the_third_checkpoint)
    with pytest.warns(RuntimeWarning, match="saving the checkpoint after epoch 3"):
        result = train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, optimizer=optax.sgd(0.1),
                            epochs=8, callbacks=[jaxnn.Checkpoint(tmp_path, verbose=0)])
    assert result.epochs_run == 3 and int(result.state.step) == 3
    np.testing.assert_allclose(float(result.params["w"]), 3 - 3 * 0.8**3, rtol=1e-5)
    assert "No space left" in result.stop_reason


# --------------------------------------------------------------------------- callbacks


def test_callbacks_see_the_state_after_their_epoch_and_their_period():
    seen = []

    class EveryThird(callbacks_lib.Callback):
        every = 3

        def on_epoch_end(self, epoch, state, logs):
            seen.append((epoch, int(state.step), float(state.params["w"]), logs["epoch"]))

    train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, optimizer=optax.sgd(0.1), epochs=10,
               steps_per_epoch=2, callbacks=[EveryThird()])
    assert [s[:2] for s in seen] == [(3, 6), (6, 12), (9, 18)]
    for epoch, steps, w, logged in seen:
        assert logged == epoch
        np.testing.assert_allclose(w, 3 - 3 * 0.8**steps, rtol=1e-5)


def test_verbose_two_prints_a_line_every_log_every_epochs(capsys):
    x, y = _blobs()
    jaxnn.fit(jaxnn.MLP([4, 2]), (x, y), epochs=6, verbose=2, log_every=3,
              optimizer=optax.sgd(0.1))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in lines] == ["1/6", "3/6", "6/6"]


def _nan_above(params, batch, key):
    """-w: SGD at rate 1 walks w = 0, 1, 2, 3, ...; the loss is NaN from w > 2.5 on."""
    return jnp.where(params["w"] > 2.5, jnp.nan, -params["w"]), {}


@pytest.mark.parametrize(("per_epoch", "nonfinite"), [(1, (4, 1)), (2, (2, 2)), (3, (2, 1))])
def test_a_nan_loss_names_its_epoch_and_step_and_keeps_the_last_params_with_a_finite_loss(
        per_epoch, nonfinite):
    # The step from w = 2 to w = 3 is finite; the loss is NaN only at w = 3, one step later,
    # which may be the first step of the next epoch: w = 2 is kept all the same.
    with pytest.warns(RuntimeWarning, match=f"epoch {nonfinite[0]}, step {nonfinite[1]} "):
        result = train_loop(_nan_above, {"w": jnp.float32(0.0)}, {}, optimizer=optax.sgd(1.0),
                            epochs=6, steps_per_epoch=per_epoch)
    assert result.nonfinite == nonfinite and result.epochs_run == nonfinite[0]
    assert float(result.params["w"]) == 2.0


def test_budgeted_epoch_skips_alike_with_the_step_traced_or_the_loss_shapes_given():
    """A skipped step's zeros take their shapes from the step itself (make_epoch's default)
    or from the loss function (what train_loop passes): the epoch computes the same either way."""
    def loss_fn(params, batch, key):
        r = params["w"] * batch["x"] - batch["y"]
        return jnp.mean(r * r), {"mae": jnp.mean(jnp.abs(r))}

    optimizer = optax.sgd(0.1)
    params = {"w": jnp.float32(0.0)}
    data = {"x": jnp.arange(4.0), "y": 2.0 * jnp.arange(4.0)}
    state = TrainState(params=params, opt_state=optimizer.init(params), step=jnp.int32(0))
    carry = Carry(state=state, previous=state, bad_step=jnp.int32(-1))
    step = watch_nonfinite(make_train_step(loss_fn, optimizer))

    def outputs(carry, batch, key):
        return jax.eval_shape(loss_fn, carry.state.params, batch, key)

    results = []
    for given in (None, outputs):
        epoch = make_epoch(step, None, None, 5, budgeted=True, outputs=given)
        new, means = jax.jit(epoch)(carry, data, jnp.int32(0), jax.random.PRNGKey(0),
                                    jnp.int32(3))
        results.append((float(new.state.params["w"]), int(new.state.step),
                        {k: float(v) for k, v in means.items()}))
    assert results[0] == results[1]
    # oracle: three plain SGD steps on the mean squared error by hand, two skipped
    w, x, y = 0.0, np.arange(4.0), 2.0 * np.arange(4.0)
    for _ in range(3):
        w -= 0.1 * np.mean(2 * (w * x - y) * x)
    assert results[0][1] == 3 and results[0][2]["steps"] == 3
    np.testing.assert_allclose(results[0][0], w, rtol=1e-5)


# --------------------------------------------------------------------------- early stopping


def _score_table(values):
    """SGD at rate 1 on -w walks w = 0, 1, 2, ...: epoch e (one step) logs values[e - 1]."""
    table = jnp.asarray(values, jnp.float32)

    def loss_fn(params, batch, key):
        return -params["w"], {"score": table[params["w"].astype(jnp.int32)]}

    return loss_fn


@pytest.mark.parametrize(("values", "patience", "min_delta", "stopped", "best"), SEQUENCES)
def test_early_stopping_stops_after_patience_epochs_without_improvement_as_keras(
        values, patience, min_delta, stopped, best):
    assert keras_early_stopping(values, patience, min_delta) == (stopped, best)  # the oracle
    stopper = EarlyStopping(monitor="score", patience=patience, min_delta=min_delta)
    result = train_loop(_score_table(values), {"w": jnp.float32(0.0)}, {},
                        optimizer=optax.sgd(1.0), epochs=len(values), early_stopping=stopper)
    np.testing.assert_array_equal(result.history["score"], np.float32(values[:stopped]))
    assert (result.epochs_run, result.best_epoch) == (stopped, best)
    assert float(result.state.params["w"]) == stopped  # trained to the stop
    assert float(result.params["w"]) == best  # the best epoch's parameters put back
    if result.stop_reason is None:
        assert stopped == len(values) and stopper.stopped_epoch == 0
        return
    waited = stopped - best
    assert waited == max(patience, 1)
    assert result.stop_reason == (
        f"early stopping: score did not improve for {waited} epoch{'s' * (waited != 1)} "
        f"(best {values[best - 1]:.6g} at epoch {best}); stopped after epoch {stopped}")
    assert (stopper.best_epoch, stopper.wait, stopper.stopped_epoch) == (best, waited, stopped)


def test_early_stopping_is_the_same_with_one_epoch_per_call():
    values, patience = IMPROVES_UNTIL_4, 5
    fused, stepwise = (train_loop(_score_table(values), {"w": jnp.float32(0.0)}, {},
                                  optimizer=optax.sgd(1.0), epochs=len(values),
                                  early_stopping=EarlyStopping(monitor="score",
                                                               patience=patience),
                                  callbacks=callbacks)
                       for callbacks in ([], [_every_epoch]))
    _assert_same_run(fused, stepwise)
    assert fused.epochs_run == 9


@pytest.mark.parametrize("patience", [0, 2])
def test_fit_stops_where_keras_would_on_the_validation_losses_it_logged(patience):
    x, y = _blobs(200)
    seen = []
    # A learning rate this large makes the validation loss go up and down.
    result = jaxnn.fit(jaxnn.MLP([16, 2]), (x, y), optimizer=optax.sgd(3.0), epochs=40,
                       batch_size=20, validation_split=0.25, verbose=0, seed=1,
                       early_stopping=EarlyStopping(patience=patience),
                       callbacks=[lambda epoch, logs: seen.append(logs["val_loss"])])
    stopped, best = keras_early_stopping(seen, patience)
    assert stopped < 40 and result.stop_reason.startswith("early stopping")
    assert (result.epochs_run, result.best_epoch, len(seen)) == (stopped, best, stopped)
    assert result.stop_reason.endswith(f"stopped after epoch {stopped}")


# --------------------------------------------------------------------------- counters


@pytest.mark.parametrize(("every", "keep", "saved"), [
    (1, 2, [9, 10]),
    (3, 2, [9, 10]),  # after 3, 6, 9 and the last epoch
    (3, 4, [3, 6, 9, 10]),
    (5, 3, [5, 10]),  # the last epoch is a multiple: saved once
    (10, 3, [10]),
    (11, 3, [10]),  # a period past the end: only the final save
])
def test_checkpoint_every_and_keep_count_epochs_from_one(every, keep, saved, tmp_path,
                                                        monkeypatch):
    write, seen = checkpoint_lib._atomic_write, []

    def saves(path, payload):
        if path.name.startswith("checkpoint_"):
            seen.append(int(path.stem.split("_")[1]))
        write(path, payload)

    monkeypatch.setattr(checkpoint_lib, "_atomic_write", saves)
    train_loop(_quadratic, {"w": jnp.float32(0.0)}, {}, optimizer=optax.sgd(0.1), epochs=10,
               callbacks=[jaxnn.Checkpoint(tmp_path, every=every, keep=keep, verbose=0)])
    written = [e for e in range(1, 11) if e % every == 0]
    assert seen == written + ([] if 10 in written else [10])  # and the last epoch, once
    assert checkpoint_lib.TrainingCheckpoints(tmp_path).epochs() == saved
