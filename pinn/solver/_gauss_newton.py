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

At the floor of the precision every try is rejected, λ climbs to its ceiling, and the state
(largest λ, no momentum) comes back from each step unchanged: every later step on the same
data would repeat the same rejected tries, several times the work of a step that moves. The
iteration therefore stops at that fixed point: the steps after it return zero at the cost of
one evaluation of the residual, which tells whether the data changed (new collocation points,
a continued run on other data). When they did, it starts again from the initial λ. For the
direct solvers the stop changes no iterate; it only saves the time.

Three ways to solve the linear systems, each of the form ``(JᵀJ + λD)⁻¹ Jᵀ u``
(`pinn.solver._gn_linear`), chosen by ``solver=``:

- "dense": form J (N x P, one reverse pass per collocation point, batched by `vmap`), then
  JᵀJ (N P² flops) and LU factorisations (2P³/3). Memory N·P + P².
- "kernel" (`pinn.solver._gn_kernel`): the same J, but the N x N matrix ``J D⁻¹ Jᵀ`` is factorised
  (Woodbury), N²P + N³/3 flops: the same steps as "dense" when N < P, for memory N·P + N².
- "cg" (`pinn.solver._gn_krylov`), matrix-free: conjugate gradients with products ``J v`` (jvp) and
  ``Jᵀ u`` (vjp) through the batched residual, preconditioned by a randomized Nyström
  approximation of rank k of JᵀJ (renewed every ``sketch_every`` steps); J is never formed
  (memory O(N + P·k)), and the products split over the devices that hold the points.
- "auto" (default): "dense" when P <= N, "kernel" when N < P, if the factorised matrix is at
  most 6000 on a side and the solver's arrays take at most half the memory; "cg" otherwise
  (`pinn.solver._gn_memory.choose_solver`).

D is Marquardt's diag(JᵀJ) (floored at 1e-6 of its mean) for the direct solvers and
Levenberg's mean(diag JᵀJ)·I for "cg" (estimated from the Nyström sketch), unless
``scaling=`` says otherwise ("identity": D = I, λ absolute). A direct solver whose matrices
would not fit in memory is refused with the size and the solver to use instead.

All are Optax transformations run by jaxnn's one training loop (they receive the batch of
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
from pinn.solver._gn_kernel import kernel_model
from pinn.solver._gn_krylov import Nystrom, empty_sketch, matrix_free_model
from pinn.solver._gn_linear import SCALINGS, LinearModel, scaling_diagonal
from pinn.solver._gn_memory import check_memory, choose_solver

ResidualFn = Callable[[Any, Any], jax.Array]
JacobianFn = Callable[[Any, Any], tuple[jax.Array, jax.Array]]

DENSE_PARAMETER_LIMIT = 6000
# N·P² (Jacobian rows by columns squared) from which a CPU Gramian is formed by NumPy (see
# `_gramian`), faster there than XLA's product on CPU
HOST_GRAMIAN_SIZE = 5e8
_MIN_DAMPING, _MAX_DAMPING = 1e-12, 1e10
# the relative change of the loss, in units of eps, below which the data count as unchanged
_SAME_LOSS_ULPS = 1000
_GEODESIC_RATIO = 0.75  # accept the acceleration when 2|a| <= this * |δ| (Transtrum & Sethna)


class GaussNewtonState(NamedTuple):
    """Optimizer state: the damping λ (relative to the scaling D), the last step (for the
    momentum), the number of rejected tries in the last step (a diagnostic), and the loss
    at which the iteration stopped at a fixed point (+inf while it runs; see
    `gauss_newton`)."""

    damping: jax.Array
    last_step: jax.Array
    rejected: jax.Array
    stopped_at: jax.Array


class MatrixFreeState(NamedTuple):
    """The state of ``solver="cg"``: `GaussNewtonState`'s fields, the Nyström approximation
    its preconditioner was last built from (`pinn.solver._gn_krylov.Nystrom`), and the steps taken
    (the sketch is renewed every ``sketch_every`` steps)."""

    damping: jax.Array
    last_step: jax.Array
    rejected: jax.Array
    stopped_at: jax.Array
    sketch: Nystrom
    steps: jax.Array


