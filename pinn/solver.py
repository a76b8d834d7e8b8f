"""`solve`: train a network on a PDE's residual loss through jaxnn's one training loop.

The collocation points are the batch. The loss is the squared norm of one stacked residual
vector ``r(θ) = [sqrt(w_i / N_i) r_interior, sqrt(w_b / N_b) r_boundary, ...]``, so the loss
is ``Σ_parts w · mean(residual²)`` and the same vector feeds the Gauss-Newton optimizer.
Training runs in stages (default: Adam, then L-BFGS), each stage a `jaxnn.train_loop` call
whose epochs are ``log_every`` full-batch steps compiled as one `lax.scan`.
"""

from __future__ import annotations

import dataclasses
import numbers
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from jaxnn import parallel
from jaxnn.callbacks import Checkpoint, DataRefresh, Progress
from jaxnn.loop import train_loop
from jaxnn.models import MLP
from pinn import sampling
from pinn.equations import PDE, as_point_function, check_point_function
from pinn.networks import FourierFeatures
from pinn.optimizers import DENSE_PARAMETER_LIMIT, check_dense_size, gauss_newton

OptimizerSpec = str | optax.GradientTransformation
DEFAULT_STEPS = {"adam": 2000, "lbfgs": 2000, "gauss_newton": 300, "gauss_newton_cg": 300}


@dataclasses.dataclass
class Solution:
    """A trained PDE solution: call it on points ``(n, dim)`` to get ``u: (n,)``.

    Attributes:
        problem, model, params: what was solved and the trained network.
        history: per log step: "step", "loss", "interior_loss", "boundary_loss",
            "relative_l2" (when the exact solution is known), "stage", "time".
        seconds: wall time of `solve`, compilation included.
        stop_reason: why training stopped early (non-finite loss), else None.
    """

    problem: PDE
    model: nn.Module
    params: Any
    history: dict[str, list]
    seconds: float
    float64: bool = False
    stop_reason: str | None = None
    field: Callable | None = None

    def __post_init__(self) -> None:
        self._values = pointwise_map(lambda p, x: self.field(p)(x))
        self._residuals = pointwise_map(lambda p, x: self.problem.residual(self.field(p), x))

    def __call__(self, points: Any) -> np.ndarray:
        """u at ``points: (n, dim)``, returned as ``(n,)``."""
        points = self._checked(points)
        with jax.enable_x64(self.float64):
            x = jnp.asarray(points, _dtype(self.float64))
            return np.asarray(self._values(self.params, x))

    def _checked(self, points: Any) -> np.ndarray:
        dim = self.problem.domain.dim
        array = np.asarray(points)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"Solution(points=...): expected real coordinates (n, {dim}), got "
                            f"dtype {array.dtype}.")
        if array.ndim == 1 and dim == 1:
            array = array[:, None]
        if array.ndim != 2 or array.shape[1] != dim:
            raise ValueError(f"Solution(points=...): expected points of shape (n, {dim}) for "
                             f"this {dim}-D problem, got shape {array.shape}.")
        if not np.isfinite(array).all():
            raise ValueError("Solution(points=...): the points contain NaN or inf.")
        return array

    def test_points(self, n: int = 10_000, seed: int = 1234) -> np.ndarray:
        """An evenly spaced grid of about `n` points inside the domain."""
        return np.asarray(self.problem.domain.sample_interior(n, seed=seed, method="grid"))

    def relative_l2(self, exact: Callable | None = None, points: Any = None) -> float:
        """‖u - exact‖₂ / ‖exact‖₂ on `points` (default: a grid of ~10,000 interior points)."""
        u, reference = self._compare(exact, points)
        return float(np.linalg.norm(u - reference) / np.linalg.norm(reference))

    def max_error(self, exact: Callable | None = None, points: Any = None) -> float:
        """max |u - exact| on `points` (default: a grid of ~10,000 interior points)."""
        u, reference = self._compare(exact, points)
        return float(np.max(np.abs(u - reference)))

    def residual_rms(self, points: Any = None) -> float:
        """Root-mean-square PDE residual on `points` (for problems with no exact solution)."""
        points = self.test_points() if points is None else self._checked(points)
        with jax.enable_x64(self.float64):
            x = jnp.asarray(points, _dtype(self.float64))
            residual = self._residuals(self.params, x)
            return float(jnp.sqrt(jnp.mean(residual**2)))

    def _compare(self, exact, points):
        exact = exact or self.problem.exact
        if exact is None:
            raise ValueError(f"{self.problem.name} has no exact solution: pass exact=... (a "
                             "function of one point) or use residual_rms().")
        points = self.test_points() if points is None else self._checked(points)
        with jax.enable_x64(self.float64):
            x = jnp.asarray(points, _dtype(self.float64))
            reference = np.asarray(jax.vmap(exact)(x)).reshape(-1)
        return self(points), reference


