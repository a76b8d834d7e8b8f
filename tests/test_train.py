import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxnn
from jaxnn import losses
from jaxnn.training import EarlyStopping, train_loop

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def _blobs(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int32)
    return x, y


def test_fit_learns_xor_with_an_mlp():
    model = jaxnn.MLP([8, 2], activation="tanh")
    result = jaxnn.fit(model, (XOR_X, XOR_Y), optimizer=optax.adam(0.05), epochs=300,
                       batch_size=4)
    predicted = jaxnn.predict(model, result.params, XOR_X).argmax(axis=1)
    np.testing.assert_array_equal(predicted, XOR_Y)
    assert result.history["accuracy"][-1] == 1.0


def test_fit_learns_nand_with_logistic_regression():
    y_nand = np.array([1, 1, 1, 0])
    model = jaxnn.LogisticRegression()
    result = jaxnn.fit(model, (XOR_X, y_nand), loss="binary_cross_entropy",
                       optimizer=optax.sgd(1.0), epochs=500, batch_size=4)
    probability = jaxnn.predict_proba(model, result.params, XOR_X)[:, 0]
    np.testing.assert_array_equal(probability > 0.5, y_nand == 1)
    w = result.params["params"]["Dense_0"]["kernel"][:, 0]
    assert float(w[0]) < 0 and float(w[1]) < 0  # NAND: both inputs push towards 0


def test_one_sgd_step_equals_finite_difference_gradient_step():
    x, y = _blobs(32)
    model = jaxnn.MLP([5, 2], activation="tanh")
    params = model.init(jax.random.PRNGKey(3), jnp.asarray(x[:1]))
    lr = 0.1
    result = jaxnn.fit(model, (x, y), optimizer=optax.sgd(lr), epochs=1, batch_size=None,
                       params=params)

    def loss_of(p):
        return float(losses.softmax_cross_entropy(model.apply(p, x), jnp.asarray(y)))

    flat, unravel = jax.flatten_util.ravel_pytree(params)
    flat = np.asarray(flat, np.float64)
    eps = 1e-2
    fd = np.array([
        (loss_of(unravel(jnp.asarray(flat + eps * e)))
         - loss_of(unravel(jnp.asarray(flat - eps * e))))
        / (2 * eps)
        for e in np.eye(flat.size)
    ])
    trained = np.asarray(jax.flatten_util.ravel_pytree(result.params)[0])
    np.testing.assert_allclose(trained, flat - lr * fd, atol=5e-5)


def test_same_seed_gives_identical_parameters_and_other_seed_differs():
    x, y = _blobs()
    model = jaxnn.MLP([16, 2], dropout=0.2)

    def run(seed):
        result = jaxnn.fit(model, (x, y), epochs=2, batch_size=64, seed=seed)
        return np.asarray(jax.flatten_util.ravel_pytree(result.params)[0])

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.array_equal(run(0), run(1))


def test_fit_stops_early_and_restores_best_params():
    x, y = _blobs(200)
    model = jaxnn.MLP([32, 2])
    seen = []

    def record(epoch, logs):
        seen.append(logs["val_loss"])

    # A learning rate this large makes the validation loss rise after the first epochs.
    result = jaxnn.fit(model, (x, y), optimizer=optax.sgd(3.0), epochs=60, batch_size=20,
                       validation_split=0.25, early_stopping=EarlyStopping(patience=3),
                       callbacks=[record])
    assert result.epochs_run < 60 and "early stopping" in result.stop_reason
    best = int(np.argmin(seen))
    assert result.best_epoch == best + 1
    assert result.epochs_run == best + 1 + 3  # patience 3: stops after 3 epochs without gain
    x_val_loss = jaxnn.evaluate(model, result.params, (x, y))["loss"]
    assert np.isfinite(x_val_loss)
    # The restored params reproduce the best epoch's validation loss, not the last one.
    np.testing.assert_allclose(result.history["val_loss"][best], min(seen))
    assert seen[-1] > min(seen)


