"""`solve`: train a network on a PDE's residual loss through jaxnn's one training loop.

`solve` is built from parts: optimizer stages (`pinn.Adam`, `pinn.LBFGS`, `pinn.GaussNewton`;
``_stages``), collocation (`pinn.Collocation`; ``_collocation``), loss weighting
(`pinn.FixedWeights`, `pinn.GradientNormWeights`) and precision (``dtype``). The loss is the
squared norm of one stacked residual vector (``_residuals``); each stage is a
`jaxnn.train_loop` call whose epochs are ``log_every`` full-batch steps compiled as one
`lax.scan`. The collocation points are the batch.

Precision never changes JAX's global configuration: float64 needs x64 mode switched on by the
script (``jax.config.update("jax_enable_x64", True)`` at its top, or ``JAX_ENABLE_X64=1``), and
a float64 request without it is refused with that line.
"""

from __future__ import annotations

import dataclasses
import numbers
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxnn import parallel
from jaxnn.training import DataRefresh, Progress
from jaxnn.training import train_loop
from jaxnn.models import MLP
from jaxnn.training import init_params, prng_key
from jaxnn.validate import check_int, check_seed
from pinn.solver._collocation import (
    Collocation,
    CollocationPoints,
    FixedWeights,
    SolveCheckpoint,
)
from pinn.conditions import periodic_inputs
from pinn.equations import PDE, initial_values
from pinn.fields import as_point_function, check_point_function, vector_point_function
from pinn.solver._networks import FourierFeatures
from pinn.solver._gauss_newton import DENSE_PARAMETER_LIMIT, gauss_newton
from pinn.solver._sampling import exact_test_set
from pinn.solver._residuals import (
    Bind,
    accepts_single_points,
    guess_terms,
    make_field,
    make_residuals,
    network_params,
    stack_residuals,
    trained_only,
)
from pinn.solver._solution import Solution, float_dtype, relative_l2, require_x64
from pinn.solver._legacy import parts_from_keywords, split_keywords
from pinn.solver._stages import LBFGS, Adam, Stage, check_stages


def _check_model(model: Any, params: Any, dim: int, fields: tuple[str, ...] | None = None
                 ) -> None:
    try:
        out = jax.eval_shape(lambda p, x: model.apply(p, x), params,
                             jax.ShapeDtypeStruct((3, dim), jnp.float32))
    except Exception as error:
        raise ValueError(f"solve(model=...): the model fails on points of shape (n, {dim}): "
                         f"{error}. Use a network of points, e.g. jaxnn.MLP([32, 32, 1], "
                         "activation='tanh').") from error
    if fields is not None:
        m = len(fields)
        if out.shape != (3, m):
            raise ValueError(
                f"solve(model=...): the problem has {m} fields {list(fields)}, so the network "
                f"must return {m} values per point, shape (n, {m}), one per field in that "
                f"order; for points (3, {dim}) it returned {out.shape}. Make the last layer "
                f"size {m}, e.g. jaxnn.MLP([32, 32, {m}], activation='tanh')."
            )
        return
    if out.shape != (3, 1):
        raise ValueError(
            f"solve(model=...): the network must return one value per point, shape (n, 1); for "
            f"points (3, {dim}) it returned {out.shape}. Make the last layer size 1, e.g. "
            "jaxnn.MLP([32, 32, 1], activation='tanh')."
        )


def _same_structure(initial_params: Any, fresh: Any) -> Any:
    """`initial_params` when it has the tree and shapes of the network's parameters."""
    shapes = jax.tree_util.tree_map(jnp.shape, fresh)
    try:
        given = jax.tree_util.tree_map(jnp.shape, initial_params)
    except Exception:  # noqa: BLE001 (anything not a tree of arrays)
        given = None
    if given != shapes:
        raise ValueError(f"solve(initial_params=...): expected the parameters of this network, "
                         f"a tree of arrays shaped {shapes}, got {given}. Pass the `params` "
                         "of a solution with the same network (for an inverse problem, "
                         "`params['network']`).")
    return initial_params


