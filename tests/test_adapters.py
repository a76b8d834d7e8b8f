"""Flax NNX and Equinox modules through fit/evaluate/predict (jaxnn/models/_adapters.py).

Oracle: the same network written as a flax.linen MLP, started from the same weights and
trained by the same loop, gives the same parameters."""

from __future__ import annotations

import flax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxnn

FLAX_VERSION = tuple(int(part) for part in flax.__version__.split(".")[:2])

FIT = {"epochs": 2, "batch_size": 16, "verbose": 0, "seed": 4, "optimizer": "adam",
       "learning_rate": 0.02}


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int32)


class NNXNet(nnx.Module):
    def __init__(self, rngs: nnx.Rngs, dropout: float = 0.0):
        self.hidden = nnx.Linear(3, 8, rngs=rngs)
        self.dropout = nnx.Dropout(dropout, rngs=rngs)
        self.out = nnx.Linear(8, 2, rngs=rngs)

    def __call__(self, x):
        return self.out(self.dropout(jnp.tanh(self.hidden(x))))


def _as_linen(hidden_kernel, hidden_bias, out_kernel, out_bias):
    return {"params": {"Dense_0": {"kernel": jnp.asarray(hidden_kernel),
                                   "bias": jnp.asarray(hidden_bias)},
                       "Dense_1": {"kernel": jnp.asarray(out_kernel),
                                   "bias": jnp.asarray(out_bias)}}}


def test_nnx_module_trains_as_the_same_linen_mlp():
    x, y = _data()
    module = NNXNet(nnx.Rngs(0))
    start = nnx.state(module, nnx.Param)
    linen = jaxnn.MLP([8, 2], activation="tanh")
    linen_start = _as_linen(start["hidden"]["kernel"][...], start["hidden"]["bias"][...],
                            start["out"]["kernel"][...], start["out"]["bias"][...])
    ours = jaxnn.fit(module, (x, y), **FIT)
    reference = jaxnn.fit(linen, (x, y), params=linen_start, **FIT)
    trained = ours.params
    got = _as_linen(trained["hidden"]["kernel"][...], trained["hidden"]["bias"][...],
                    trained["out"]["kernel"][...], trained["out"]["bias"][...])
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(reference.params),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.history["loss"], reference.history["loss"], rtol=1e-5)
    # predict/evaluate read the same parameters; merge gives the trained module
    np.testing.assert_allclose(jaxnn.predict(module, ours.params, x),
                               jaxnn.predict(linen, reference.params, x), rtol=1e-5, atol=1e-6)
    scores = jaxnn.evaluate(module, ours.params, (x, y))
    np.testing.assert_allclose(scores["loss"], reference.history["loss"][-1], rtol=0.5)
    trained_module = jaxnn.models.merge(module, ours.params)
    np.testing.assert_allclose(trained_module(jnp.asarray(x)),  # eager against compiled
                               jaxnn.predict(module, ours.params, x), rtol=1e-6, atol=1e-6)
    # the module passed in keeps its own weights
    np.testing.assert_array_equal(module.out.kernel[...], start["out"]["kernel"][...])


def test_nnx_dropout_is_on_in_training_and_off_in_predict():
    x, y = _data()
    module = NNXNet(nnx.Rngs(0), dropout=0.5)
    adapted, params = jaxnn.models.adapt(module)
    key = jax.random.PRNGKey(1)
    train = adapted.apply(params, jnp.asarray(x), train=True, rngs={"dropout": key})
    again = adapted.apply(params, jnp.asarray(x), train=True, rngs={"dropout": key})
    other = adapted.apply(params, jnp.asarray(x), train=True,
                          rngs={"dropout": jax.random.PRNGKey(2)})
    np.testing.assert_array_equal(train, again)  # same key, same mask
    assert not np.allclose(train, other)
    # predict: the eval-mode module by hand (no dropout)
    by_hand = np.tanh(x @ module.hidden.kernel[...] + module.hidden.bias[...])
    by_hand = by_hand @ module.out.kernel[...] + module.out.bias[...]
    np.testing.assert_allclose(jaxnn.predict(module, params, x), by_hand, rtol=1e-5, atol=1e-6)
    result = jaxnn.fit(module, (x, y), **FIT)
    assert np.isfinite(result.history["loss"]).all()