def test_no_retrace_across_epochs_or_with_ragged_last_batch():
    traces = []

    def loss_fn(params, batch, key):
        traces.append(1)
        pred = batch["x"] @ params["w"]
        return losses.mse(pred, batch["y"], batch["weight"]), {}

    x = np.random.default_rng(0).normal(size=(103, 3)).astype(np.float32)  # 103 = 4*25 + 3
    data = {"x": x, "y": x @ np.array([1.0, -2.0, 0.5], np.float32), "weight": np.ones(103)}
    result = train_loop(loss_fn, {"w": jnp.zeros(3)}, data, optimizer=optax.sgd(0.1),
                        epochs=5, batch_size=25)
    assert result.epochs_run == 5
    # Traced twice in all: once on shapes to check its contract before training, once for the
    # one compilation of the whole run (the lbfgs-style value_fn closure not at all for sgd).
    assert len(traces) == 2


def test_ragged_last_batch_sees_every_sample_once_per_epoch():
    # With weights, the wrap-around rows of the last batch get weight 0: the epoch loss equals
    # the mean loss over the data set at fixed params (learning rate 0).
    x, y = _blobs(103)
    model = jaxnn.MLP([4, 2])
    params = model.init(jax.random.PRNGKey(0), jnp.asarray(x[:1]))
    result = jaxnn.fit(model, (x, y), optimizer=optax.sgd(0.0), epochs=1, batch_size=10,
                       params=params)
    full = jaxnn.evaluate(model, params, (x, y))["loss"]
    np.testing.assert_allclose(result.history["loss"][0], full, rtol=1e-5)


def test_lbfgs_runs_through_the_same_loop():
    x, y = _blobs(300)
    model = jaxnn.MLP([16, 2], activation="tanh")
    result = jaxnn.fit(model, (x, y), optimizer=optax.lbfgs(), epochs=30, batch_size=None,
                       verbose=0)
    assert result.history["loss"][-1] < 0.3 * result.history["loss"][0]
    assert result.history["accuracy"][-1] > 0.95


def test_validation_metrics_and_history_keys():
    x, y = _blobs(300)
    result = jaxnn.fit(jaxnn.MLP([16, 2]), (x, y), optimizer=optax.adam(1e-2), epochs=3,
                       batch_size=32, validation_data=_blobs(100, seed=9),
                       metrics=["accuracy", "auc", "f1"])
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "val_auc", "val_f1", "epoch"):
        assert len(result.history[key]) == 3
    assert result.history["val_auc"][-1] > 0.9


def test_nan_loss_stops_cleanly_and_keeps_last_finite_params():
    calls = {"n": 0}

    def loss_fn(params, batch, key):
        # Finite for w < 2; the huge learning rate drives w past 2 after a few steps.
        w = params["w"]
        loss = jnp.where(w < 2.0, (w - 10.0) ** 2, jnp.nan)
        return loss, {}

    with pytest.warns(RuntimeWarning, match="non-finite"):
        result = train_loop(loss_fn, {"w": jnp.array(0.0)}, {"x": jnp.zeros(1)},
                            optimizer=optax.sgd(0.02), epochs=10, batch_size=None,
                            steps_per_epoch=4)
    del calls
    assert result.nonfinite is not None
    epoch, step = result.nonfinite
    assert result.epochs_run == epoch and 1 <= step <= 4
    assert np.isfinite(float(result.params["w"])) and float(result.params["w"]) < 2.0
    assert "epoch" in result.stop_reason and "step" in result.stop_reason


def test_dropout_model_trains_and_predict_is_deterministic():
    x, y = _blobs(200)
    model = jaxnn.MLP([32, 2], dropout=0.3)
    result = jaxnn.fit(model, (x, y), optimizer=optax.adam(1e-2), epochs=5, batch_size=32,
                       verbose=0)
    np.testing.assert_array_equal(jaxnn.predict(model, result.params, x),
                                  jaxnn.predict(model, result.params, x))


# ---------------------------------------------------------------- bad input, before tracing


def _model_and_params(features=4, outputs=2):
    model = jaxnn.MLP([8, outputs])
    return model, model.init(jax.random.PRNGKey(0), jnp.zeros((1, features)))