def _build_model(model: Any, fourier_features: Any, seed: int, outputs: int = 1) -> nn.Module:
    model = model if model is not None else MLP([32, 32, 32, outputs], activation="tanh")
    if not isinstance(model, nn.Module):
        raise TypeError(f"solve(model=...): expected a flax.linen Module such as "
                        f"jaxnn.MLP([32, 32, 1], activation='tanh'), got {type(model).__name__}.")
    if fourier_features is None:
        return model
    if isinstance(model, FourierFeatures):
        raise ValueError(f"solve(fourier_features={fourier_features!r}): the model is already a "
                         "pinn.FourierFeatures; give the features once, in the model.")
    ok = isinstance(fourier_features, (tuple, list)) and len(fourier_features) == 2
    count, scale = fourier_features if ok else (None, None)
    if not (ok and isinstance(count, numbers.Integral) and not isinstance(count, bool)
            and count >= 1 and isinstance(scale, numbers.Real) and not isinstance(scale, bool)
            and np.isfinite(scale) and scale > 0):
        raise ValueError(f"solve(fourier_features={fourier_features!r}): expected (number of "
                         "features >= 1, positive scale), e.g. (32, 2.0).")
    return FourierFeatures(model, num_features=int(count), scale=float(scale), seed=seed)


def solve(
    problem: PDE,
    model: nn.Module | None = None,
    *,
    stages: Stage | Sequence[Stage] | None = None,
    collocation: Collocation | None = None,
    weighting: FixedWeights | None = None,
    dtype: Any = None,
    initial_guess: float | Callable[[jax.Array], jax.Array] | None = None,
    guess_steps: int = 50,
    initial_params: Any = None,
    seed: int = 0,
    log_every: int = 100,
    verbose: int = 1,
    checkpoint_dir: str | None = None,
    resume: bool = False,
    callbacks: Sequence = (),
    **legacy: Any,
) -> Solution:
    """Solve `problem` with a physics-informed network.

    Args:
        problem: a `pinn.PDE` (`Poisson`, `Laplace`, `Helmholtz`, a residual of your own, with
            `pinn.Unknown` coefficients and `pinn.Observations` for inverse problems).
        model: a network with one output, default ``jaxnn.MLP([32, 32, 32, 1], "tanh")``;
            for a system of m fields, m outputs (in the order of ``problem.fields``).
        stages: optimizer stages run in order (default ``[pinn.Adam(2000), pinn.LBFGS(2000)]``).
        collocation: a `pinn.Collocation` (default 2000 uniform interior points, 400 per soft
            boundary condition, no resampling or refinement).
        weighting: `pinn.FixedWeights` (default, all 1) or `pinn.GradientNormWeights`.
        dtype: "float32" (default) or "float64" (needs JAX's x64 mode on; see the module).
        initial_guess: a function of one point (or a number): the network is first fitted to
            it for `guess_steps` steps (for a system, the function returns the m fields,
            ``(m,)``; a number is taken for every field) (Gauss-Newton, or L-BFGS for large
            networks). For nonlinear problems with several solutions (the bounce: φ = 0 solves
            it too), the guess picks the one to converge to.
        initial_params: the network's parameters to start from (e.g. ``solution.params`` of
            an earlier solve with the same network) instead of a fresh initialisation.
        seed: seeds the network initialisation and the collocation points.
        log_every: steps per compiled epoch (history and progress line every this many steps).
        verbose: 0 silent, 1 progress lines.
        checkpoint_dir, resume: checkpoint each stage with its collocation state; a killed
            solve resumed with ``resume=True`` ends where an uninterrupted one ends.
        callbacks: `jaxnn.Callback` objects or functions, handed to every stage.

        **legacy: the older keyword form of the same parts (``optimizer``, ``steps``,
            ``learning_rate``, ``n_interior``, ``n_boundary``, ``sampling_method``,
            ``resample_every``, ``adaptive``, ``weights``, ``gradient_weighting``,
            ``hard_constraints``, ``float64``, ``fourier_features``) still solves, with a
            `DeprecationWarning` that names each one's new spelling (``pinn.solver._legacy``).

    Returns:
        A `Solution`.
    """
    start = time.perf_counter()
    settings = _resolve("solve", problem, dict(
        stages=stages, collocation=collocation, weighting=weighting, dtype=dtype,
        initial_guess=initial_guess, guess_steps=guess_steps, initial_params=initial_params,
        seed=seed, log_every=log_every, verbose=verbose, checkpoint_dir=checkpoint_dir,
        resume=resume, callbacks=callbacks), legacy)
    return _train(settings, model, start)