def check_dense_size(num_params: int, limit: int = DENSE_PARAMETER_LIMIT,
                     num_residuals: int | None = None, itemsize: int = 8) -> None:
    """Refuse a network too large for the dense solver, pointing to the kernel and matrix-free
    ones: more than `limit` parameters (a P x P factorisation per step, P³/3 flops), or
    matrices that do not fit in memory (`pinn.solver._gn_memory.check_memory`; with `num_residuals`
    N unknown, the Gramian alone is counted)."""
    if num_params > limit:
        raise ValueError(
            f"GaussNewton(solver='dense'): the network has {num_params} parameters, more than "
            f"the dense Gauss-Newton limit of {limit} (it forms a {num_params} x {num_params} "
            "matrix per step). Use the matrix-free solver, pinn.GaussNewton(steps, solver='cg') "
            "(optimizer='gauss_newton_cg' in the older form), solver='kernel' when there are "
            "fewer residuals than parameters, or a smaller network."
        )
    check_memory("dense", num_residuals, num_params, itemsize)


SOLVERS = ("auto", "dense", "kernel", "cg")
_OPTION_HINTS = {  # what each option of gauss_newton must be, for the errors
    "damping": "a positive finite number, the initial λ relative to D (e.g. 1e-3)",
    "momentum": "a number in [0, 1) (0 switches the momentum off; default 0.9)",
    "geodesic": "True or False",
    "line_search": "an integer >= 1, the step lengths tried per step (default 8)",
    "max_tries": "an integer >= 1, the damped solves tried per step (default 8)",
    "rank": "an integer >= 1, the rank of the Nyström preconditioner of solver='cg' "
            "(default 100; at most the parameter count is used)",
    "cg_iterations": "an integer >= 1, the conjugate-gradient iterations per solve of "
                     "solver='cg' (default 200)",
    "cg_tolerance": "a finite number >= 0, the relative residual at which conjugate gradients "
                    "stop (default 1e-10; 0 runs all cg_iterations)",
    "sketch_every": "an integer >= 1, the steps between two Nyström sketches of solver='cg' "
                    "(default 5; 1 sketches every step)",
}


def _option_ok(name: str, value: Any) -> bool:
    if name == "geodesic":
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    if name in ("line_search", "max_tries", "rank", "cg_iterations", "sketch_every"):
        return isinstance(value, (int, np.integer)) and value >= 1
    if not np.isfinite(value):
        return False
    return {"damping": value > 0, "momentum": 0 <= value < 1,
            "cg_tolerance": value >= 0}[name]


def check_options(where: str, options: dict[str, Any]) -> None:
    """Refuse an option of `gauss_newton` (or of the `pinn.GaussNewton` stage) that is out of
    range or unknown, naming `where` and the argument, before anything is traced.

    Args:
        where: the function to name in the error ("gauss_newton", "GaussNewton").
        options: keyword arguments of `gauss_newton` (any subset, ``solver`` included).

    Raises:
        ValueError: an option out of range (a non-positive rank or iteration count, a negative
            tolerance, ...) or a scaling the solver cannot use; TypeError: an unknown option.
    """
    unknown = sorted(set(options) - {"solver", "scaling", *_OPTION_HINTS})
    if unknown:
        raise TypeError(f"{where}(): unknown option(s) {unknown}; the options are solver, "
                        f"scaling, {', '.join(_OPTION_HINTS)}.")
    solver = options.get("solver", "auto")
    if solver not in SOLVERS:
        raise ValueError(f"{where}(solver={solver!r}): expected 'auto' (by size and memory), "
                         "'dense' (the Jacobian and JᵀJ formed, up to a few thousand "
                         "parameters), 'kernel' (the Jacobian and J Jᵀ formed, fewer residuals "
                         "than parameters) or 'cg' (matrix-free).")
    scaling = options.get("scaling")
    if scaling is not None and scaling not in SCALINGS:
        raise ValueError(f"{where}(scaling={scaling!r}): expected one of {list(SCALINGS)}, or "
                         "None (Marquardt for the direct solvers, Levenberg for 'cg').")
    if scaling == "marquardt" and solver in ("cg", "auto"):
        raise ValueError(f"{where}(solver={solver!r}, scaling='marquardt'): Marquardt's "
                         "scaling diag(JᵀJ) needs the Jacobian, which solver='cg' never forms "
                         "(and 'auto' may choose it). Leave scaling unset, or pass "
                         "scaling='levenberg' or 'identity', or solver='dense' or 'kernel'.")
    for name, hint in _OPTION_HINTS.items():
        if name in options and not _option_ok(name, options[name]):
            raise ValueError(f"{where}({name}={options[name]!r}): expected {hint}.")