@pytest.mark.parametrize(
    "data, kwargs, error, match",
    [
        ((np.zeros((10, 4)), np.zeros(9)), {}, ValueError, "same number of samples, got 10 and 9"),
        ((np.zeros((10, 4)), np.zeros(10)), {"batch_size": 0}, ValueError, "1 <= batch_size <= 10"),
        ((np.zeros((10, 4)), np.zeros(10)), {"batch_size": 11}, ValueError,
         "1 <= batch_size <= 10"),
        ((np.zeros((10, 4)), np.zeros(10)), {"batch_size": 2.5}, TypeError, "expected an integer"),
        ((np.full((10, 4), np.nan), np.zeros(10)), {}, ValueError, "NaN/inf"),
        ((np.zeros((10, 4)), np.array([0, 1, 2, 3] * 2 + [0, 5])), {}, ValueError,
         "class labels must lie in \\[0, 1\\].*got labels from 0 to 5"),
        ((np.zeros((10, 4)), np.zeros(10)), {"loss": "hinge"}, ValueError, "not a known loss"),
        ((np.zeros((10, 4)), np.zeros(10)), {"metrics": ["auroc"]}, ValueError,
         "'auroc' is not a known metric"),
        ((np.array([["a"] * 4] * 10), np.zeros(10)), {}, TypeError, "expected an array of numbers"),
        ((np.zeros((10, 4)), np.zeros(10)), {"validation_split": 1.5}, ValueError, "\\[0, 1\\)"),
        ((np.zeros((10, 4)), np.zeros(10)), {"loss": "binary_cross_entropy"}, ValueError,
         "single output"),
    ],
)
def test_fit_rejects_bad_input_with_a_clear_message(data, kwargs, error, match):
    model = jaxnn.MLP([8, 2])
    with pytest.raises(error, match=match):
        jaxnn.fit(model, data, epochs=1, verbose=0, **kwargs)


def test_fit_with_params_for_another_feature_count_names_both():
    model, params = _model_and_params(features=18)
    with pytest.raises(ValueError, match="18 features.*shape \\(10, 17\\)"):
        jaxnn.fit(model, (np.zeros((10, 17)), np.zeros(10)), params=params, epochs=1)
    with pytest.raises(ValueError, match="18 features"):
        jaxnn.predict(model, params, np.zeros((3, 17)))


def test_output_activation_that_does_not_match_the_loss_is_rejected():
    # softmax/sigmoid outputs with their own cross-entropy train (tests/test_keras_api.py);
    # independent sigmoids are not a distribution for the softmax loss.
    model = jaxnn.MLP([8, 2], output_activation="sigmoid")
    with pytest.raises(ValueError, match="not a distribution"):
        jaxnn.fit(model, (np.zeros((4, 2)), np.zeros(4)), epochs=1)


def test_early_stopping_on_validation_without_validation_data_is_rejected():
    with pytest.raises(ValueError, match="no validation data"):
        jaxnn.fit(jaxnn.MLP([8, 2]), (np.zeros((4, 2)), np.zeros(4)), epochs=1, verbose=0,
                  early_stopping=EarlyStopping())


def test_total_steps_stops_mid_epoch_without_recompiling():
    # loss = (w - 3)², SGD with rate 0.1: w_k = 3 - 3 * 0.8**k, so the step count is exact.
    traces = []

    def loss_fn(params, batch, key):
        traces.append(1)
        return (params["w"] - 3.0) ** 2, {}

    result = train_loop(loss_fn, {"w": jnp.float32(0.0)}, {"x": jnp.zeros(1)},
                        optimizer=optax.sgd(0.1), epochs=2, steps_per_epoch=10, total_steps=15)
    assert int(result.state.step) == 15
    np.testing.assert_allclose(float(result.params["w"]), 3 - 3 * 0.8**15, rtol=1e-5)
    # the contract probe, the step and the shape of a skipped step: one compilation
    assert len(traces) <= 3
    with pytest.raises(ValueError, match="total_steps=21"):
        train_loop(loss_fn, {"w": jnp.float32(0.0)}, {"x": jnp.zeros(1)},
                   optimizer=optax.sgd(0.1), epochs=2, steps_per_epoch=10, total_steps=21)


# ---------------------------------------------------------------- callbacks and odd models


class _StopAtEpoch(jaxnn.Callback):
    """Answers np.True_ (a NumPy bool, as a comparison of logs gives) after epoch `stop`."""

    def __init__(self, stop):
        self.stop, self.seen = stop, []

    def on_epoch_end(self, epoch, state, logs):
        self.seen.append(epoch)
        return np.float32(epoch) >= self.stop


class _StopAtEpochAndCount(_StopAtEpoch):
    """A subclass of a subclass that hands its parent's answer on."""

    def on_epoch_end(self, epoch, state, logs):
        self.counted = epoch
        return super().on_epoch_end(epoch, state, logs)