PARTS = ("stages", "collocation", "weighting", "dtype")  # what the older keywords map onto


@dataclasses.dataclass
class _Settings:
    """solve's keywords, checked, the older keyword form mapped onto the parts (`_resolve`)."""

    problem: PDE
    stages: list[Stage]
    collocation: Collocation
    weighting: FixedWeights
    dtype: np.dtype
    initial_guess: Any
    guess_steps: int
    initial_params: Any
    fourier_features: Any
    seed: int
    log_every: int
    verbose: int
    checkpoint_dir: str | None
    resume: bool
    callbacks: Sequence


def _resolve(where: str, problem: PDE, keywords: Mapping[str, Any],
             legacy: Mapping[str, Any]) -> _Settings:
    """Check the keywords of `solve` (or `march`: `where`) before anything is traced, map the
    older keyword form onto the parts, and fill in the default parts."""
    if not isinstance(problem, PDE):
        raise TypeError(f"{where}(problem=...): expected a pinn.PDE (Poisson, Laplace, "
                        f"Helmholtz, PDE), got {type(problem).__name__}.")
    old = split_keywords(where, legacy, ("model", *keywords) if where == "solve"
                         else ("model", "windows", "warm_start", *keywords))
    fourier_features = old.pop("fourier_features", None)
    problem, parts = parts_from_keywords(
        where, problem, {name: keywords[name] for name in PARTS}, old)
    stages = check_stages(parts["stages"] if parts["stages"] is not None
                          else [Adam(2000), LBFGS(2000)])
    collocation = parts["collocation"] if parts["collocation"] is not None else Collocation()
    weighting = parts["weighting"] if parts["weighting"] is not None else FixedWeights()
    if not isinstance(collocation, Collocation):
        raise TypeError(f"{where}(collocation=...): expected pinn.Collocation(interior=..., "
                        f"boundary=...), got {type(collocation).__name__}.")
    if not isinstance(weighting, FixedWeights):
        raise TypeError(f"{where}(weighting=...): expected pinn.FixedWeights(...) or "
                        f"pinn.GradientNormWeights(...), got {type(weighting).__name__}.")
    dtype = float_dtype("float32" if parts["dtype"] is None else parts["dtype"])
    for name in ("log_every", "guess_steps"):
        check_int(keywords[name], f"{where}({name}=...)", minimum=1)
    check_seed(keywords["seed"], f"{where}(seed=...)")
    rest = {name: keywords[name] for name in keywords if name not in PARTS}
    return _Settings(problem=problem, stages=stages, collocation=collocation,
                     weighting=weighting, dtype=dtype, fourier_features=fourier_features, **rest)


@dataclasses.dataclass(frozen=True)
class TracedFrom:
    """What a solve's compiled programs are built from when the problem alone does not say
    (`pinn.march`: one program for every window).

    `problem` is the problem the residuals are traced from (the same object for every window;
    the solve's own problem gives the domain its points are drawn in); `model` the network;
    ``field(bind(params, batch))(x)`` the solution at one point, `bind` taking the trained
    parameters and the batch (`_residuals.Bind`); `context` the arrays the batch (and the
    validation data) carries for `bind`.
    """

    problem: PDE
    model: nn.Module
    field: Callable
    bind: Bind
    context: dict


def _network(settings: _Settings, model: Any, traced: TracedFrom | None) -> nn.Module:
    """The network to train: `model` built with its Fourier features and the problem's periodic
    inputs, or the one the programs are traced from."""
    if traced is not None:
        return traced.model
    problem = settings.problem
    outputs = 1 if problem.fields is None else len(problem.fields)
    network = _build_model(model, settings.fourier_features, settings.seed, outputs)
    return periodic_inputs(problem, network)