def _dtype(float64: bool):
    return jnp.float64 if float64 else jnp.float32


def pointwise_map(fn: Callable[[Any, jax.Array], jax.Array]) -> Callable:
    """jit(vmap) of ``fn(params, x)`` over points ``x: (n, dim)``."""
    return jax.jit(jax.vmap(fn, in_axes=(None, 0)))


def accepts_single_points(model: nn.Module, params: Any, dim: int) -> bool:
    """Whether ``model.apply(params, x)`` works on one point ``x: (dim,)`` (an MLP does).

    Such a model is applied to unbatched points under `vmap`, which XLA turns into plain
    matrix products; a leading batch axis of size 1 per point makes the reverse pass through
    the forward-mode Laplacian several times slower on CPU.
    """
    try:
        out = jax.eval_shape(model.apply, params, jax.ShapeDtypeStruct((dim,), jnp.float32))
    except Exception:  # noqa: BLE001 - a model that needs a batch axis: use x[None, :]
        return False
    return out.shape == (1,)


def make_field(problem: PDE, model: nn.Module, single_points: bool = False
               ) -> Callable[[Any], Callable[[jax.Array], jax.Array]]:
    """``field(params)(x)``: the solution at one point, with the hard-constraint ansatz if any.

    `single_points`: the model accepts one point ``(dim,)`` (see `accepts_single_points`).
    """
    hard = problem.hard_dirichlet

    def field(params):
        def network(x):
            if single_points:
                return model.apply(params, x)[0]
            return model.apply(params, x[None, :])[0, 0]

        if hard is None:
            return network

        def constrained(x):
            distance = problem.domain.distance(x[None, :], parts=hard.on)[0]
            return hard.value(x) + distance * network(x)

        return constrained

    return field


class ResidualTerm(NamedTuple):
    """One block of the stacked residual vector: a per-point residual and where its points are.

    ``residual(params, *point_args) -> scalar`` at one point; ``arguments(batch)`` gives the
    per-point arrays ``(n, ...)`` it is mapped over, ``scale(batch)`` the ``(n,)`` factors
    ``sqrt(weight / count)`` (times the mask) that make ``Σ (scale · residual)²`` the weighted
    mean square of this block, and ``mask(batch)`` the ``(n,)`` 0/1 mask of live points.
    `kind` ("interior", "boundary" or "guess") names the history entry ``{kind}_loss``: the
    unweighted mean square, summed over the blocks of a kind.
    """

    kind: str
    residual: Callable[..., jax.Array]
    arguments: Callable[[Mapping], tuple]
    scale: Callable[[Mapping], jax.Array]
    mask: Callable[[Mapping], jax.Array]


def _interior_scale(batch: Mapping) -> jax.Array:
    mask = batch["interior_mask"]
    return jnp.sqrt(batch["weights"]["interior"] * mask / jnp.sum(mask))