def gauss_newton(
    residual_fn: ResidualFn,
    jacobian_fn: JacobianFn | None = None,
    *,
    solver: str = "auto",
    damping: float = 1e-3,
    scaling: str | None = None,
    momentum: float = 0.9,
    geodesic: bool = True,
    line_search: int = 8,
    max_tries: int = 8,
    rank: int = 100,
    cg_iterations: int = 200,
    cg_tolerance: float = 1e-10,
    sketch_every: int = 5,
) -> BatchAwareTransformation:
    """A Gauss-Newton optimizer for ``loss(θ) = |residual_fn(θ, batch)|²`` (see the module).

    Args:
        residual_fn: ``(params, batch) -> r (N,)``, the stacked weighted residual vector whose
            squared norm is the loss the training loop reports.
        jacobian_fn: ``(params, batch) -> (r (N,), J (N, P))`` with J the Jacobian with respect
            to the flattened parameters (``jax.flatten_util.ravel_pytree`` order), for the
            dense and kernel solvers; None forms J by forward mode over all P parameters
            (correct, slower). `pinn.solve` passes a per-point reverse-mode Jacobian.
        solver: "auto" (by N, P and memory, see the module), "dense" (LU of the damped JᵀJ),
            "kernel" (LU of the damped J D⁻¹ Jᵀ) or "cg" (matrix-free, preconditioned
            conjugate gradients). "auto" decides when the step is traced (N is known then).
        damping: the initial λ, relative to the scaling D.
        scaling: D: "marquardt" (diag(JᵀJ), floored; dense and kernel only), "levenberg"
            (mean(diag)·I), "identity" (I), or None: "marquardt" for the direct solvers and
            "levenberg" for "cg".
        momentum: μ in [0, 1): the weight of the previous step in the next (0 switches it off).
        geodesic: add the geodesic acceleration to each step.
        line_search: the number of step lengths 1, 1/2, ... tried per step (1: full steps only).
        max_tries: damped solves tried per step before the step is skipped (λ grows 10x each).
        rank: the rank k of the Nyström preconditioner of "cg" (k products per step).
        cg_iterations, cg_tolerance: conjugate-gradient limits of "cg" per solve (relative
            residual).
        sketch_every: "cg" renews its preconditioner's sketch every this many steps (k
            products each time) and reuses it in between: the solves converge to the same
            steps, in a few more iterations.

    Returns:
        An Optax transformation; `jaxnn.train_loop` hands it the batch.

    Raises:
        ValueError: an option out of range (`check_options`); when the step is traced, a
            "dense" or "kernel" solver whose matrices would not fit in memory.
    """
    check_options("gauss_newton", {
        "solver": solver, "scaling": scaling, "damping": damping, "momentum": momentum,
        "geodesic": geodesic, "line_search": line_search, "max_tries": max_tries,
        "rank": rank, "cg_iterations": cg_iterations, "cg_tolerance": cg_tolerance,
        "sketch_every": sketch_every})

    def init_fn(params):
        # built on the host (no small programs to compile), as ravel_pytree would lay it out
        leaves = jax.tree_util.tree_leaves(params)
        dtype = jnp.result_type(*leaves)
        size = sum(np.size(leaf) for leaf in leaves)
        state = GaussNewtonState(jnp.asarray(np.asarray(damping, dtype)),
                                 jnp.asarray(np.zeros(size, dtype)), jnp.asarray(np.int32(0)),
                                 jnp.asarray(np.asarray(np.inf, dtype)))
        if solver != "cg":  # "auto" may choose "cg" too: it then sketches every step
            return state
        return MatrixFreeState(*state, empty_sketch(size, rank, dtype), jnp.int32(0))

    def update_fn(updates, state, params=None, *, batch=None, **unused):
        del updates, unused
        if params is None or batch is None:
            raise ValueError("gauss_newton needs params and batch: run it through "
                             "jaxnn.train_loop or pinn.solve.")
        flat, unravel = ravel_pytree(params)

        def residual_at(theta):
            return residual_fn(unravel(theta), batch)

        def advance(state):
            sketch = (state.sketch, state.steps % sketch_every == 0) \
                if isinstance(state, MatrixFreeState) else (None, True)
            model, sketch = _linear_model(solver, scaling, residual_fn, jacobian_fn, params,
                                          batch, residual_at, flat,
                                          (rank, cg_iterations, cg_tolerance), sketch)
            step, new_state = _damped_step(model, residual_at, flat, state, momentum,
                                           geodesic, line_search, max_tries)
            # rejected from the largest λ with no momentum: the step left its own inputs
            # unchanged, and every later one on these data would repeat it
            fixed = ((new_state.rejected == max_tries) & (state.damping >= _MAX_DAMPING)
                     & ~jnp.any(state.last_step != 0))
            new_state = new_state._replace(stopped_at=jax.lax.cond(
                fixed, lambda: _finite_loss(residual_at(flat)), lambda: state.stopped_at))
            if isinstance(state, MatrixFreeState):
                new_state = MatrixFreeState(*new_state, sketch, state.steps + 1)
            return step, new_state

        # Stopped at a fixed point: the same data (the same loss, to rounding: the two
        # evaluations are compiled apart) would repeat the stopping step, so skip it; new data
        # start it again from the initial λ. `advance` is traced once (it is most of the
        # program).
        stopped = jnp.isfinite(state.stopped_at)
        loss = jax.lax.cond(stopped, lambda: _finite_loss(residual_at(flat)),
                            lambda: jnp.zeros_like(state.stopped_at))
        allowance = _SAME_LOSS_ULPS * jnp.finfo(loss.dtype).eps * state.stopped_at
        same = stopped & (jnp.abs(loss - state.stopped_at) <= allowance)
        restart = stopped & ~same
        state = state._replace(
            damping=jnp.where(restart, jnp.asarray(damping, state.damping.dtype), state.damping),
            stopped_at=jnp.where(same, state.stopped_at, jnp.inf))
        step, new_state = jax.lax.cond(same, lambda state: (jnp.zeros_like(flat), state),
                                       advance, state)
        return unravel(step), new_state

    return BatchAwareTransformation(init_fn, update_fn)