def _initial_params(settings: _Settings, model: nn.Module) -> tuple[Any, Any]:
    """The network's initial weights and the parameters to train from, in ``settings.dtype``.

    The weights are drawn from the seed (or are ``settings.initial_params``, checked against
    the network); the parameters are the weights, with the problem's unknowns beside them if it
    has any.
    """
    problem, dtype, dim = settings.problem, settings.dtype, settings.problem.domain.dim
    try:
        # drawn in float32 (the same numbers in every precision), then cast
        weights_init = init_params(model, prng_key(settings.seed), np.zeros((1, dim), np.float32),
                                   dtype)
    except Exception as error:
        raise ValueError(f"solve(model=...): the model fails on points of shape (n, "
                         f"{dim}): {str(error).splitlines()[0]} Use a network of points, "
                         "e.g. jaxnn.MLP([32, 32, 1], activation='tanh').") from error
    _check_model(model, weights_init, dim, problem.fields)
    if settings.initial_params is not None:
        weights_init = _same_structure(settings.initial_params, weights_init)
    params = weights_init
    if problem.unknowns:
        params = {"network": weights_init, "unknowns": initial_values(problem.unknowns, dtype)}
    return weights_init, jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype), params)


def _plan(settings: _Settings, traced: TracedFrom, n_params: int
          ) -> list[tuple[str, optax.GradientTransformation, int, Callable, Any]]:
    """The stages to run, in order, as (name, optimizer, steps, residuals, early stopping):
    the fit to the initial guess first if there is one, then ``settings.stages``."""
    field, bind = traced.field, traced.bind
    residuals, residuals_and_jacobian = make_residuals(traced.problem, field, bind)

    def residual_vector(params, batch):
        return residuals(params, batch)[0]

    plan = [(stage.name, stage.transformation(residual_vector, residuals_and_jacobian),
             stage.steps, residuals, stage.early_stopping) for stage in settings.stages]
    if settings.initial_guess is not None:
        guess = _initial_guess(settings.initial_guess, settings.problem)
        guess_residuals, guess_jacobian = stack_residuals(guess_terms(field, guess), bind)

        def guess_vector(params, batch):
            return guess_residuals(params, batch)[0]

        fit = gauss_newton(guess_vector, guess_jacobian) \
            if n_params <= DENSE_PARAMETER_LIMIT else optax.lbfgs()
        plan.insert(0, ("initial_guess", fit, settings.guess_steps, guess_residuals, None))
    return plan


def _steps_per_epoch(settings: _Settings, count: int) -> int:
    """Steps per compiled epoch of a stage of `count` steps: at most ``log_every``, and no more
    than the steps between two resamplings or refinements of the points."""
    collocation, log_every = settings.collocation, settings.log_every
    per_epoch = min(collocation.resample_every or log_every, log_every, count)
    if collocation.refinement is not None:
        per_epoch = min(per_epoch, collocation.refinement.every)
    return per_epoch


