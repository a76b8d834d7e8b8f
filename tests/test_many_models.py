"""Many models at once (`jaxnn.fit_many`) and uncertainty (`jaxnn.predict_ensemble`,
`jaxnn.predict_mc_dropout`).

The oracle for every model of a vmapped group is the same model trained alone by `jaxnn.fit`
with the same seed and values. The tests share model shapes and settings so that the compiled
programs are reused between them.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxnn
from jaxnn import losses
from jaxnn.data import StandardScaler
from jaxnn.data.datasets import pid_toy
from jaxnn.saving import TrainingCheckpoints
from jaxnn.supervised import expand_configs
from stopping import keras_early_stopping

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pid():
    """Standardised PID toy: (x_train, y_train, x_val, y_val)."""
    x, y = pid_toy(500, seed=0)
    x = StandardScaler().fit_transform(x).astype(np.float32)
    return x[:400], y[:400], x[400:], y[400:]


def assert_trees_close(a, b, atol=1e-5):
    jax.tree_util.tree_map(lambda u, v: np.testing.assert_allclose(u, v, atol=atol, rtol=1e-5),
                           a, b)


def fit_alone(model, data, validation, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the non-finite model's warning
        return jaxnn.fit(model, data, validation_data=validation, verbose=0, **kwargs)


# ------------------------------------------------------------- each model as if trained alone


def test_each_model_stops_on_its_own_and_nan_does_not_poison_the_others(pid):
    """Three models zipped: one stops early late, one early soon, one overflows to NaN.
    Each equals `jaxnn.fit` of that model alone (history and kept parameters)."""
    x, y, x_val, y_val = pid
    model = jaxnn.MLP([8, 2])
    settings = {"epochs": 20, "batch_size": 50}
    with pytest.warns(RuntimeWarning, match="1 of 3 models became non-finite"):
        result = jaxnn.fit_many(
            model, (x, y), optimizer=optax.sgd, seeds=[0, 1, 2], grid=False,
            hyperparameters={"learning_rate": [0.3, 0.01, 1e30]},
            validation_data=(x_val, y_val),
            early_stopping=jaxnn.EarlyStopping(patience=0, min_delta=0.01), **settings)
    assert result.nonfinite[2] is not None and result.nonfinite[0] is None
    assert result.stop_reasons[0].startswith("early stopping")
    assert result.epochs_run[0] > result.epochs_run[1]  # model 0 trained on after 1 stopped
    for i, config in enumerate(result.configs):
        alone = fit_alone(
            model, (x, y), (x_val, y_val), seed=config["seed"],
            optimizer=optax.inject_hyperparams(optax.sgd)(learning_rate=config["learning_rate"]),
            early_stopping=jaxnn.EarlyStopping(patience=0, min_delta=0.01), **settings)
        np.testing.assert_allclose(result.histories[i]["val_loss"], alone.history["val_loss"],
                                   rtol=1e-5)
        assert result.nonfinite[i] == alone.nonfinite
        assert result.best_epochs[i] == alone.best_epoch
        assert_trees_close(result.model_params(i), alone.params)
    assert np.all(np.isfinite(result.history("val_loss")[:2, :1]))
    assert result.best.index != 2  # a non-finite model is never the best


def test_traced_dropout_rate_loss_weight_and_weight_decay_match_fit(pid):
    """dropout_rate (traced through the model's Dropout), a keyword of a callable loss and the
    weight decay of optax.adamw, zipped: each model equals `jaxnn.fit` with those values."""
    x, y, x_val, y_val = pid

    def weighted_cross_entropy(outputs, targets, weight, *, kaon_weight=1.0):
        return losses.softmax_cross_entropy(outputs, targets,
                                            weight * jnp.where(targets == 1, kaon_weight, 1.0))

    values = {"dropout_rate": [0.3, 0.0], "kaon_weight": [2.0, 1.0],
              "weight_decay": [1e-2, 1e-3], "learning_rate": [1e-2, 1e-2]}
    result = jaxnn.fit_many(jaxnn.MLP([8, 2], dropout=0.1), (x, y), optimizer=optax.adamw,
                            loss=weighted_cross_entropy, seeds=3, grid=False,
                            hyperparameters=values, validation_data=(x_val, y_val), epochs=2,
                            batch_size=50)
    for i, config in enumerate(result.configs):
        loss = functools.partial(weighted_cross_entropy, kaon_weight=config["kaon_weight"])
        alone = fit_alone(
            jaxnn.MLP([8, 2], dropout=config["dropout_rate"]), (x, y), (x_val, y_val), seed=3,
            loss=loss, epochs=2, batch_size=50,
            optimizer=optax.adamw(1e-2, weight_decay=config["weight_decay"]))
        np.testing.assert_allclose(result.histories[i]["loss"], alone.history["loss"],
                                   rtol=1e-5)
        assert_trees_close(result.model_params(i), alone.params)


# -------------------------------------------------- a deep ensemble, its table and its spread


@pytest.fixture(scope="module")
def ensemble(pid):
    x, y, x_val, y_val = pid
    return jaxnn.fit_many(jaxnn.MLP([16, 2]), (x, y), seeds=range(4),
                          hyperparameters={"learning_rate": [1e-2]}, epochs=15, batch_size=50,
                          validation_data=(x_val, y_val), metrics=["accuracy", "auc"])


def test_ensemble_spread_is_larger_far_from_the_training_data(pid, ensemble):
    """The members agree where they were trained and disagree away from it. Far out the
    probabilities of every member saturate to 0 or 1 (ReLU logits grow linearly), so the
    spread is read on the logits there: each member extrapolates with its own slope."""
    x, _, x_val, _ = pid
    direction = np.random.default_rng(0).normal(size=x_val.shape).astype(np.float32)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    far = x_val + 4.0 * direction * np.abs(x).max()
    inside, outside = (jaxnn.predict_ensemble(ensemble.model, ensemble.params, points,
                                              outputs="raw") for points in (x_val, far))
    assert outside.std.mean() > 2 * inside.std.mean()
    members = np.stack([jaxnn.predict(ensemble.model, ensemble.model_params(i), far)
                        for i in range(len(ensemble))])  # oracle: the members one by one
    np.testing.assert_allclose(outside.std, members.std(0), rtol=1e-4, atol=1e-5)


def test_predict_ensemble_is_the_mean_and_std_of_the_members(pid, ensemble):
    x_val = pid[2]
    members = np.stack([jaxnn.predict_proba(ensemble.model, ensemble.model_params(i), x_val)
                        for i in range(len(ensemble))])
    prediction = jaxnn.predict_ensemble(ensemble.model, ensemble.params, x_val)
    np.testing.assert_allclose(prediction.mean, members.mean(0), atol=1e-6)
    np.testing.assert_allclose(prediction.std, members.std(0), atol=1e-6)


def test_best_table_and_plots_follow_the_selection_metric(pid, ensemble, tmp_path):
    scores = [h["val_loss"][-1] for h in ensemble.histories]
    assert ensemble.best.index == int(np.argmin(scores))
    assert ensemble.best.score == pytest.approx(min(scores))
    by_auc = jaxnn.fit_many(ensemble.model, pid[:2], seeds=range(4, 8),
                            hyperparameters={"learning_rate": [1e-2]}, epochs=15,
                            batch_size=50, validation_data=pid[2:],
                            metrics=["accuracy", "auc"], select="val_auc")
    assert by_auc.compile_seconds == 0.0  # same program as the fixture's: compiled once
    aucs = [h["val_auc"][-1] for h in by_auc.histories]
    assert by_auc.best.index == int(np.argmax(aucs))
    lines = ensemble.table().splitlines()
    assert len(lines) == 1 + len(ensemble) and "val_auc" in lines[0]
    assert lines[1 + ensemble.best.index].startswith("*")
    figure = jaxnn.plot.hyperparameter_scan(by_auc, path=tmp_path / "scan.png")
    assert figure.axes[0].get_ylabel() == "val_auc" and (tmp_path / "scan.png").exists()
    grid = np.linspace(-6, 6, 50, dtype=np.float32)
    points = np.zeros((50, 3), np.float32)
    points[:, 0] = grid
    band = jaxnn.predict_ensemble(ensemble.model, ensemble.params, points)
    figure = jaxnn.plot.uncertainty_band(grid, band.mean[:, 1], band.std[:, 1],
                                         training_range=(-2, 2))
    assert len(figure.axes[0].collections) == 1  # the band


def test_architecture_grid_ranks_all_models_in_one_table(pid, ensemble):
    models = {"16": ensemble.model, "4": jaxnn.MLP([4, 2])}
    result = jaxnn.fit_many(models, pid[:2], seeds=range(4),
                            hyperparameters={"learning_rate": [1e-2]}, epochs=2,
                            batch_size=50, validation_data=pid[2:], metrics=["accuracy", "auc"])
    scores = {(name, i): s for name, group in result.groups.items()
              for i, s in enumerate(group.scores)}
    best = min(scores, key=scores.get)
    assert (result.best.architecture, result.best.index) == best
    table = result.table().splitlines()
    assert len(table) == 1 + 8 and sum(line.startswith("*") for line in table) == 1
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_array_equal(a, b),
                           result.best.params,
                           result.groups[best[0]].model_params(best[1]))


# ------------------------------------------------------------------------- Monte Carlo dropout


def test_mc_dropout_is_the_mean_and_std_over_dropout_masks():
    model = jaxnn.MLP([32, 3], dropout=0.4)
    x = np.random.default_rng(1).normal(size=(20, 5)).astype(np.float32)
    params = model.init(jax.random.PRNGKey(0), x)
    prediction = jaxnn.predict_mc_dropout(model, params, x, samples=16, seed=7)
    keys = jax.random.split(jax.random.PRNGKey(7), 16)
    samples = np.stack([jax.nn.softmax(model.apply(params, x, train=True, rngs={"dropout": k}))
                        for k in keys])
    np.testing.assert_allclose(prediction.mean, samples.mean(0), atol=1e-6)
    np.testing.assert_allclose(prediction.std, samples.std(0), atol=1e-6)
    assert prediction.std.mean() > 0.01
    # another rate, traced: the same as a model built with it
    other = jaxnn.predict_mc_dropout(model, params, x, samples=16, seed=7, dropout_rate=0.1)
    rebuilt = jaxnn.predict_mc_dropout(jaxnn.MLP([32, 3], dropout=0.1), params, x, samples=16,
                                       seed=7)
    np.testing.assert_allclose(other.mean, rebuilt.mean, atol=1e-6)


# ------------------------------------------- early stopping, callbacks, checkpoints and resume


def scripted_loss(values):
    """A loss whose value at epoch e is ``values[e - 1 + offset]`` for a model MLP([1]) on
    zero inputs trained full batch by SGD at rate 1: the output is the bias b, the gradient
    in b is -1, so b = 0, 1, 2, ... at the start of epochs 1, 2, 3, ... `offset` is a loss
    keyword, so a hyperparameter: each model reads the sequence from its own start."""
    table = jnp.asarray(values, jnp.float32)

    def loss(outputs, targets, weight, *, offset=0.0):
        b = jnp.mean(outputs)
        index = jnp.round(jax.lax.stop_gradient(b) + offset).astype(jnp.int32)
        return table[jnp.clip(index, 0, len(values) - 1)] + jax.lax.stop_gradient(b) - b

    return loss


def test_each_model_stops_after_patience_epochs_without_improvement_as_keras():
    """The monitored loss improves until epoch 4 - offset and then worsens: with patience 5
    each model stops after epoch 9 - offset, keeps the parameters of its best epoch, and fit
    stops the same model at the same epoch."""
    values = [5.0, 4.0, 3.0, 2.0] + [3.0 + k for k in range(14)]
    data = (np.zeros((8, 2), np.float32), np.zeros(8, np.float32))
    settings = {"loss": scripted_loss(values), "batch_size": None, "epochs": 14,
                "metrics": [], "early_stopping": jaxnn.EarlyStopping(monitor="loss",
                                                                    patience=5)}
    result = jaxnn.fit_many(jaxnn.MLP([1]), data, optimizer=optax.sgd,
                            hyperparameters={"learning_rate": [1.0], "offset": [0.0, 1.0, 2.0]},
                            **settings)
    for i, offset in enumerate((0, 1, 2)):
        stopped, best = keras_early_stopping(values[offset:offset + 14], 5)
        assert (stopped, best) == (9 - offset, 4 - offset)  # by hand
        np.testing.assert_array_equal(result.histories[i]["loss"],
                                      np.float32(values[offset:offset + stopped]))
        assert (result.epochs_run[i], result.best_epochs[i]) == (stopped, best)
        assert result.stop_reasons[i] == (
            f"early stopping: loss did not improve for 5 epochs (best {values[best - 1 + offset]:g}"
            f" at epoch {best}); stopped after epoch {stopped}")
        bias = result.model_params(i)["params"]["Dense_0"]["bias"]
        np.testing.assert_array_equal(bias, [best])  # b = epochs run when it was best
    loss = functools.partial(settings.pop("loss"), offset=1.0)
    alone = jaxnn.fit(jaxnn.MLP([1]), data, loss=loss, optimizer=optax.sgd(1.0), verbose=0,
                      **settings)
    assert (alone.epochs_run, alone.best_epoch, alone.stop_reason) == (
        result.epochs_run[1], result.best_epochs[1], result.stop_reasons[1])


def three_models(pid, **kwargs):
    """Three zipped models of the first test, patience 2: one stops after epoch 12, one after
    epoch 19 of 20, one overflows to NaN in epoch 1."""
    x, y, x_val, y_val = pid
    settings = {"optimizer": optax.sgd, "seeds": [0, 1, 2], "grid": False,
                "hyperparameters": {"learning_rate": [0.3, 0.01, 1e30]},
                "validation_data": (x_val, y_val), "epochs": 20, "batch_size": 50,
                "early_stopping": jaxnn.EarlyStopping(patience=2, min_delta=0.01)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the non-finite model's warning
        return jaxnn.fit_many(jaxnn.MLP([8, 2]), (x, y), **{**settings, **kwargs})


@pytest.fixture(scope="module")
def three(pid):
    return three_models(pid)


def assert_same_models(result, expected):
    """Every model's parameters, final state, history (but its times) and stop, bit for bit."""
    for a, b in zip(jax.tree_util.tree_leaves((result.params, result.state)),
                    jax.tree_util.tree_leaves((expected.params, expected.state)), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for history, reference in zip(result.histories, expected.histories, strict=True):
        assert history.keys() == reference.keys()
        for key in set(history) - {"time"}:  # NaN equals NaN here
            np.testing.assert_array_equal(history[key], reference[key], err_msg=key)
    np.testing.assert_array_equal(result.epochs_run, expected.epochs_run)
    assert result.stop_reasons == expected.stop_reasons
    assert result.nonfinite == expected.nonfinite
    assert result.best_epochs == expected.best_epochs


def test_each_model_stops_where_keras_would_on_the_validation_losses_it_logged(three):
    assert three.epochs_run.tolist() == [12, 19, 1] and three.nonfinite[2] is not None
    for i in (0, 1):
        stopped, best = keras_early_stopping(three.histories[i]["val_loss"], 2, min_delta=0.01)
        assert (three.epochs_run[i], three.best_epochs[i]) == (stopped, best)
        assert three.stop_reasons[i].endswith(f"at epoch {best}); stopped after epoch {stopped}")


def test_callbacks_see_every_epoch_with_one_value_per_model_and_can_stop_them_all(pid, three):
    seen, steps, fifths = [], [], []

    def record(epoch, logs):
        seen.append((epoch, logs))

    def with_state(epoch, logs, state):
        steps.append(np.asarray(state.step).tolist())

    class EveryFifth(jaxnn.Callback):
        every = 5

        def on_epoch_end(self, epoch, state, logs):
            fifths.append(epoch)
            return epoch == 10

    result = three_models(pid, callbacks=[record, with_state, EveryFifth()])
    assert [epoch for epoch, _ in seen] == list(range(1, 11)) and fifths == [5, 10]
    for epoch, logs in seen:
        assert logs["epoch"] == epoch and logs["val_loss"].shape == (3,)
        for i in range(3):
            history = three.histories[i]["val_loss"]  # the run without callbacks
            expected = history[epoch - 1] if epoch <= len(history) else np.nan
            np.testing.assert_array_equal(logs["val_loss"][i], expected)
    # after epoch 4: 8 steps per epoch, and the NaN model where it stopped
    assert steps[3] == [32, 32, int(three.state.step[2])]
    assert result.stop_reason == "a callback asked to stop after epoch 10"
    assert result.stop_reasons[:2] == [result.stop_reason] * 2
    assert result.stop_reasons[2] == three.stop_reasons[2]
    assert result.epochs_run.tolist() == [10, 10, 1]
    for i in range(3):
        assert result.histories[i]["val_loss"] == three.histories[i]["val_loss"][:10]


def test_an_interrupted_fit_many_resumes_bit_for_bit(pid, three, tmp_path):
    """Interrupted after epoch 14 (after the checkpoint of epoch 12, when model 0 has stopped
    early, model 1 trains on and model 2 went non-finite in epoch 1), then resumed: every
    model ends exactly where the uninterrupted run ends."""

    def interrupt(epoch, logs):
        if epoch == 14:
            raise KeyboardInterrupt

    options = {"checkpoint_dir": tmp_path, "checkpoint_every": 3}
    with pytest.raises(KeyboardInterrupt):
        three_models(pid, callbacks=[interrupt], **options)
    assert TrainingCheckpoints(tmp_path).epochs() == [6, 9, 12]
    resumed = three_models(pid, resume=True, **options)
    assert_same_models(resumed, three)
    # resuming the finished run gives its result back without training
    calls = []
    again = three_models(pid, resume=True, callbacks=[lambda e, logs: calls.append(e)],
                         **options)
    assert calls == [] and TrainingCheckpoints(tmp_path).epochs() == [15, 18, 19]
    assert_same_models(again, three)


_KILLED_SCRIPT = """
import json, sys, time
from pathlib import Path
import numpy as np, optax
import jaxnn
from jaxnn.data import StandardScaler
from jaxnn.data.datasets import pid_toy

config = json.loads(sys.argv[1])
x, y = pid_toy(500, seed=0)
x = StandardScaler().fit_transform(x).astype(np.float32)

def handshake(epoch, logs):
    if epoch == config["hang_at"]:
        Path(config["out"] + ".hanging").write_text(str(epoch))
        time.sleep(600)  # the test kills the process here

result = jaxnn.fit_many(
    jaxnn.MLP([8, 2]), (x[:400], y[:400]), optimizer=optax.sgd, seeds=[0, 1, 2], grid=False,
    hyperparameters={"learning_rate": [0.3, 0.01, 1e30]}, validation_data=(x[400:], y[400:]),
    epochs=20, batch_size=50, early_stopping=jaxnn.EarlyStopping(patience=2, min_delta=0.01),
    callbacks=[handshake], checkpoint_dir=config["directory"], resume=config["resume"])
jaxnn.save_params(config["out"] + ".msgpack", {"params": result.params, "state": result.state})
Path(config["out"]).write_text(json.dumps({
    "histories": [{k: v for k, v in h.items() if k != "time"} for h in result.histories],
    "epochs_run": result.epochs_run.tolist(), "stop_reasons": result.stop_reasons,
    "nonfinite": result.nonfinite, "best_epochs": result.best_epochs}))
"""


@pytest.mark.slow  # two subprocesses; the interrupted run above stays in the default suite
def test_a_fit_many_killed_with_sigkill_resumes_bit_for_bit(three, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(_KILLED_SCRIPT)
    config = {"directory": str(tmp_path / "checkpoints"), "out": str(tmp_path / "out.json"),
              "hang_at": 14, "resume": False}
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT)}

    def launch(**overrides):
        return subprocess.Popen([sys.executable, str(script), json.dumps({**config, **overrides})],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                text=True)

    victim = launch()
    deadline = time.monotonic() + 1800  # a safety net; the wait is a file handshake
    while not Path(config["out"] + ".hanging").exists():
        assert victim.poll() is None, victim.stdout.read()
        if time.monotonic() > deadline:
            victim.kill()
            pytest.fail("timed out waiting for the training subprocess")
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=600)
    assert TrainingCheckpoints(config["directory"]).epochs() == [11, 12, 13]
    resumed = launch(resume=True, hang_at=-1)
    output, _ = resumed.communicate(timeout=1800)
    assert resumed.returncode == 0, output
    assert TrainingCheckpoints(config["directory"]).epochs() == [17, 18, 19]
    summary = json.loads(Path(config["out"]).read_text())
    expected = {"params": three.params, "state": three.state}
    stored = jaxnn.load_params(config["out"] + ".msgpack", like=expected)
    for a, b in zip(jax.tree_util.tree_leaves(stored), jax.tree_util.tree_leaves(expected),
                    strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for history, reference in zip(summary["histories"], three.histories, strict=True):
        for key, values in history.items():
            np.testing.assert_array_equal(values, reference[key], err_msg=key)
    assert summary["epochs_run"] == three.epochs_run.tolist()
    assert summary["stop_reasons"] == three.stop_reasons
    assert [None if n is None else tuple(n) for n in summary["nonfinite"]] == three.nonfinite
    assert summary["best_epochs"] == three.best_epochs


def test_resuming_with_another_grid_is_refused(pid, three, tmp_path):
    three_models(pid, epochs=2, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="written by a run with models=.*0.3.*this run has "
                                         "models=.*0.2"):
        three_models(pid, epochs=4, checkpoint_dir=tmp_path, resume=True,
                     hyperparameters={"learning_rate": [0.2, 0.01, 1e30]})
    with pytest.raises(ValueError, match="holds checkpoints of another run"):
        three_models(pid, epochs=4, checkpoint_dir=tmp_path)


def test_log_every_and_checkpoint_every_count_epochs_from_one(pid, three, tmp_path, capsys):
    result = three_models(pid, epochs=7, verbose=2, log_every=3, checkpoint_dir=tmp_path,
                          checkpoint_every=2, keep=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in lines] == ["1/7", "3/7", "6/7", "7/7"]
    assert "val_loss" in lines[0] and ".." in lines[0]  # the range over the models
    assert TrainingCheckpoints(tmp_path).epochs() == [6, 7]  # saved after 2, 4, 6 and 7
    for i in range(3):
        assert result.histories[i]["val_loss"] == three.histories[i]["val_loss"][:7]


def test_a_grid_of_architectures_checkpoints_each_in_its_own_directory(pid, ensemble, tmp_path):
    models = {"16": ensemble.model, "4": jaxnn.MLP([4, 2])}  # the programs of the grid test
    options = {"seeds": range(4), "hyperparameters": {"learning_rate": [1e-2]}, "epochs": 2,
               "batch_size": 50, "validation_data": pid[2:], "metrics": ["accuracy", "auc"],
               "checkpoint_dir": tmp_path}
    first = jaxnn.fit_many(models, pid[:2], **options)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["16", "4"]
    again = jaxnn.fit_many(models, pid[:2], resume=True, **options)
    for name in models:
        assert TrainingCheckpoints(tmp_path / name).epochs() == [1, 2]
        assert_same_models(again.groups[name], first.groups[name])


# ------------------------------------------------------------------------------ bad input


def test_configs_grid_and_zip():
    grid = expand_configs([0, 1], {"learning_rate": [1e-3, 1e-2], "weight_decay": [0.0]})
    assert [(c["seed"], c["learning_rate"]) for c in grid] == [
        (0, 1e-3), (0, 1e-2), (1, 1e-3), (1, 1e-2)]
    zipped = expand_configs(5, {"learning_rate": [1e-3, 1e-2]}, grid=False)
    assert zipped == [{"seed": 5, "learning_rate": 1e-3}, {"seed": 5, "learning_rate": 1e-2}]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"seeds": []}, ValueError, "at least one seed"),
    ({"seeds": [0, 1, 2], "grid": False, "hyperparameters": {"learning_rate": [1e-3, 1e-2]}},
     ValueError, r"lengths \{'seeds': 3, 'learning_rate': 2\}"),
    ({"hyperparameters": {"learning_rat": [1e-3]}}, ValueError,
     "unknown hyperparameter.*learning_rate"),
    ({"hyperparameters": {"weight_decay": [1e-3]}}, ValueError, "optax.adamw"),
    ({"hyperparameters": {"features": [[8, 2], [16, 2]]}}, ValueError,
     "part of the architecture"),
    ({"hyperparameters": {"learning_rate": ["fast"]}}, TypeError, "cannot be traced"),
    ({"optimizer": optax.sgd, "hyperparameters": {"nesterov": [True, False]}}, TypeError,
     "cannot be traced"),
    ({"hyperparameters": {"dropout_rate": [0.1]}}, ValueError, "no dropout layers"),
    ({"optimizer": optax.adam(1e-3), "hyperparameters": {"learning_rate": [1e-3]}}, TypeError,
     "Pass the factory"),
    ({"select": "val_auc"}, ValueError, "select='val_auc'"),
])
def test_bad_input_is_refused_before_training(pid, kwargs, error, match):
    with pytest.raises(error, match=match):
        jaxnn.fit_many(jaxnn.MLP([8, 2]), pid[:2], epochs=1, **kwargs)


