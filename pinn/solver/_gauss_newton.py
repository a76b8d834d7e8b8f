"""Gauss-Newton (Levenberg-Marquardt) training for residual least-squares losses.

A PINN loss is a sum of squares, ``L(θ) = |r(θ)|²`` with ``r`` the stacked, weighted residual
vector at the collocation points (interior and boundary). Gauss-Newton replaces the Hessian of
L by ``2 JᵀJ`` with ``J = ∂r/∂θ`` (N residuals x P parameters); for a linear PDE, JᵀJ is the
Gramian of energy natural gradient descent (Müller & Zeinhofer 2023), whose step is Newton's
step in function space projected onto the network's tangent space. Each step here:

1. solves the damped normal equations ``(JᵀJ + λD) v = -Jᵀ(r + J m)`` for the velocity
   ``δ = m + v`` (Levenberg-Marquardt; D is Marquardt's diag(JᵀJ), floored at 1e-6 of its
   mean, or Levenberg's mean·I), where ``m = μ δ_prev`` is a momentum term (μ = 0.9): the
   step minimises ``|r + Jδ|² + λ|δ - m|²_D``, as in SPRING (Goldshlager et al. 2024);
2. adds geodesic acceleration (Transtrum & Sethna 2012): ``a = -(JᵀJ + λD)⁻¹ Jᵀ r_δδ`` with
   ``r_δδ`` the second directional derivative of the residual along δ (one forward-over-forward
   pass), kept when ``2|a| <= 0.75 |δ|``; the step ``δ + a/2`` follows the curved valley of a
   sloppy network instead of leaving it;
3. evaluates the loss at ``θ + η(δ + a/2)`` for η = 1, 1/2, ..., 2⁻⁷ at once (`vmap`) and
   takes the best; λ falls by 3x when the full step was best, stays for η = 1/2, doubles for
   shorter steps.

A step that does not decrease the loss, or is not finite, is rejected and retried with λ raised
tenfold, inside the same compiled step (one factorisation per try; the Jacobian is
computed once). An ill-conditioned or singular system is damped until its solution is finite:
never a LinAlgError, never a NaN step. The ingredients are standard; together they take
float64 PINNs well past where plain Levenberg-Marquardt stalls (in the sloppy directions of a
tanh network) in a hundred or two steps (`benchmarks/pinn_accuracy.py`, mode "accurate",
measures the errors).

Two ways to solve the linear systems:

- dense (default): form J (N x P, one reverse pass per collocation point, batched by `vmap`),
  then JᵀJ (N P² flops) and LU factorisations (2P³/3): up to a few thousand parameters.
- ``solver="cg"``, matrix-free: conjugate gradients with products ``J v`` (jvp) and ``Jᵀ u``
  (vjp) through the batched residual, never forming J (memory O(N + P)): for larger networks.
  D is then mean(diag(JᵀJ))·I, estimated with random probes.

Both are Optax transformations run by jaxnn's one training loop (they receive the batch of
collocation points through `jaxnn.training.BatchAwareTransformation`). Use them in float64
(``pinn.solve(..., dtype="float64")``); in float32 the normal equations lose half the digits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jaxnn.training import BatchAwareTransformation

ResidualFn = Callable[[Any, Any], jax.Array]
JacobianFn = Callable[[Any, Any], tuple[jax.Array, jax.Array]]

DENSE_PARAMETER_LIMIT = 6000
# N·P² (Jacobian rows by columns squared) from which a CPU Gramian is formed by NumPy (see
# `_gramian`), faster there than XLA's product on CPU
HOST_GRAMIAN_SIZE = 5e8
_MIN_DAMPING, _MAX_DAMPING = 1e-12, 1e10
_GEODESIC_RATIO = 0.75  # accept the acceleration when 2|a| <= this * |δ| (Transtrum & Sethna)


class GaussNewtonState(NamedTuple):
    """Optimizer state: the damping λ (relative to the scaling D), the last step (for the
    momentum), and the number of rejected tries in the last step (a diagnostic)."""

    damping: jax.Array
    last_step: jax.Array
    rejected: jax.Array


def check_dense_size(num_params: int, limit: int = DENSE_PARAMETER_LIMIT) -> None:
    """Refuse a network too large for the dense solver, pointing to the matrix-free one."""
    if num_params > limit:
        raise ValueError(
            f"GaussNewton(solver='dense'): the network has {num_params} parameters, more than "
            f"the dense Gauss-Newton limit of {limit} (it forms a {num_params} x {num_params} "
            "matrix per step). Use the matrix-free solver, pinn.GaussNewton(steps, solver='cg') "
            "(optimizer='gauss_newton_cg' in the older form), or a smaller network."
        )


class _LinearModel(NamedTuple):
    """What one step needs from the residual at the current parameters.

    ``factor(λ)`` prepares ``(JᵀJ + λD)`` for solves (an LU factorisation for the dense solver,
    nothing for conjugate gradients) and ``solve(factor(λ), λ, b)`` returns
    ``(JᵀJ + λD)⁻¹ b``; ``jvp(v) = J v``; ``vjp(u) = Jᵀ u``.
    """

    residual: jax.Array
    factor: Callable[[jax.Array], Any]
    solve: Callable[[Any, jax.Array, jax.Array], jax.Array]
    jvp: Callable[[jax.Array], jax.Array]
    vjp: Callable[[jax.Array], jax.Array]


def gauss_newton(
    residual_fn: ResidualFn,
    jacobian_fn: JacobianFn | None = None,
    *,
    solver: str = "dense",
    damping: float = 1e-3,
    scaling: str = "marquardt",
    momentum: float = 0.9,
    geodesic: bool = True,
    line_search: int = 8,
    max_tries: int = 8,
    cg_iterations: int = 200,
    cg_tolerance: float = 1e-10,
) -> BatchAwareTransformation:
    """A Gauss-Newton optimizer for ``loss(θ) = |residual_fn(θ, batch)|²`` (see the module).

    Args:
        residual_fn: ``(params, batch) -> r (N,)``, the stacked weighted residual vector whose
            squared norm is the loss the training loop reports.
        jacobian_fn: ``(params, batch) -> (r (N,), J (N, P))`` with J the Jacobian with respect
            to the flattened parameters (``jax.flatten_util.ravel_pytree`` order), for the
            dense solver; None forms J by forward mode over all P parameters (correct, slower).
            `pinn.solve` passes a per-point reverse-mode Jacobian.
        solver: "dense" (LU of the damped JᵀJ) or "cg" (matrix-free conjugate gradients).
        damping: the initial λ, relative to the scaling D.
        scaling: "marquardt" (D = diag(JᵀJ), floored) or "levenberg" (D = mean(diag)·I); "cg"
            always uses "levenberg".
        momentum: μ in [0, 1): the weight of the previous step in the next (0 switches it off).
        geodesic: add the geodesic acceleration to each step.
        line_search: the number of step lengths 1, 1/2, ... tried per step (1: full steps only).
        max_tries: damped solves tried per step before the step is skipped (λ grows 10x each).
        cg_iterations, cg_tolerance: conjugate-gradient limits for ``solver="cg"``.

    Returns:
        An Optax transformation; `jaxnn.train_loop` hands it the batch.
    """
    if solver not in ("dense", "cg"):
        raise ValueError(f"gauss_newton(solver={solver!r}): expected 'dense' or 'cg'.")
    if scaling not in ("marquardt", "levenberg"):
        raise ValueError(f"gauss_newton(scaling={scaling!r}): expected 'marquardt' or "
                         "'levenberg'.")
    if not (isinstance(damping, (int, float)) and damping > 0):
        raise ValueError(f"gauss_newton(damping={damping!r}): expected a positive number.")
    if not (isinstance(momentum, (int, float)) and 0 <= momentum < 1):
        raise ValueError(f"gauss_newton(momentum={momentum!r}): expected a number in [0, 1).")
    for name, value in (("line_search", line_search), ("max_tries", max_tries)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"gauss_newton({name}={value!r}): expected an integer >= 1.")

    def init_fn(params):
        # built on the host (no small programs to compile), as ravel_pytree would lay it out
        leaves = jax.tree_util.tree_leaves(params)
        dtype = jnp.result_type(*leaves)
        size = sum(np.size(leaf) for leaf in leaves)
        return GaussNewtonState(jnp.asarray(np.asarray(damping, dtype)),
                                jnp.asarray(np.zeros(size, dtype)), jnp.asarray(np.int32(0)))

    def update_fn(updates, state, params=None, *, batch=None, **unused):
        del updates, unused
        if params is None or batch is None:
            raise ValueError("gauss_newton needs params and batch: run it through "
                             "jaxnn.train_loop or pinn.solve.")
        flat, unravel = ravel_pytree(params)

        def residual_at(theta):
            return residual_fn(unravel(theta), batch)

        if solver == "dense":
            model = _dense_model(residual_fn, jacobian_fn, params, batch, residual_at, flat,
                                 scaling)
        else:
            model = _matrix_free_model(residual_at, flat, cg_iterations, cg_tolerance)
        step, new_state = _damped_step(model, residual_at, flat, state, momentum, geodesic,
                                       line_search, max_tries)
        return unravel(step), new_state

    return BatchAwareTransformation(init_fn, update_fn)


def _damped_step(model: _LinearModel, residual_at, flat, state, momentum, geodesic,
                 line_search, max_tries):
    """Try damped steps with growing λ until the loss decreases; return (step, new state)."""
    r = model.residual
    loss = r @ r
    prior = momentum * state.last_step
    rhs = model.vjp(r + model.jvp(prior))
    lengths = 0.5 ** jnp.arange(line_search, dtype=flat.dtype)

    def loss_at(theta):
        residual = residual_at(theta)
        value = residual @ residual
        return jnp.where(jnp.isfinite(value), value, jnp.inf)

    def second_derivative(direction):
        """d²/dt² r(θ + t·direction) at t = 0, forward over forward."""
        def first(theta):
            return jax.jvp(residual_at, (theta,), (direction,))[1]

        return jax.jvp(first, (flat,), (direction,))[1]

    def attempt(carry):
        tries, damping, _, _ = carry
        factor = model.factor(damping)
        velocity = prior - model.solve(factor, damping, rhs)
        if geodesic:
            acceleration = -model.solve(factor, damping, model.vjp(second_derivative(velocity)))
            small = 2 * jnp.linalg.norm(acceleration) <= _GEODESIC_RATIO * jnp.linalg.norm(
                velocity)
            velocity = jnp.where(small, velocity + 0.5 * acceleration, velocity)
        velocity = jnp.where(jnp.all(jnp.isfinite(velocity)), velocity, 0.0)
        losses = jax.vmap(lambda eta: loss_at(flat + eta * velocity))(lengths)
        best = jnp.argmin(losses)
        ok = losses[best] < loss
        # Full step best: the linear model is good, trust it more; short steps: less.
        accepted = jnp.where(best == 0, damping / 3, jnp.where(best >= 2, damping * 2, damping))
        damping = jnp.clip(jnp.where(ok, accepted, damping * 10), _MIN_DAMPING, _MAX_DAMPING)
        step = jnp.where(ok, lengths[best] * velocity, 0.0)
        return tries + 1, damping, ok, step

    def searching(carry):
        tries, _, ok, _ = carry
        return (~ok) & (tries < max_tries)

    start = (jnp.int32(0), state.damping, jnp.array(False), jnp.zeros_like(flat))
    tries, damping, ok, step = jax.lax.while_loop(searching, attempt, start)
    return step, GaussNewtonState(damping, step, tries - ok.astype(tries.dtype))


def _gramian(jac: jax.Array) -> jax.Array:
    """JᵀJ for ``jac: (..., N, P)``.

    The Gramian is most of a dense Gauss-Newton step, and XLA's CPU matrix product runs at
    about half the speed of the OpenBLAS kernels NumPy ships (JᵀJ of a 2100 x 921 Jacobian:
    116 ms against 48 ms on one core). On CPU, where the host is the device, a Gramian of at
    least `HOST_GRAMIAN_SIZE` is therefore formed by NumPy through `jax.pure_callback`.
    Smaller ones, and every other backend, stay in XLA: JAX's persistent compilation cache
    does not keep programs with host callbacks, and for a smaller Gramian the few
    milliseconds a step would gain are less than the seconds of compilation the cache saves
    a later run.
    """
    n, p = jac.shape[-2:]

    def in_xla(jac):
        return jnp.swapaxes(jac, -1, -2) @ jac

    if n * p * p < HOST_GRAMIAN_SIZE:
        return in_xla(jac)

    def on_host(jac):
        shape = jax.ShapeDtypeStruct((*jac.shape[:-2], p, p), jac.dtype)
        return jax.pure_callback(_host_gramian, shape, jac, vmap_method="expand_dims")

    return jax.lax.platform_dependent(jac, cpu=on_host, default=in_xla)


def _host_gramian(jac: np.ndarray) -> np.ndarray:
    jac = np.asarray(jac)
    if jac.ndim == 2:
        return jac.T @ jac  # NumPy forms AᵀA with one symmetric rank-k update (BLAS syrk)
    return np.matmul(np.swapaxes(jac, -1, -2), jac)


def _dense_model(residual_fn, jacobian_fn, params, batch, residual_at, flat, scaling):
    if jacobian_fn is None:
        r = residual_fn(params, batch)
        jac = jax.jacfwd(residual_at)(flat)
    else:
        r, jac = jacobian_fn(params, batch)
    gramian = _gramian(jac)
    diagonal = jnp.diagonal(gramian)
    mean = jnp.mean(diagonal) + jnp.finfo(flat.dtype).tiny
    if scaling == "marquardt":
        scale = jnp.maximum(diagonal, 1e-6 * mean)
    else:
        scale = jnp.full_like(diagonal, mean)

    def factor(damping):
        # LU rather than Cholesky: XLA's CPU Cholesky is several times slower than its LU
        # (LAPACK getrf) at these sizes; the damped system is symmetric positive definite
        # either way, and a failed factorisation shows as a non-finite step.
        return jax.scipy.linalg.lu_factor(gramian + jnp.diag(damping * scale))

    def solve(lu, damping, b):
        return jax.scipy.linalg.lu_solve(lu, b)

    return _LinearModel(r, factor, solve, lambda v: jac @ v, lambda u: jac.T @ u)


def _matrix_free_model(residual_at, flat, iterations, tolerance):
    r, jvp = jax.linearize(residual_at, flat)
    transpose = jax.linear_transpose(jvp, flat)

    def vjp(u):
        return transpose(u)[0]

    # mean(diag(JᵀJ)) = E|J z|² / P for Rademacher z (Hutchinson), from 4 fixed probes.
    probes = jax.random.rademacher(jax.random.PRNGKey(0), (4, flat.size), flat.dtype)
    mean = jnp.mean(jax.vmap(lambda z: jnp.sum(jvp(z) ** 2))(probes)) / flat.size
    mean = mean + jnp.finfo(flat.dtype).tiny

    def solve(_, damping, b):
        def normal_matvec(v):
            return vjp(jvp(v)) + damping * mean * v

        return jax.scipy.sparse.linalg.cg(normal_matvec, b, tol=tolerance,
                                          maxiter=iterations)[0]

    return _LinearModel(r, lambda damping: None, solve, jvp, vjp)


def damping_of(opt_state: Any) -> jax.Array | None:
    """The current λ of a Gauss-Newton state (None for other optimizers)."""
    return opt_state.damping if isinstance(opt_state, GaussNewtonState) else None


__all__ = ["DENSE_PARAMETER_LIMIT", "GaussNewtonState", "check_dense_size", "damping_of",
           "gauss_newton"]
