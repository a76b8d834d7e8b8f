"""Many models at once (`jaxnn.fit_many`) and uncertainty (`jaxnn.predict_ensemble`,
`jaxnn.predict_mc_dropout`).

The oracle for every model of a vmapped group is the same model trained alone by `jaxnn.fit`
with the same seed and values. The tests share model shapes and settings so that the compiled
programs are reused between them.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
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
from jaxnn.supervised import expand_configs

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
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)
    assert done.returncode == 0 and "OK" in done.stdout, done.stderr[-2000:]