def residual_terms(problem: PDE, field: Callable) -> list[ResidualTerm]:
    """The interior block and one block per soft boundary condition, in `Collocation` order."""
    terms = [ResidualTerm("interior", lambda p, x: problem.residual(field(p), x),
                          lambda batch: (batch["interior"],), _interior_scale,
                          lambda batch: batch["interior_mask"])]
    soft_bcs = [bc for bc in problem.bcs if not getattr(bc, "hard", False)]
    for i, bc in enumerate(soft_bcs):
        terms.append(ResidualTerm(
            "boundary",
            lambda p, x, n, bc=bc: bc.residual(field(p), x, n),
            lambda batch, i=i: tuple(batch["boundary"][i]),
            lambda batch, i=i: jnp.full(
                batch["boundary"][i][0].shape[0],
                jnp.sqrt(batch["weights"]["boundary"][i] / batch["boundary"][i][0].shape[0]),
            ),
            lambda batch, i=i: jnp.ones(batch["boundary"][i][0].shape[0]),
        ))
    return terms


def guess_terms(field: Callable, guess: Callable[[jax.Array], jax.Array]) -> list[ResidualTerm]:
    """``u(x) - guess(x)`` at the interior points: fitting the network to an initial guess."""
    return [ResidualTerm("guess", lambda p, x: field(p)(x) - guess(x),
                         lambda batch: (batch["interior"],), _interior_scale,
                         lambda batch: batch["interior_mask"])]


def _mapped(term: ResidualTerm, params: Any, batch: Mapping) -> jax.Array:
    arguments = term.arguments(batch)
    in_axes = (None,) + (0,) * len(arguments)
    return jax.vmap(term.residual, in_axes=in_axes)(params, *arguments)


def stack_residuals(terms: Sequence[ResidualTerm]):
    """``(residuals, residuals_and_jacobian)`` of a list of residual blocks.

    ``residuals(params, batch) -> (r, parts)``: the stacked weighted residual vector (the loss
    is ``Σ r²``) and the per-kind mean squares, e.g. ``{"interior_loss", "boundary_loss"}``.
    ``residuals_and_jacobian(params, batch) -> (r, J)``: the same r and its Jacobian ``(N, P)``
    with respect to the flattened parameters, one reverse pass per collocation point (batched
    by vmap): N backward passes through one point each, not N through the whole batch.
    """
    kinds = list(dict.fromkeys(term.kind for term in terms))

    def residuals(params, batch):
        pieces = []
        parts = {f"{kind}_loss": jnp.zeros((), batch["interior"].dtype) for kind in kinds}
        for term in terms:
            values = _mapped(term, params, batch)
            pieces.append(term.scale(batch) * values)
            mask = term.mask(batch).astype(values.dtype)
            parts[f"{term.kind}_loss"] += jnp.sum(mask * values**2) / jnp.sum(mask)
        return jnp.concatenate(pieces), parts

    def residuals_and_jacobian(params, batch):
        flat, unravel = ravel_pytree(params)
        values, rows = [], []
        for term in terms:
            arguments = term.arguments(batch)

            def at_point(theta, *point, term=term):
                return term.residual(unravel(theta), *point)

            in_axes = (None,) + (0,) * len(arguments)
            value, gradient = jax.vmap(jax.value_and_grad(at_point), in_axes=in_axes)(
                flat, *arguments)
            scale = term.scale(batch)
            values.append(scale * value)
            rows.append(scale[:, None] * gradient)
        return jnp.concatenate(values), jnp.concatenate(rows)

    return residuals, residuals_and_jacobian


def make_residuals(problem: PDE, field: Callable):
    """`stack_residuals` of the problem's interior and soft boundary blocks."""
    return stack_residuals(residual_terms(problem, field))


def _check_model(model: nn.Module, params: Any, dim: int) -> None:
    try:
        out = jax.eval_shape(lambda p, x: model.apply(p, x), params,
                             jax.ShapeDtypeStruct((3, dim), jnp.float32))
    except Exception as error:
        raise ValueError(f"solve(model=...): the model fails on points of shape (n, {dim}): "
                         f"{error}") from error
    if out.shape != (3, 1):
        raise ValueError(
            f"solve(model=...): the network must return one value per point, shape (n, 1); for "
            f"points (3, {dim}) it returned {out.shape}. Make the last layer size 1, e.g. "
            "jaxnn.MLP([32, 32, 1], activation='tanh')."
        )


