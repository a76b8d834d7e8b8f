import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxnn import models
from jaxnn.models import _models as models_impl


def test_mlp_shapes_and_pure_apply():
    model = models.MLP([16, 8, 3], activation="tanh")
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 5)))
    x = jnp.ones((7, 5))
    out = model.apply(params, x)
    assert out.shape == (7, 3)
    np.testing.assert_array_equal(out, model.apply(params, x))  # pure: same input, same output
    assert models.count_params(params) == 5 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3


def test_mlp_matches_numpy_forward_pass():
    model = models.MLP([4, 2], activation="relu", output_activation="softmax")
    params = model.init(jax.random.PRNGKey(1), jnp.zeros((1, 3)))
    p = jax.tree_util.tree_map(np.asarray, params)["params"]
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    hidden = np.maximum(x @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"], 0)
    z = hidden @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"]
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.apply(params, x), expected, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(models.ACTIVATIONS))
def test_every_named_activation_builds(name):
    model = models.MLP([3, 2], activation=name)
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 2)))
    assert np.all(np.isfinite(model.apply(params, jnp.ones((2, 2)))))


def test_initializer_normal_std_is_respected():
    model = models.MLP([2000, 1], kernel_init="normal(0.05)")
    kernel = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 10)))["params"]["Dense_0"]["kernel"]
    assert abs(float(jnp.std(kernel)) - 0.05) < 0.002
    zeros = models.MLP([3, 1], kernel_init="zeros").init(jax.random.PRNGKey(0), jnp.zeros((1, 4)))
    assert float(jnp.abs(zeros["params"]["Dense_0"]["kernel"]).max()) == 0.0


def test_he_normal_variance():
    kernel = models.MLP([4000, 1], kernel_init="he_normal").init(
        jax.random.PRNGKey(2), jnp.zeros((1, 50))
    )["params"]["Dense_0"]["kernel"]
    assert abs(float(jnp.var(kernel)) - 2.0 / 50) < 0.004


def test_dropout_is_active_only_in_training():
    model = models.MLP([64, 1], dropout=0.5)
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 4)))
    x = jnp.ones((3, 4))
    np.testing.assert_array_equal(model.apply(params, x), model.apply(params, x))
    a = model.apply(params, x, train=True, rngs={"dropout": jax.random.PRNGKey(1)})
    b = model.apply(params, x, train=True, rngs={"dropout": jax.random.PRNGKey(2)})
    assert not np.allclose(a, b)


def test_cnn_output_shapes():
    model = models.CNN(features=(32, 64), num_outputs=10, dense=(128,))
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 28, 28, 1)))
    assert model.apply(params, jnp.zeros((5, 28, 28, 1))).shape == (5, 10)
    kernels = params["params"]
    assert kernels["Conv_0"]["kernel"].shape == (3, 3, 1, 32)
    assert kernels["Conv_1"]["kernel"].shape == (3, 3, 32, 64)
    assert kernels["Dense_0"]["kernel"].shape == (7 * 7 * 64, 128)


def test_cnn_rejects_images_without_channel_axis():
    model = models.CNN(num_outputs=2)
    with pytest.raises(ValueError, match="x\\[..., None\\]"):
        model.init(jax.random.PRNGKey(0), jnp.zeros((1, 16, 16)))


def test_maxout_is_max_of_affine_pieces():
    layer = models.Maxout(features=3, pieces=4)
    params = layer.init(jax.random.PRNGKey(0), jnp.zeros((1, 5)))
    x = np.random.default_rng(0).normal(size=(6, 5)).astype(np.float32)
    dense = params["params"]["Dense_0"]
    z = x @ np.asarray(dense["kernel"]) + np.asarray(dense["bias"])
    np.testing.assert_allclose(layer.apply(params, x), z.reshape(6, 3, 4).max(-1), rtol=1e-5)


def test_logistic_regression_is_affine():
    model = models.LogisticRegression()
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 3)))
    assert model.apply(params, jnp.ones((2, 3))).shape == (2, 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"features": [8, 2], "activation": "relu6"},
         "MLP\\(activation=...\\): 'relu6' is not a known activation"),
        ({"features": [8, 2], "kernel_init": "orthogonal_ish"}, "not a known initializer"),
        ({"features": [8, 0]}, "positive integers"),
        ({"features": [8, 2], "dropout": 1.5}, "probability"),
    ],
)
def test_bad_model_arguments_raise_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.MLP(**kwargs)


@pytest.mark.parametrize("padding", ["SAME", "VALID", "CIRCULAR"])
@pytest.mark.parametrize("kernel_size", [(3, 3), (2, 2), (5, 3)])
def test_conv2d_im2col_equals_flax_conv(padding, kernel_size):
    import flax.linen as nn

    x = jnp.asarray(np.random.default_rng(0).normal(size=(3, 9, 8, 2)), jnp.float32)
    reference = nn.Conv(4, kernel_size, padding=padding)
    params = reference.init(jax.random.PRNGKey(1), x)
    expected = reference.apply(params, x)
    got = models.Conv2D(4, kernel_size, padding=padding).apply(params, x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=2e-6)


@pytest.mark.parametrize("padding", ["SAME", "VALID", "CIRCULAR"])
@pytest.mark.parametrize("kernel_size", [(3, 3), (5, 2)])
def test_conv2d_written_out_gradient_equals_xla_autodiff(padding, kernel_size):
    import flax.linen as nn

    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.normal(size=(2, 7, 6, 3)))
    target = jnp.asarray(rng.normal(size=nn.Conv(5, kernel_size, padding=padding).apply(
        nn.Conv(5, kernel_size, padding=padding).init(jax.random.PRNGKey(0), x), x).shape))

    def loss(module, params, x):
        return jnp.sum((module.apply(params, x) - target) ** 2 * jnp.cos(x.sum()))

    reference = nn.Conv(5, kernel_size, padding=padding)
    params = reference.init(jax.random.PRNGKey(3), x)
    expected = jax.grad(functools.partial(loss, reference), argnums=(0, 1))(params, x)
    got = jax.grad(functools.partial(loss, models.Conv2D(5, kernel_size, padding=padding)),
                   argnums=(0, 1))(params, x)
    for want, have in zip(jax.tree.leaves(expected), jax.tree.leaves(got), strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(2, 8, 6, 3), (1, 7, 9, 2)])  # odd sizes drop the edge
def test_max_pool_values_and_gradient_equal_flax(shape):
    import flax.linen as nn

    x = jnp.asarray(np.random.default_rng(4).normal(size=shape), jnp.float32)  # no ties
    expected = nn.max_pool(x, (2, 2), strides=(2, 2))
    np.testing.assert_array_equal(models_impl.max_pool(x, (2, 2)), expected)
    weights = jnp.arange(expected.size, dtype=jnp.float32).reshape(expected.shape)
    np.testing.assert_array_equal(
        jax.grad(lambda x: jnp.sum(models_impl.max_pool(x, (2, 2)) * weights))(x),
        jax.grad(lambda x: jnp.sum(nn.max_pool(x, (2, 2), strides=(2, 2)) * weights))(x))


def test_cnn_matmul_and_xla_convolutions_share_parameters_and_outputs():
    x = jnp.asarray(np.random.default_rng(1).normal(size=(2, 28, 28, 1)), jnp.float32)
    params = models.CNN(conv="matmul").init(jax.random.PRNGKey(0), x)
    np.testing.assert_allclose(models.CNN(conv="matmul").apply(params, x),
                               models.CNN(conv="xla").apply(params, x), atol=1e-5)
    with pytest.raises(ValueError, match="conv='fft'"):
        models.CNN(conv="fft")
