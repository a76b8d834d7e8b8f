import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxnn import losses


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_mse_matches_numpy():
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    expected = np.mean((pred - target) ** 2)
    np.testing.assert_allclose(losses.mse(jnp.asarray(pred), jnp.asarray(target)), expected, 1e-6)


def test_binary_cross_entropy_matches_numpy_formula():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(size=(50, 1)) * 3, rng.integers(0, 2, 50)
    p = _sigmoid(logits[:, 0])
    expected = np.mean(-labels * np.log(p) - (1 - labels) * np.log(1 - p))
    got = losses.binary_cross_entropy(jnp.asarray(logits), jnp.asarray(labels))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_binary_cross_entropy_is_stable_for_huge_logits():
    logits = jnp.array([[1000.0], [-1000.0], [1000.0]])
    labels = jnp.array([1, 0, 0])
    # Only the third sample is wrong, by a margin of 1000: loss = 1000 / 3 exactly.
    np.testing.assert_allclose(losses.binary_cross_entropy(logits, labels), 1000.0 / 3, rtol=1e-6)


def test_softmax_cross_entropy_integer_and_one_hot_labels_match_numpy():
    rng = np.random.default_rng(2)
    logits, labels = rng.normal(size=(40, 5)) * 4, rng.integers(0, 5, 40)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = -np.mean(log_softmax[np.arange(40), labels])
    got_int = losses.softmax_cross_entropy(jnp.asarray(logits), jnp.asarray(labels))
    got_hot = losses.softmax_cross_entropy(jnp.asarray(logits), jnp.eye(5)[labels])
    np.testing.assert_allclose(got_int, expected, rtol=1e-5)
    np.testing.assert_allclose(got_hot, expected, rtol=1e-5)


def test_weights_give_weighted_mean():
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(6, 3)), rng.integers(0, 3, 6)
    weight = np.array([1.0, 0.0, 2.0, 0.0, 1.0, 0.5])
    per_sample = np.array([
        float(losses.softmax_cross_entropy(jnp.asarray(logits[i : i + 1]),
                                           jnp.asarray(labels[i : i + 1])))
        for i in range(6)
    ])
    expected = np.sum(per_sample * weight) / weight.sum()
    got = losses.softmax_cross_entropy(jnp.asarray(logits), jnp.asarray(labels),
                                       jnp.asarray(weight))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_loss_gradient_matches_finite_difference():
    rng = np.random.default_rng(4)
    logits, labels = jnp.asarray(rng.normal(size=(4, 1))), jnp.asarray([1.0, 0.0, 1.0, 0.0])
    grad = jax.grad(losses.binary_cross_entropy)(logits, labels)
    eps = 1e-3
    for i in range(4):
        step = jnp.zeros_like(logits).at[i, 0].set(eps)
        fd = (losses.binary_cross_entropy(logits + step, labels)
              - losses.binary_cross_entropy(logits - step, labels)) / (2 * eps)
        np.testing.assert_allclose(grad[i, 0], fd, rtol=1e-2, atol=1e-4)


def test_unknown_loss_name_is_a_clear_error():
    with pytest.raises(ValueError, match="loss='hinge' is not a known loss"):
        losses.get_loss("hinge")