def _stages(optimizer: OptimizerSpec | Sequence, steps) -> list:
    """Normalise the optimizer spec to [(name, transformation or None, steps)]."""
    if isinstance(optimizer, optax.GradientTransformation):
        specs = [optimizer]
    elif isinstance(optimizer, str):
        specs = optimizer.replace(" ", "").split("+")
    elif isinstance(optimizer, (list, tuple)):
        specs = list(optimizer)
    else:
        raise TypeError(f"solve(optimizer={optimizer!r}): expected a name such as 'adam+lbfgs' "
                        "or 'gauss_newton', an Optax transformation, or a list of those.")
    if steps is None:
        steps = [None] * len(specs)
    elif isinstance(steps, numbers.Integral) and not isinstance(steps, bool):
        if len(specs) != 1:
            raise ValueError(f"solve(steps={steps}): give one step count per stage of "
                             f"{optimizer!r}, e.g. steps=({', '.join(['1000'] * len(specs))}).")
        steps = [steps]
    elif not isinstance(steps, (list, tuple)):
        raise TypeError(f"solve(steps={steps!r}): expected an integer, or one integer per "
                        "optimizer stage.")
    if len(steps) != len(specs):
        raise ValueError(f"solve(steps={list(steps)}): expected {len(specs)} step counts, one per "
                         f"optimizer stage of {optimizer!r}.")
    stages = []
    for spec, count in zip(specs, steps, strict=True):
        if isinstance(spec, optax.GradientTransformation):
            name, transformation = "custom", spec
        elif spec in DEFAULT_STEPS:
            name, transformation = spec, None
        else:
            raise ValueError(f"solve(optimizer={optimizer!r}): unknown stage {spec!r}; expected "
                             f"stages from {sorted(DEFAULT_STEPS)} joined by '+', or an Optax "
                             "transformation.")
        if count is None:
            count = DEFAULT_STEPS.get(name, DEFAULT_STEPS["adam"])
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
            raise ValueError(f"solve(steps=...): step counts must be positive integers, got "
                             f"{count!r}.")
        stages.append((name, transformation, int(count)))
    return stages


def _transformation(name: str, custom, steps: int, learning_rate: float, residuals,
                    residuals_and_jacobian):
    if custom is not None:
        return custom
    if name == "adam":
        schedule = optax.exponential_decay(learning_rate, transition_steps=steps, decay_rate=0.1)
        return optax.adam(schedule)
    if name == "lbfgs":
        return optax.lbfgs()
    residual_vector = lambda p, b: residuals(p, b)[0]
    if name == "gauss_newton":
        return gauss_newton(residual_vector, residuals_and_jacobian)
    return gauss_newton(residual_vector, solver="cg")