@pytest.mark.parametrize("rate", [-1e-3, 0.0, float("nan"), float("inf")])
def test_a_learning_rate_fit_refuses_is_refused_in_the_grid(pid, rate):
    with pytest.raises(ValueError, match=r"fit_many\(hyperparameters=\{'learning_rate': "
                                         r"\[\.\.\.\]\}\) entry 1: got .*positive finite.*"
                                         r"Remove it from the grid"):
        jaxnn.fit_many(jaxnn.MLP([8, 2]), pid[:2], optimizer=optax.sgd, epochs=1,
                       hyperparameters={"learning_rate": [1e-2, rate]},
                       callbacks=[lambda epoch, logs: pytest.fail("training started")])
    with pytest.raises(ValueError, match="learning_rate"):  # fit refuses the same rate
        jaxnn.fit(jaxnn.MLP([8, 2]), pid[:2], optimizer="sgd", learning_rate=rate, epochs=1)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"callbacks": "progress"}, TypeError, r"fit_many\(callbacks='progress'\)"),
    ({"callbacks": [lambda: None]}, TypeError, "callback"),
    ({"resume": True}, ValueError, r"fit_many\(resume=True\): needs checkpoint_dir"),
    ({"verbose": 3}, ValueError, "verbose=3"),
    ({"checkpoint_every": 0}, ValueError, r"fit_many\(checkpoint_every=0\)"),
    ({"keep": 0, "checkpoint_dir": "unused"}, ValueError, r"fit_many\(keep=0\)"),
    ({"early_stopping": "val_loss"}, TypeError, r"fit_many\(early_stopping='val_loss'\)"),
])
def test_bad_callbacks_and_checkpoint_settings_are_refused_before_training(pid, kwargs, error,
                                                                           match):
    with pytest.raises(error, match=match):
        jaxnn.fit_many(jaxnn.MLP([8, 2]), pid[:2], epochs=1, **kwargs)


def test_uncertainty_bad_input():
    model = jaxnn.MLP([4, 2])
    params = model.init(jax.random.PRNGKey(0), np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="no dropout to sample"):
        jaxnn.predict_mc_dropout(model, params, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="leading model axis"):
        jaxnn.predict_ensemble(model, params, np.zeros((2, 3)))


# ---------------------------------------------------------------------------- several devices


@pytest.mark.slow
def test_models_split_over_two_devices_train_as_on_one():
    script = """
import numpy as np, jax, jaxnn
x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32); y = (x[:, 0] > 0)
kw = dict(seeds=[0, 1], epochs=2, batch_size=16, verbose=0)
assert jax.device_count() == 2
split = jaxnn.fit_many(jaxnn.MLP([8, 2]), (x, y), **kw)
assert len(split.state.step.sharding.device_set) == 2
with jaxnn.parallel.use(1):
    one = jaxnn.fit_many(jaxnn.MLP([8, 2]), (x, y), **kw)
jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, atol=1e-6), split.params,
                       one.params)
print("OK")
"""
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0 and "OK" in done.stdout, done.stderr[-2000:]