def _stage_callbacks(settings: _Settings, points: CollocationPoints, traced: TracedFrom,
                     index: int, per_epoch: int, done: int, verbose: int) -> list:
    """The callbacks of stage `index`: progress, the points' resampling or refinement, the
    user's callbacks and the stage's checkpoint; `done` steps were taken before it."""
    callbacks = [Progress(2 if verbose else 0, log_every=max(1, 1000 // per_epoch))]
    refresh = points.data_fn(traced.field, per_epoch, settings.collocation.resample_every,
                             settings.weighting.balance, steps_before=done, bind=traced.bind,
                             problem=traced.problem)
    if refresh is not None:
        callbacks.append(DataRefresh(refresh))
    callbacks.extend(settings.callbacks)
    if settings.checkpoint_dir is not None:
        callbacks.append(SolveCheckpoint(f"{settings.checkpoint_dir}/stage{index}", points,
                                         resume=settings.resume, verbose=verbose))
    return callbacks


def _record_stage(history: dict[str, list], result: Any, name: str, per_epoch: int, count: int,
                  done: int) -> int:
    """Append a stage's epochs to `history`, with the step count and the stage name of each;
    returns the steps done after the stage (`done` before it)."""
    for key, values in result.history.items():
        history.setdefault(key, []).extend(values)
    stage_steps = [min(per_epoch * (i + 1), count) for i in range(result.epochs_run)]
    history.setdefault("step", []).extend(done + step for step in stage_steps)
    history.setdefault("stage", []).extend([name] * result.epochs_run)
    return done + (stage_steps[-1] if stage_steps else 0)


def _train(settings: _Settings, model: Any, start: float,
           traced: TracedFrom | None = None) -> Solution:
    """Initialise the network and run the stages through `jaxnn.train_loop` (see `solve`)."""
    problem, dtype, seed = settings.problem, settings.dtype, settings.seed
    model = _network(settings, model, traced)
    weights_init, params = _initial_params(settings, model)
    n_params = sum(leaf.size for leaf in jax.tree_util.tree_leaves(params))
    for stage in settings.stages:
        stage.check(n_params)

    points = CollocationPoints(problem, settings.collocation, settings.weighting, seed, dtype)
    if traced is None:
        dim, outputs = problem.domain.dim, 1 if problem.fields is None else len(problem.fields)
        field = make_field(problem, model, accepts_single_points(model, weights_init, dim, outputs))
        traced = TracedFrom(problem, model, field, trained_only, {})
    field, bind = traced.field, traced.bind
    points.context = traced.context
    plan = _plan(settings, traced, n_params)
    validation_fn, validation_data = _validation(problem, traced, dtype)
    verbose = settings.verbose if parallel.is_main_process() else 0
    history: dict[str, list] = {}
    stop_reason, done = None, 0
    for index, (name, transformation, count, stage_residuals, stopper) in enumerate(plan):

        def loss_fn(params, batch, key, stage_residuals=stage_residuals):
            r, parts = stage_residuals(params, batch)
            return jnp.sum(r**2), parts

        per_epoch = _steps_per_epoch(settings, count)
        if verbose:
            print(f"stage {index + 1}/{len(plan)}: {name}, {count} steps")
        callbacks = _stage_callbacks(settings, points, traced, index, per_epoch, done, verbose)
        result = train_loop(
            loss_fn, params, points.batch(), optimizer=transformation,
            epochs=-(-count // per_epoch), batch_size=None, steps_per_epoch=per_epoch,
            total_steps=count, seed=seed + index,
            validation_fn=validation_fn, validation_data=validation_data, callbacks=callbacks,
            early_stopping=stopper,
        )
        params = result.params
        done = _record_stage(history, result, name, per_epoch, count, done)
        # A non-finite loss or a callback's stop ends the solve; early stopping its stage only.
        if result.stop_reason is not None and not result.early_stopped:
            stop_reason = f"stage {name}: {result.stop_reason}"
            break
    seconds = time.perf_counter() - start
    context = traced.context
    solution = Solution(problem, model, params, history, seconds, dtype, stop_reason,
                        lambda params: field(bind(params, context)))
    if verbose and "relative_l2" in history:
        print(f"relative L2 error {history['relative_l2'][-1]:.3e} after {done} steps, "
              f"{seconds:.1f} s")
    if verbose and problem.unknowns:
        print("unknowns: " + ", ".join(f"{k} = {v:.8g}" for k, v in solution.unknowns.items()))
    return solution


def _initial_guess(initial_guess: Any, problem: PDE) -> Callable[[jax.Array], jax.Array]:
    """The initial guess as a function of one point: a scalar, or ``(m,)`` for a system."""
    where, dim = "solve(initial_guess=...)", problem.domain.dim
    if problem.fields is None or not callable(initial_guess):
        guess = as_point_function(initial_guess, where)
        check_point_function(guess, dim, where)
        if problem.fields is None:
            return guess
        m = len(problem.fields)
        return lambda x: jnp.full((m,), guess(x))
    return vector_point_function(initial_guess, len(problem.fields), dim, where)


def _validation(problem: PDE, traced: TracedFrom, dtype) -> tuple[Callable | None, Any]:
    """What is evaluated on the device after every epoch: the relative L2 error against the
    exact solution (if known) and the unknowns' values (if any)."""
    test_x, test_u = exact_test_set(problem, dtype)
    if test_u is None and not problem.unknowns:
        return None, None
    field, bind, unknowns = traced.field, traced.bind, bool(traced.problem.unknowns)

    def validation_fn(params, test_set):  # traced: evaluated on the device every epoch
        logs = {}
        if "u" in test_set:
            u = jax.vmap(lambda x: field(bind(params, test_set))(x))(test_set["x"])
            u = u.reshape(test_set["u"].shape)
            logs["relative_l2"] = jnp.linalg.norm(u - test_set["u"]) / jnp.linalg.norm(
                test_set["u"])
        for name, value in (params["unknowns"] if unknowns else {}).items():
            logs[f"unknown_{name}"] = value
        return logs

    test_set = {"x": test_x} if test_u is None else {"x": test_x, "u": test_u}
    return validation_fn, {**test_set, **traced.context}


__all__ = ["Solution", "float_dtype", "network_params", "relative_l2", "require_x64", "solve"]