def solve(
    problem: PDE,
    model: nn.Module | None = None,
    *,
    optimizer: OptimizerSpec | Sequence[OptimizerSpec] = "adam+lbfgs",
    steps: int | Sequence[int] | None = None,
    learning_rate: float = 1e-3,
    n_interior: int = 2000,
    n_boundary: int = 400,
    sampling_method: str = "uniform",
    resample_every: int | None = None,
    hard_constraints: bool = False,
    initial_guess: float | Callable[[jax.Array], jax.Array] | None = None,
    guess_steps: int = 50,
    weights: Mapping[str, float] | None = None,
    adaptive: Mapping[str, int] | None = None,
    gradient_weighting: bool = False,
    fourier_features: tuple[int, float] | None = None,
    float64: bool = False,
    seed: int = 0,
    log_every: int = 100,
    verbose: int = 1,
    checkpoint_dir: str | None = None,
    resume: bool = False,
) -> Solution:
    """Solve `problem` with a physics-informed network.

    Args:
        problem: a `pinn.PDE` (`Poisson`, `Laplace`, `Helmholtz`, ...).
        model: a network with one output, default ``jaxnn.MLP([32, 32, 32, 1], "tanh")``.
        optimizer: stages joined by "+": "adam", "lbfgs", "gauss_newton" (default
            "adam+lbfgs"), or Optax transformations.
        steps: steps per stage (default 2000 Adam, 2000 L-BFGS, 300 Gauss-Newton).
        learning_rate: Adam's initial rate (decays to a tenth over the stage).
        n_interior, n_boundary: collocation points inside and on the boundary (per condition).
        sampling_method: "uniform" (seeded random), "grid" (evenly spaced, about `n_interior`
            points), or "sobol"/"halton" (quasi-random; needs scipy).
        resample_every: draw fresh random collocation points every this many steps.
        hard_constraints: impose the Dirichlet condition exactly through u = g + d(x)·N(x),
            d the domain's distance function (`Domain.distance`); no boundary points are then
            needed for it. Same as passing ``Dirichlet(..., hard=True)``.
        initial_guess: a function of one point (or a number): the network is first fitted to
            it for `guess_steps` steps (Gauss-Newton, or L-BFGS for large networks). For
            nonlinear problems with several solutions (the bounce: φ = 0 solves it too), the
            guess picks the one to converge to.
        weights: loss weights ``{"interior": 1.0, "boundary": 1.0}``.
        adaptive: residual-based adaptive refinement ``{"every": 500, "add": 200,
            "candidates": 20000, "rounds": 5}``: add the points of largest residual.
        gradient_weighting: rebalance the boundary weights by gradient norms every log step.
        fourier_features: ``(num_features, scale)`` to put random Fourier features in front.
        float64: train and evaluate in float64 (``jax.enable_x64`` for the duration of the
            call; the solution's evaluations use it too). Needed for errors below ~1e-5.
        seed: seeds the network initialisation and the collocation points.
        log_every: steps per compiled epoch (history and progress line every this many steps).
        verbose: 0 silent, 1 progress lines.
        checkpoint_dir, resume: checkpoint each stage (see `jaxnn.train_loop`).

    Returns:
        A `Solution`.
    """
    with jax.enable_x64(float64):
        return _solve(**locals())