@pytest.mark.parametrize("callback_type", [_StopAtEpoch, _StopAtEpochAndCount])
def test_callback_subclass_answers_stop_training_as_a_function_does(callback_type):
    callback = callback_type(3)
    result = train_loop(lambda p, b, k: (jnp.sum(p["w"] ** 2), {}), {"w": jnp.ones(2)},
                        {"x": jnp.zeros(1)}, optimizer=optax.sgd(0.1), epochs=10,
                        steps_per_epoch=1, callbacks=[callback])
    assert result.epochs_run == 3 and callback.seen == [1, 2, 3]
    assert result.stop_reason == "a callback asked to stop after epoch 3"
    # w_k = 0.8**k after k SGD steps of rate 0.1 on |w|²: the run stopped after 3 steps
    np.testing.assert_allclose(np.asarray(result.params["w"]), 0.8**3, rtol=1e-6)


class _FixedRule(nn.Module):
    """A classifier without parameters: logits (x0 - x1, x1 - x0)."""

    @nn.compact
    def __call__(self, x):
        return jnp.stack([x[:, 0] - x[:, 1], x[:, 1] - x[:, 0]], axis=1)


def test_model_without_parameters_predicts_evaluates_and_saves(tmp_path):
    model = _FixedRule()
    x = np.random.default_rng(3).normal(size=(50, 2)).astype(np.float32)
    y = (x[:, 1] > x[:, 0]).astype(np.int32)
    y[:5] = 1 - y[:5]  # five wrong answers
    params = model.init(jax.random.PRNGKey(0), x[:1])
    assert params == {}
    logits = np.stack([x[:, 0] - x[:, 1], x[:, 1] - x[:, 0]], axis=1)
    np.testing.assert_allclose(jaxnn.predict(model, params, x), logits, rtol=1e-6)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(jaxnn.predict_proba(model, params, x), expected, rtol=1e-5)
    scores = jaxnn.evaluate(model, params, (x, y))
    assert scores["accuracy"] == pytest.approx(45 / 50)
    cross_entropy = -np.mean(np.log(expected[np.arange(50), y]))
    assert scores["loss"] == pytest.approx(cross_entropy, rel=1e-5)
    path = jaxnn.save_model(tmp_path / "rule.jaxnn", model, params)
    loaded, loaded_params = jaxnn.load_model(path, custom_objects={"_FixedRule": _FixedRule})
    np.testing.assert_allclose(jaxnn.predict(loaded, loaded_params, x), logits, rtol=1e-6)
    with pytest.raises(ValueError, match="has no parameters.*spread is zero"):
        jaxnn.predict_ensemble(model, params, x)
    with pytest.raises(ValueError, match=r"predict\(params=...\): got no parameters.*Dense_0"):
        jaxnn.predict(jaxnn.MLP([2]), {}, x)


def test_progress_bar_estimates_time_left_from_the_epochs_after_the_first_wake(monkeypatch):
    """The first wake's epochs include the compilation: 10 s for epoch 1, then epochs 2-11 in
    0.5 s. The rate is 10 epochs / 0.5 s = 20 epochs/s, so 89 epochs are 4.45 s away (counting
    the compilation as an epoch would give 0.1 epochs/s at first, "15:00" left)."""
    import types

    now = [0.0]
    monkeypatch.setattr("tqdm.std.time", lambda: now[0])
    progress = jaxnn.Progress(verbose=1)
    progress.on_train_begin(types.SimpleNamespace(epoch=0, epochs=100, start_epoch=0,
                                                  history={}))
    now[0] = 10.0
    progress.on_epoch_end(1, None, {"loss": 1.0})
    assert progress.bar.format_dict["rate"] is None  # no estimate from the compiling wake
    now[0] = 10.5
    progress.on_epoch_end(11, None, {"loss": 0.5})
    shown = progress.bar.format_dict
    assert shown["n"] == 11 and shown["elapsed"] == pytest.approx(10.5)  # compilation shown
    assert shown["rate"] == pytest.approx(20.0)
    assert (shown["total"] - shown["n"]) / shown["rate"] == pytest.approx(4.45)
    progress.bar.close()