def test_nnx_module_with_state_it_cannot_carry_is_rejected():
    class WithBatchNorm(nnx.Module):
        def __init__(self, rngs):
            self.linear = nnx.Linear(3, 2, rngs=rngs)
            self.norm = nnx.BatchNorm(2, rngs=rngs)

        def __call__(self, x):
            return self.norm(self.linear(x))

    class WithList(nnx.Module):
        def __init__(self, rngs):
            self.linear = nnx.Linear(3, 2, rngs=rngs)
            self.seen = [0.0]

        def __call__(self, x):
            return self.linear(x)

    x, y = _data(8)
    with pytest.raises(ValueError, match="batch statistics.*nnx.LayerNorm"):
        jaxnn.fit(WithBatchNorm(nnx.Rngs(0)), (x, y), epochs=1, verbose=0)
    if FLAX_VERSION < (0, 12):
        return  # Flax 0.11 carries a list attribute as a graph node: nothing to refuse
    with pytest.raises(ValueError, match="cannot split.*tuples, not lists"):
        jaxnn.predict(WithList(nnx.Rngs(0)), None, x)


def test_nnx_params_of_another_module_are_named():
    x, _ = _data(8)
    other = nnx.state(nnx.Linear(3, 2, rngs=nnx.Rngs(0)), nnx.Param)
    with pytest.raises((ValueError, TypeError), match="params"):
        jaxnn.predict(NNXNet(nnx.Rngs(0)), other, x)


def test_merge_of_a_linen_model_says_params_stay_apart():
    with pytest.raises(TypeError, match="NNX or Equinox"):
        jaxnn.models.merge(jaxnn.MLP([2]), {})


# --------------------------------------------------------------------------------- Equinox
def test_equinox_mlp_trains_as_the_same_linen_mlp():
    eqx = pytest.importorskip("equinox")
    x, y = _data()
    module = eqx.nn.MLP(3, 2, 8, 1, activation=jnp.tanh, key=jax.random.PRNGKey(0))
    hidden, out = module.layers
    linen = jaxnn.MLP([8, 2], activation="tanh")
    start = _as_linen(hidden.weight.T, hidden.bias, out.weight.T, out.bias)
    ours = jaxnn.fit(module, (x, y), **FIT)
    reference = jaxnn.fit(linen, (x, y), params=start, **FIT)
    h, o = ours.params.layers
    got = _as_linen(h.weight.T, h.bias, o.weight.T, o.bias)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(reference.params),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    trained = jaxnn.models.merge(module, ours.params)
    np.testing.assert_allclose(jaxnn.predict(module, ours.params, x),
                               jax.vmap(trained)(jnp.asarray(x)), rtol=1e-5, atol=1e-6)


def test_equinox_dropout_gets_a_key_per_sample_in_training_only():
    eqx = pytest.importorskip("equinox")

    class Net(eqx.Module):
        linear: eqx.nn.Linear
        dropout: eqx.nn.Dropout

        def __init__(self, key):
            self.linear = eqx.nn.Linear(3, 4, key=key)
            self.dropout = eqx.nn.Dropout(0.5)

        def __call__(self, x, key=None):
            return self.dropout(self.linear(x), key=key)

    x, _ = _data(16)
    module = Net(jax.random.PRNGKey(0))
    adapted, params = jaxnn.models.adapt(module)
    outputs = adapted.apply(params, jnp.asarray(x), train=True,
                            rngs={"dropout": jax.random.PRNGKey(1)})
    dropped = np.asarray(outputs) == 0
    assert 0.2 < dropped.mean() < 0.8 and len({row.tobytes() for row in dropped}) > 1
    np.testing.assert_allclose(jaxnn.predict(module, params, x),
                               x @ module.linear.weight.T + module.linear.bias, rtol=1e-5,
                               atol=1e-6)


def test_equinox_module_with_batch_norm_state_is_rejected():
    eqx = pytest.importorskip("equinox")
    module, _ = eqx.nn.make_with_state(eqx.nn.BatchNorm)(3, axis_name="batch", mode="ema")
    x, y = _data(8)
    with pytest.raises(ValueError, match="holds state.*LayerNorm"):
        jaxnn.fit(module, (x, y), epochs=1, verbose=0)