def _solve(problem, model, *, optimizer, steps, learning_rate, n_interior, n_boundary,
           sampling_method, resample_every, hard_constraints, initial_guess, guess_steps,
           weights, adaptive, gradient_weighting,
           fourier_features, float64, seed, log_every, verbose, checkpoint_dir, resume):
    start = time.perf_counter()
    if not isinstance(problem, PDE):
        raise TypeError(f"solve(problem=...): expected a pinn.PDE (Poisson, Laplace, Helmholtz, "
                        f"PDE), got {type(problem).__name__}.")
    for name, value in (("n_interior", n_interior), ("n_boundary", n_boundary),
                        ("log_every", log_every), ("guess_steps", guess_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"solve({name}={value!r}): expected a positive integer.")
    stages = _stages(optimizer, steps)
    if resample_every is not None and (isinstance(resample_every, bool) or not isinstance(
            resample_every, numbers.Integral) or resample_every < 1):
        raise ValueError(f"solve(resample_every={resample_every!r}): expected a positive integer "
                         "(steps between fresh collocation points) or None.")
    if not (isinstance(learning_rate, numbers.Real) and np.isfinite(learning_rate)
            and learning_rate > 0):
        raise ValueError(f"solve(learning_rate={learning_rate!r}): expected a positive number.")
    if resample_every is not None and sampling_method == "grid":
        raise ValueError(f"solve(resample_every={resample_every}): a grid is the same every "
                         "time; use sampling_method='uniform' (or 'sobol'/'halton') to resample.")
    if hard_constraints and problem.hard_dirichlet is None:
        problem = problem.with_hard_dirichlet()
    dtype = _dtype(float64)
    domain = problem.domain
    model = model if model is not None else MLP([32, 32, 32, 1], activation="tanh")
    if fourier_features is not None:
        model = FourierFeatures(model, num_features=int(fourier_features[0]),
                                scale=float(fourier_features[1]), seed=seed)
    params = model.init(jax.random.PRNGKey(seed), jnp.zeros((1, domain.dim), jnp.float32))
    _check_model(model, params, domain.dim)
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype), params)

    collocation = sampling.Collocation(problem, n_interior, n_boundary, sampling_method, seed,
                                       dtype, weights, adaptive)
    field = make_field(problem, model, accepts_single_points(model, params, domain.dim))
    residuals, residuals_and_jacobian = make_residuals(problem, field)
    test_x, test_u = sampling.exact_test_set(problem, dtype)

    validation_fn = validation_data = None
    if test_u is not None:
        validation_data = {"x": test_x, "u": test_u}

        def validation_fn(params, test_set):  # traced: evaluated on the device every epoch
            u = jax.vmap(lambda x: field(params)(x))(test_set["x"])
            error = jnp.linalg.norm(u - test_set["u"]) / jnp.linalg.norm(test_set["u"])
            return {"relative_l2": error}

    n_params = sum(leaf.size for leaf in jax.tree_util.tree_leaves(params))
    if any(name == "gauss_newton" for name, _, _ in stages):
        check_dense_size(n_params)
    if initial_guess is not None:
        guess = as_point_function(initial_guess, "solve(initial_guess=...)")
        check_point_function(guess, domain.dim, "solve(initial_guess=...)")
        guess_residuals, guess_jacobian = stack_residuals(guess_terms(field, guess))
        fit = gauss_newton(lambda p, b: guess_residuals(p, b)[0], guess_jacobian) \
            if n_params <= DENSE_PARAMETER_LIMIT else optax.lbfgs()
        stages = [("initial_guess", fit, guess_steps, guess_residuals)] + \
            [(name, custom, count, residuals) for name, custom, count in stages]
    else:
        stages = [(name, custom, count, residuals) for name, custom, count in stages]
    verbose = verbose if parallel.is_main_process() else 0
    history: dict[str, list] = {}
    stop_reason, done = None, 0
    for index, (name, custom, count, stage_residuals) in enumerate(stages):
        transformation = _transformation(name, custom, count, learning_rate, residuals,
                                         residuals_and_jacobian)

        def loss_fn(params, batch, key, stage_residuals=stage_residuals):
            r, parts = stage_residuals(params, batch)
            return jnp.sum(r**2), parts

        per_epoch = min(resample_every or log_every, log_every, count)
        epochs = -(-count // per_epoch)
        if verbose:
            print(f"stage {index + 1}/{len(stages)}: {name}, {count} steps")
        callbacks = [Progress(2 if verbose else 0, log_every=max(1, 1000 // per_epoch))]
        refresh = collocation.data_fn(field, per_epoch, resample_every, gradient_weighting,
                                      steps_before=done)
        if refresh is not None:
            callbacks.append(DataRefresh(refresh))
        if checkpoint_dir is not None:
            callbacks.append(Checkpoint(f"{checkpoint_dir}/stage{index}", resume=resume,
                                        verbose=verbose))
        result = train_loop(
            loss_fn, params, collocation.batch(0),
            optimizer=transformation, epochs=epochs, batch_size=None, steps_per_epoch=per_epoch,
            total_steps=count, seed=seed + index, validation_fn=validation_fn,
            validation_data=validation_data, callbacks=callbacks,
        )
        params = result.params
        for key, values in result.history.items():
            history.setdefault(key, []).extend(values)
        stage_steps = [min(per_epoch * (i + 1), count) for i in range(result.epochs_run)]
        history.setdefault("step", []).extend(done + step for step in stage_steps)
        history.setdefault("stage", []).extend([name] * result.epochs_run)
        done += stage_steps[-1] if stage_steps else 0
        if result.stop_reason is not None:
            stop_reason = f"stage {name}: {result.stop_reason}"
            break
    seconds = time.perf_counter() - start
    solution = Solution(problem, model, params, history, seconds, float64, stop_reason, field)
    if verbose and test_u is not None:
        print(f"relative L2 error {history['relative_l2'][-1]:.3e} after {done} steps, "
              f"{seconds:.1f} s")
    return solution


def relative_l2(solution: Solution, exact: Callable | None = None, points: Any = None) -> float:
    """Relative L2 error of `solution` against `exact` (see `Solution.relative_l2`)."""
    return solution.relative_l2(exact, points)


__all__ = ["ResidualTerm", "Solution", "guess_terms", "make_field", "make_residuals", "relative_l2",
           "residual_terms", "solve", "stack_residuals"]