@pytest.mark.slow
def test_memory_stays_flat_over_300_fits_and_repeated_fit_many():
    """benchmarks/memory_load.py in its own processes: a hand-written loop of 300 fits and
    fit_many of 256 models called 10 times hold their memory (loosely: growth after the warm-up
    under 200 MB; compiled programs are cached, so a leak of one per fit would show)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "memory_load.py"
    process = subprocess.run(
        [sys.executable, str(script), "--fits", "300", "--warmup", "50", "--many-calls", "10",
         "--many-warmup", "4"],
        check=True, capture_output=True, text=True, timeout=3000)
    lines = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    ends = {line["workload"]: line for line in lines if line["stage"] == "end"}
    assert ends["fits"]["fits"] == 300 and ends["many"]["calls"] == 10
    assert ends["fits"]["growth_mb"] < 200, ends["fits"]
    assert ends["many"]["growth_mb"] < 200, ends["many"]


# ------------------------------------------------- event weights in evaluate and validation logs


def _rounded_classifier(outputs):
    """A linear classifier whose logits are rounded to multiples of 1/4 outside training, so
    many validation scores tie (in training the logits stay smooth and have gradients)."""
    import flax.linen as nn

    class RoundedLinear(nn.Module):
        outputs: int

        @nn.compact
        def __call__(self, x, train: bool = False):
            logits = nn.Dense(self.outputs)(x)
            return logits if train else jnp.round(4 * logits) / 4

    return RoundedLinear(outputs)


def _weighted_events(n, seed):
    """Features, 0/1 labels and non-uniform event weights that depend on the features."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x[:, 0] + 0.8 * x[:, 1] + rng.normal(0, 0.8, n) > 0).astype(np.int32)
    weight = rng.choice([0.25, 0.5, 1.0, 2.0, 5.0], n) * np.where(x[:, 2] > 0.3, 4.0, 1.0)
    return x, y, weight.astype(np.float32)


