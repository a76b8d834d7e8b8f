"""pinn.operators against analytic derivatives and central finite differences (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from x64 import enable_x64

import jaxnn
from pinn import operators


@pytest.fixture(autouse=True)
def float64():
    with enable_x64(True):
        yield


def field(x):
    # u = sin(x0) exp(2 x1) + x0² x1³ (+ x2 terms in 3-D)
    u = jnp.sin(x[0]) * jnp.exp(2 * x[1]) + x[0] ** 2 * x[1] ** 3
    return u + (jnp.cos(x[2]) * x[0] if x.shape[0] > 2 else 0.0)


def exact_gradient(x):
    g = [jnp.cos(x[0]) * jnp.exp(2 * x[1]) + 2 * x[0] * x[1] ** 3,
         2 * jnp.sin(x[0]) * jnp.exp(2 * x[1]) + 3 * x[0] ** 2 * x[1] ** 2]
    if x.shape[0] > 2:
        g[0] = g[0] + jnp.cos(x[2])
        g.append(-jnp.sin(x[2]) * x[0])
    return jnp.stack(g)


def exact_laplacian(x):
    lap = (-jnp.sin(x[0]) * jnp.exp(2 * x[1]) + 2 * x[1] ** 3
           + 4 * jnp.sin(x[0]) * jnp.exp(2 * x[1]) + 6 * x[0] ** 2 * x[1])
    return lap - (jnp.cos(x[2]) * x[0] if x.shape[0] > 2 else 0.0)


def points(dim, n=16, seed=0):
    return jnp.asarray(np.random.default_rng(seed).uniform(-1, 1, (n, dim)))


@pytest.mark.parametrize("dim", [2, 3])
def test_laplacian_and_value_match_the_analytic_field(dim):
    x = points(dim)
    lap = jax.vmap(operators.laplacian(field))(x)
    np.testing.assert_allclose(lap, jax.vmap(exact_laplacian)(x), rtol=1e-12, atol=1e-12)
    value, lap2 = jax.vmap(operators.value_and_laplacian(field))(x)
    np.testing.assert_allclose(value, jax.vmap(field)(x), rtol=1e-14)
    np.testing.assert_array_equal(lap2, lap)


def jit_map(fn):
    """jit(vmap(fn)): one compiled program (eager vmapped code compiles every operation)."""
    return jax.jit(jax.vmap(fn))


def test_gradient_hessian_and_partials_match_the_analytic_field():
    x = points(3)
    np.testing.assert_allclose(jit_map(operators.grad(field))(x), jit_map(exact_gradient)(x),
                               rtol=1e-12, atol=1e-12)
    hessian = jit_map(operators.hessian(field))(x)
    np.testing.assert_allclose(hessian, jnp.swapaxes(hessian, 1, 2), atol=1e-12)
    np.testing.assert_allclose(jnp.trace(hessian, axis1=1, axis2=2),
                               jit_map(exact_laplacian)(x), rtol=1e-12, atol=1e-12)
    # ∂²u/∂x0∂x1 = 2 cos(x0) e^{2 x1} + 6 x0 x1²
    mixed = 2 * jnp.cos(x[:, 0]) * jnp.exp(2 * x[:, 1]) + 6 * x[:, 0] * x[:, 1] ** 2
    np.testing.assert_allclose(hessian[:, 0, 1], mixed, rtol=1e-12)
    # ∂³u/∂x1³ = 8 sin(x0) e^{2 x1} + 6 x0²
    third = 8 * jnp.sin(x[:, 0]) * jnp.exp(2 * x[:, 1]) + 6 * x[:, 0] ** 2
    np.testing.assert_allclose(jit_map(operators.partial(field, 1, 3))(x), third, rtol=1e-12)
    np.testing.assert_allclose(jit_map(operators.partial(field, 0, 0))(x), jit_map(field)(x))


def test_normal_derivative_is_gradient_dot_normal():
    x = points(2)
    normals = points(2, seed=1)
    normals = normals / jnp.linalg.norm(normals, axis=1, keepdims=True)
    expected = jnp.sum(jax.vmap(exact_gradient)(x) * normals, axis=1)
    np.testing.assert_allclose(jax.vmap(operators.normal_derivative(field))(x, normals), expected,
                               rtol=1e-12, atol=1e-12)


def test_divergence_of_a_vector_field():
    def v(x):  # ∇·v = 2 x0 + cos(x1) - 3 x2²... in 3-D
        return jnp.stack([x[0] ** 2, jnp.sin(x[1]), -(x[2] ** 3)])

    x = points(3)
    expected = 2 * x[:, 0] + jnp.cos(x[:, 1]) - 3 * x[:, 2] ** 2
    np.testing.assert_allclose(jax.vmap(operators.divergence(v))(x), expected, rtol=1e-12)
    # The divergence of a gradient is the Laplacian.
    np.testing.assert_allclose(jax.vmap(operators.divergence(operators.grad(field)))(x),
                               jax.vmap(operators.laplacian(field))(x), rtol=1e-11)


def test_laplacian_of_a_network_matches_central_differences_and_works_under_jit():
    model = jaxnn.MLP([16, 16, 1], activation="tanh")
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 2)))
    params = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64), params)

    def u(x):
        return model.apply(params, x[None, :])[0]  # shape (1,): accepted as a scalar

    x = points(2, n=8)
    h = 1e-4
    u_at = jax.jit(jax.vmap(u))  # one compiled program, not one per eager operation
    finite_difference = sum(
        (u_at(x + h * e) - 2 * u_at(x) + u_at(x - h * e))[:, 0] / h**2 for e in jnp.eye(2)
    )
    lap = jax.jit(jax.vmap(operators.laplacian(u)))(x)
    np.testing.assert_allclose(lap, finite_difference, rtol=1e-5, atol=1e-6)
    value, gradient, lap3 = jax.jit(jax.vmap(operators.value_grad_and_laplacian(u)))(x)
    np.testing.assert_allclose(value, u_at(x)[:, 0], rtol=1e-14)
    np.testing.assert_allclose(lap3, lap, rtol=1e-13)
    np.testing.assert_allclose(gradient, jax.jit(jax.vmap(jax.grad(lambda y: u(y)[0])))(x),
                               rtol=1e-12)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="order=-1"):
        operators.partial(field, 0, -1)
    with pytest.raises(ValueError, match="axis=1.5"):
        operators.partial(field, 1.5)
    with pytest.raises(ValueError, match="only 2 coordinates"):
        operators.partial(field, 2)(jnp.zeros(2))
    with pytest.raises(ValueError, match="vector of the same shape"):
        operators.divergence(lambda x: x[:1])(jnp.zeros(2))
