"""Differential operators of a field at ONE point, in forward mode.

A PDE residual differentiates a network with respect to a handful of coordinates. Forward mode
(Jacobian-vector products) costs one extra pass per coordinate and never builds the reverse
graph, so the Laplacian here is a sum of second directional derivatives, each a jvp of a jvp
along one axis (XLA shares the primal pass between the axes). It is not
the trace of a reverse-over-reverse (or forward-over-reverse) Hessian: that computes the d²
entries of which only d are needed, and `benchmarks/laplacian_speed.py` measures the gap.

Every operator takes a field and returns a function of one point ``x: (dim,)``; map it over
points with `jax.vmap`::

    u = lambda x: jnp.sin(x[0]) * jnp.exp(x[1])          # a scalar field
    jax.vmap(laplacian(u))(points)                        # (n,)
    jax.vmap(normal_derivative(u))(points, normals)       # (n,)
    partial(u, 0, 2)(x)                                   # ∂²u/∂x₀²

Scalar fields return a scalar (shape ``()``); a field that returns shape ``(1,)`` is accepted
and treated as a scalar.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

Field = Callable[[jax.Array], jax.Array]


def _scalar(u: Field) -> Field:
    """`u` with its value reshaped to a scalar (a network may return shape (1,))."""

    def scalar_u(x: jax.Array) -> jax.Array:
        return jnp.reshape(u(x), ())

    return scalar_u


def _axis(dim: int, axis: int, dtype) -> jax.Array:
    return jnp.zeros((dim,), dtype).at[axis].set(1)


def directional_derivative(u: Field) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """``(x, v) -> ∇u(x)·v``, one forward pass."""
    u = _scalar(u)

    def derivative(x: jax.Array, v: jax.Array) -> jax.Array:
        return jax.jvp(u, (x,), (v.astype(x.dtype),))[1]

    return derivative


def normal_derivative(u: Field) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """``(x, n) -> ∂u/∂n = ∇u(x)·n`` with `n` the (outward unit) normal at the boundary point."""
    return directional_derivative(u)


def partial(u: Field, axis: int, order: int = 1) -> Field:
    """``x -> ∂ⁿu/∂x_axisⁿ`` (n = `order`) by `order` nested jvps along the axis.

    Example: ``partial(u, 0, 2)`` is u_xx, ``partial(u, 1)`` is u_y.
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ValueError(f"partial(order={order!r}): expected an integer >= 0.")
    if isinstance(axis, bool) or not isinstance(axis, int) or axis < 0:
        raise ValueError(f"partial(axis={axis!r}): expected a coordinate index >= 0.")
    derivative = _scalar(u)
    for _ in range(order):
        derivative = _along(derivative, axis)
    return derivative


def _along(f: Field, axis: int) -> Field:
    def df(x: jax.Array) -> jax.Array:
        if axis >= x.shape[0]:
            raise ValueError(
                f"partial(axis={axis}): the point has only {x.shape[0]} coordinates "
                f"(axes 0..{x.shape[0] - 1})."
            )
        return jax.jvp(f, (x,), (_axis(x.shape[0], axis, x.dtype),))[1]

    return df


def grad(u: Field) -> Field:
    """``x -> ∇u(x)``, shape ``(dim,)``, by forward mode (one jvp per coordinate)."""
    return jax.jacfwd(_scalar(u))


def hessian(u: Field) -> Field:
    """``x -> ∇∇u(x)``, shape ``(dim, dim)``, forward over forward.

    Only for when the full matrix is needed (mixed derivatives); for its trace use `laplacian`.
    """
    return jax.jacfwd(jax.jacfwd(_scalar(u)))


def _second_directional(u: Field) -> Callable[[jax.Array, jax.Array], tuple]:
    """``(x, v) -> (u(x), ∂_v u(x), ∂²_v u(x))`` by a jvp of a jvp."""

    def first(x, v):
        return jax.jvp(u, (x,), (v,))

    def second(x, v):
        (value, slope), (_, curvature) = jax.jvp(lambda y: first(y, v), (x,), (v,))
        return value, slope, curvature

    return second


def _along_each_axis(u: Field, x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(u(x), ∇u(x), (∂²u/∂xᵢ²)ᵢ)`` from a jvp of a jvp along each axis.

    A Python loop over the (few, static) axes rather than a `vmap` over basis vectors: XLA
    shares the primal pass either way, and the reverse pass through the unrolled form (what
    training differentiates) is about 2x faster on CPU (benchmarks/laplacian_speed.py).
    """
    second = _second_directional(u)
    values, slopes, curvatures = [], [], []
    for axis in range(x.shape[0]):
        value, slope, curvature = second(x, _axis(x.shape[0], axis, x.dtype))
        values.append(value)
        slopes.append(slope)
        curvatures.append(curvature)
    return values[0], jnp.stack(slopes), jnp.stack(curvatures)


def value_and_laplacian(u: Field) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    """``x -> (u(x), Δu(x))``: the value comes for free from the forward passes."""
    u = _scalar(u)

    def value_and_lap(x: jax.Array) -> tuple[jax.Array, jax.Array]:
        value, _, curvatures = _along_each_axis(u, x)
        return value, jnp.sum(curvatures)

    return value_and_lap


def value_grad_and_laplacian(u: Field) -> Callable[[jax.Array], tuple]:
    """``x -> (u(x), ∇u(x), Δu(x))`` from the same forward passes (for residuals that need all
    three, e.g. advection-diffusion or the radial bounce equation)."""
    u = _scalar(u)

    def all_three(x: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        value, slopes, curvatures = _along_each_axis(u, x)
        return value, slopes, jnp.sum(curvatures)

    return all_three


def laplacian(u: Field) -> Field:
    """``x -> Δu(x) = Σᵢ ∂²u/∂xᵢ²``, forward mode: a jvp of a jvp along each axis."""
    value_and_lap = value_and_laplacian(u)
    return lambda x: value_and_lap(x)[1]


def divergence(v: Callable[[jax.Array], jax.Array]) -> Field:
    """``x -> ∇·v(x) = Σᵢ ∂vᵢ/∂xᵢ`` of a vector field ``v: (dim,) -> (dim,)``, forward mode."""

    def div(x: jax.Array) -> jax.Array:
        basis = jnp.eye(x.shape[0], dtype=x.dtype)
        columns = jax.vmap(lambda e: jax.jvp(v, (x,), (e,))[1])(basis)  # row i: ∂v/∂xᵢ
        if columns.shape != (x.shape[0], x.shape[0]):
            raise ValueError(
                f"divergence(v): v must map a point of shape {x.shape} to a vector of the same "
                f"shape, got shape {columns.shape[1:]}."
            )
        return jnp.trace(columns)

    return div


__all__ = [
    "directional_derivative",
    "divergence",
    "grad",
    "hessian",
    "laplacian",
    "normal_derivative",
    "partial",
    "value_and_laplacian",
    "value_grad_and_laplacian",
]