@pytest.mark.parametrize("outputs", [1, 2], ids=["one_logit", "two_classes"])
def test_weighted_validation_auc_of_fit_equals_host_roc_auc_with_ties(outputs):
    from sklearn import metrics as sk_metrics

    x, y, weight = _weighted_events(800, seed=0)
    x_val, y_val, w_val = _weighted_events(500, seed=1)
    loss = "binary_cross_entropy" if outputs == 1 else "softmax_cross_entropy"
    model = _rounded_classifier(outputs)
    result = jaxnn.fit(model, (x, y), loss=loss, optimizer=optax.adam(0.02), epochs=10,
                       batch_size=64, sample_weight=weight, validation_data=(x_val, y_val, w_val),
                       metrics=["accuracy", "auc"], verbose=0, seed=0)
    probability = jaxnn.predict_proba(model, result.params, x_val)[:, -1]
    tied = np.intersect1d(probability[y_val == 1], probability[y_val == 0])
    assert len(np.unique(probability)) < 100 and len(tied) >= 5  # ties between the classes
    host = jaxnn.metrics.roc_auc_score(y_val, probability, sample_weight=w_val)
    oracle = sk_metrics.roc_auc_score(y_val, probability, sample_weight=w_val)
    assert abs(oracle - sk_metrics.roc_auc_score(y_val, probability)) > 1e-3  # weights matter
    scores = jaxnn.evaluate(model, result.params, (x_val, y_val), loss=loss,
                            metrics=["accuracy", "auc", "precision", "recall", "f1"],
                            sample_weight=w_val)
    for device in (result.history["val_auc"][-1], scores["auc"]):
        assert abs(device - host) < 1e-6 and abs(device - oracle) < 1e-6
    # Every other log is weighted too: loss, accuracy, precision, recall, F1.
    logits = jaxnn.predict(model, result.params, x_val).astype(np.float64)
    if outputs == 1:
        predicted = (logits[:, 0] > 0).astype(int)
        z = logits[:, 0]
        per_sample = np.maximum(z, 0) - z * y_val + np.log1p(np.exp(-np.abs(z)))
    else:
        predicted = logits.argmax(axis=1)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        per_sample = -log_p[np.arange(len(y_val)), y_val]
    expected = {"loss": np.sum(w_val * per_sample) / np.sum(w_val),
                "accuracy": sk_metrics.accuracy_score(y_val, predicted, sample_weight=w_val)}
    for name, oracle_fn in (("precision", sk_metrics.precision_score),
                            ("recall", sk_metrics.recall_score), ("f1", sk_metrics.f1_score)):
        expected[name] = oracle_fn(y_val, predicted, sample_weight=w_val, zero_division=0)
    for name, value in expected.items():
        np.testing.assert_allclose(scores[name], value, rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(result.history["val_loss"][-1], expected["loss"], rtol=1e-5)
    np.testing.assert_allclose(result.history["val_accuracy"][-1], expected["accuracy"],
                               atol=1e-6)


def test_device_auc_is_the_weighted_pair_probability_with_ties_and_zero_weights():
    # A logistic regression with kernel 1 and bias 0 returns x itself: evaluate's AUC is the
    # device's weighted AUC of exactly these scores.
    from sklearn import metrics as sk_metrics

    rng = np.random.default_rng(7)
    n = 3000
    y = rng.integers(0, 2, n)
    scores = (rng.integers(0, 5, n) + y).astype(np.float32)  # 6 values: nearly all pairs tie
    weight = np.exp(rng.normal(0, 1.5, n)) * (rng.random(n) > 0.1)  # heavy tail, 10% zeros
    model = jaxnn.LogisticRegression()
    params = {"params": {"Dense_0": {"kernel": jnp.ones((1, 1)), "bias": jnp.zeros(1)}}}
    signal, background = y == 1, y == 0
    pairs = np.sign(scores[signal][:, None] - scores[background][None, :]) / 2 + 0.5
    pair_weights = weight[signal][:, None] * weight[background][None, :]
    by_hand = np.sum(pair_weights * pairs) / np.sum(pair_weights)
    for w in (weight, None):
        device = jaxnn.evaluate(model, params, (scores[:, None], y), loss="binary_cross_entropy",
                                metrics=["auc"], sample_weight=w)["auc"]
        expected = (by_hand if w is not None else
                    sk_metrics.roc_auc_score(y, scores))
        assert abs(device - expected) < 1e-6
        assert abs(device - sk_metrics.roc_auc_score(y, scores, sample_weight=w)) < 1e-6
    assert abs(by_hand - sk_metrics.roc_auc_score(y, scores)) > 1e-3  # the weights matter
    tied = np.zeros(n, np.float32)  # every pair ties: exactly one half
    assert jaxnn.evaluate(model, params, (tied[:, None], y), loss="binary_cross_entropy",
                          metrics=["auc"], sample_weight=weight)["auc"] == 0.5


def test_validation_data_takes_sample_weights_as_a_third_item():
    x, y, _ = _weighted_events(200, seed=2)
    x_val, y_val, w_val = _weighted_events(100, seed=3)
    model = jaxnn.MLP([4, 2])
    common = dict(epochs=1, batch_size=50, metrics=["accuracy", "auc"], verbose=0, seed=0)
    unweighted = jaxnn.fit(model, (x, y), validation_data=(x_val, y_val), **common)
    as_ones = jaxnn.fit(model, (x, y), validation_data=[x_val, y_val, None], **common)
    weighted = jaxnn.fit(model, (x, y), validation_data=(x_val, y_val, w_val), **common)
    assert as_ones.history["val_loss"] == unweighted.history["val_loss"]
    assert weighted.history["val_loss"] != unweighted.history["val_loss"]
    evaluated = jaxnn.evaluate(model, weighted.params, (x_val, y_val), metrics=["accuracy", "auc"],
                               sample_weight=w_val)
    for name, value in evaluated.items():
        np.testing.assert_allclose(weighted.history[f"val_{name}"][-1], value, rtol=1e-6)
    argument = r"fit\(validation_data=\.\.\.\) sample_weight \(the third item\)"
    with pytest.raises(ValueError, match=argument + r": expected one weight per sample, shape "
                       r"\(100,\), got shape \(99,\)"):
        jaxnn.fit(model, (x, y), validation_data=(x_val, y_val, w_val[:-1]), **common)
    with pytest.raises(ValueError, match=argument + ": expected non-negative weights"):
        jaxnn.fit(model, (x, y), validation_data=(x_val, y_val, -w_val), **common)
    with pytest.raises(ValueError, match="'auc' needs samples of both classes"):
        jaxnn.fit(model, (x, y), validation_data=(x_val, y_val, w_val * (y_val == 1)), **common)
    with pytest.raises(TypeError, match=r"fit\(validation_data=\.\.\.\): expected a pair"):
        jaxnn.fit(model, (x, y), validation_data=(x_val, y_val, w_val, w_val), **common)