def _damped_step(model: LinearModel, residual_at, flat, state, momentum, geodesic,
                 line_search, max_tries):
    """Try damped steps with growing λ until the loss decreases; return (step, new state)."""
    r = model.residual
    loss = r @ r
    prior = momentum * state.last_step
    rhs = r + model.jvp(prior)  # the velocity's right-hand side is Jᵀ rhs
    lengths = 0.5 ** jnp.arange(line_search, dtype=flat.dtype)

    def loss_at(theta):
        return _finite_loss(residual_at(theta))

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
            acceleration = -model.solve(factor, damping, second_derivative(velocity))
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
    return step, GaussNewtonState(damping, step, tries - ok.astype(tries.dtype),
                                  state.stopped_at)


def _finite_loss(residual: jax.Array) -> jax.Array:
    """|r|², +inf where it is not finite."""
    value = residual @ residual
    return jnp.where(jnp.isfinite(value), value, jnp.inf)


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


def _linear_model(solver, scaling, residual_fn, jacobian_fn, params, batch, residual_at,
                  flat, cg_options, sketch) -> tuple[LinearModel, Nystrom | None]:
    """The `LinearModel` of `solver` at `params` ("auto" chosen here, where N is known), and
    the Nyström approximation of "cg" (`sketch`: the previous one and whether to renew it);
    a direct solver's memory is checked before its matrices are traced."""
    num_residuals = jax.eval_shape(residual_at, flat).shape[0]
    itemsize = flat.dtype.itemsize
    if solver == "auto":
        solver = choose_solver(num_residuals, flat.size, itemsize)
    if scaling is None:
        scaling = "levenberg" if solver == "cg" else "marquardt"
    if solver == "cg":
        return matrix_free_model(residual_at, flat, scaling, *cg_options, *sketch)
    check_memory(solver, num_residuals, flat.size, itemsize)
    if jacobian_fn is None:
        r, jac = residual_fn(params, batch), jax.jacfwd(residual_at)(flat)
    else:
        r, jac = jacobian_fn(params, batch)
    if solver == "kernel":
        return kernel_model(r, jac, scaling, _gramian), None
    return _dense_model(r, jac, scaling), None


def _dense_model(r, jac, scaling):
    gramian = _gramian(jac)
    scale = scaling_diagonal(jnp.diagonal(gramian), scaling)

    def factor(damping):
        # LU rather than Cholesky: XLA's CPU Cholesky is several times slower than its LU
        # (LAPACK getrf) at these sizes; the damped system is symmetric positive definite
        # either way, and a failed factorisation shows as a non-finite step.
        return jax.scipy.linalg.lu_factor(gramian + jnp.diag(damping * scale))

    def solve(lu, damping, u):
        return jax.scipy.linalg.lu_solve(lu, jac.T @ u)

    return LinearModel(r, factor, solve, lambda v: jac @ v, lambda u: jac.T @ u)


def damping_of(opt_state: Any) -> jax.Array | None:
    """The current λ of a Gauss-Newton state (None for other optimizers)."""
    return opt_state.damping if isinstance(opt_state, (GaussNewtonState, MatrixFreeState)) \
        else None


__all__ = ["DENSE_PARAMETER_LIMIT", "SOLVERS", "GaussNewtonState", "MatrixFreeState",
           "check_dense_size",
           "check_options", "damping_of", "gauss_newton"]
