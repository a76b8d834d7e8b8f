"""Time marching: an evolution problem solved window after window in time.

One network over the whole time span has to learn everything at once, and a PINN trained
that way is known to fit late times before the early times that cause them (Wang, Sankaran &
Perdikaris 2022, "Respecting causality"): Burgers' shock and Allen-Cahn's fronts come out
smeared, and an ODE over several periods converges to the wrong orbit. `march` respects
causality the direct way: it splits [t0, t1] into windows and solves them in order, each with
its own network, the initial values of window k taken from the solution of window k - 1::

    problem = pinn.PDE(pinn.SpaceTime(pinn.Interval(-1, 1), 0, 1), burgers,
                       bcs=[pinn.Dirichlet(lambda x: -jnp.sin(jnp.pi * x[0]), hard=True)])
    solution = pinn.march(problem, jaxnn.MLP([30, 30, 1], "tanh"), windows=10,
                          stages=[pinn.GaussNewton(100)], dtype="float64")
    solution(points), solution.relative_l2(exact), solution.windows[3].history

Every keyword of `pinn.solve` applies to each window (stages, collocation, dtype, ...).
How the initial values travel from one window to the next:

- a hard Dirichlet condition that covers the initial part (``Initial(g, hard=True)``, or
  ``Dirichlet(g, on=[..., "initial"], hard=True)``) keeps its lateral values and takes the
  previous window at t_k: ``g_k(x, t) = g(x, t) + u_{k-1}(x, t_k) - g(x, t_k)``;
- a soft `Initial` becomes ``Initial(u_{k-1}(x, t_k))``, an `InitialRate` takes
  ``∂_t u_{k-1}(x, t_k)``, a `pinn.Derivative` on the initial part the same derivative of
  the previous window;
- conditions on the lateral parts are kept as they are.

When every condition on the initial part is a hard Dirichlet condition, the windows share
their compiled programs: the window (its edges, its index, the earlier windows' parameters) is
data in the batch, and window k's ansatz sums the earlier windows' contributions at their end
times (`_window_field`), so a march costs one compilation, not one per window
(`benchmarks/pinn_peer.py` times the marched rows). Soft initial conditions are carried as
functions of the previous window, and each window then compiles its own programs.

The domain is a `pinn.SpaceTime` (time its last coordinate) or a `pinn.Interval` in time (an
ODE, its part "left" the initial time). Each window's network sees time mapped onto [-1, 1]
(`pinn.TimeWindow`). Inverse problems (unknowns, observations) and conditions on
the final time are not marched: solve those with `pinn.solve` over the whole span.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import numbers
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.training import prng_key
from jaxnn.training import init_params
from pinn import operators
from pinn.conditions import (
    BoundaryCondition,
    Derivative,
    Dirichlet,
    InitialRate,
    Observations,
    periodic_inputs,
)
from pinn.equations import PDE
from pinn.fields import Fields
from pinn.geometry import Interval, SpaceTime
from pinn.solver._networks import TimeWindow
from pinn.solver._residuals import accepts_single_points
from pinn.solver._solution import Solution
from pinn.solver._solve import TracedFrom, _build_model, _resolve, _train


class MarchedSolution(Solution):
    """The solution of `march`: one `Solution` per time window, called as one.

    ``solution(points)`` evaluates each point with the window its time falls in (a point on
    an edge between two windows belongs to the later one). `relative_l2`, `max_error`,
    `residual_rms` and ``solution["y"]`` work as on a `Solution`; `windows` holds each
    window's own solution (its history, parameters, time) and `edges` the window edges.
    `history` is the windows' histories one after the other, with the key "window".
    """

    def __init__(self, problem: PDE, windows: Sequence[Solution], edges: np.ndarray,
                 seconds: float):
        history: dict[str, list] = {}
        for index, window in enumerate(windows):
            length = len(window.history.get("step", []))
            for key, values in {**window.history, "window": [index] * length}.items():
                history.setdefault(key, []).extend(values)
        stops = [w.stop_reason for w in windows if w.stop_reason]
        super().__init__(problem, windows[-1].model, tuple(w.params for w in windows), history,
                         seconds, windows[-1].dtype, stops[0] if stops else None, None)
        self.windows, self.edges = list(windows), np.asarray(edges, float)

    def __post_init__(self) -> None:
        self.dtype = np.dtype(self.dtype)

    @property
    def unknowns(self) -> dict[str, float]:
        """Always {}: a marched problem has no unknown coefficients."""
        return {}

    def _window_of(self, points: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.edges, points[:, -1], side="right") - 1
        return np.clip(index, 0, len(self.windows) - 1)

    def _piecewise(self, points: np.ndarray, evaluate: Callable) -> np.ndarray:
        if not len(points):
            return evaluate(self.windows[0], points)
        which = self._window_of(points)
        parts = {k: evaluate(self.windows[k], points[which == k]) for k in np.unique(which)}
        first = next(iter(parts.values()))
        out = np.empty((len(points), *first.shape[1:]), first.dtype)
        for k, values in parts.items():
            out[which == k] = values
        return out

    def __call__(self, points: Any) -> np.ndarray:
        """u at ``points: (n, dim)``, each point from the window of its time."""
        return self._piecewise(self._checked(points), lambda window, p: window(p))

    def residual_rms(self, points: Any = None) -> float:
        """Root-mean-square PDE residual on `points`, each from the window of its time."""
        points = self.test_points() if points is None else \
            self._measured(points, "residual_rms")
        squares = self._piecewise(points, lambda window, p: np.full(
            len(p), window.residual_rms(p) ** 2))
        return float(np.sqrt(np.mean(squares)))


def march(problem: PDE, model: Any = None, *, windows: int | Sequence[float] = 4,
          warm_start: bool = False, stages: Any = None, collocation: Any = None,
          weighting: Any = None, dtype: Any = None, initial_guess: Any = None,
          guess_steps: int = 50, seed: int = 0, log_every: int = 100, verbose: int = 1,
          checkpoint_dir: str | None = None, resume: bool = False, callbacks: Sequence = (),
          **legacy: Any) -> MarchedSolution:
    """Solve the evolution problem `problem` window after window in time.

    Args:
        problem: a `pinn.PDE` on a `pinn.SpaceTime` (or a `pinn.Interval` in time), its
            initial values given by `pinn.Initial` / `pinn.InitialRate` (or conditions on
            the part "left" of the interval).
        model: the network of each window (each window trains its own copy), default as in
            `pinn.solve`.
        windows: how many windows of equal length, or the window edges ``[t0, ..., t1]``.
        warm_start: start each window's network from the parameters the previous window
            ended with rather than from a fresh initialisation: for an evolution whose next
            stretch looks like the last in each window's own time (Burgers past its shock,
            Lotka-Volterra over several periods); an oscillation whose windows differ in
            phase does better fresh. `benchmarks/peer_pinn.py` sets it per problem and
            `benchmarks/pinn_peer.py` measures the errors.
        checkpoint_dir: checkpoint each window in its own subfolder ``window_000``, ...;
            with ``resume=True`` a killed march goes on where it stopped.
        stages: as in `pinn.solve`, applied to every window; so are collocation, weighting,
            dtype, initial_guess, guess_steps, seed, log_every, verbose, resume and callbacks.
        **legacy: `pinn.solve`'s older keyword form, mapped as `solve` maps it.

    Returns:
        A `MarchedSolution`.
    """
    start = time.perf_counter()
    if not isinstance(problem, PDE):
        raise TypeError(f"march(problem=...): expected a pinn.PDE on a pinn.SpaceTime domain, "
                        f"got {type(problem).__name__}.")
    axis, initial = _time_axis(problem)
    edges = _edges(windows, *np.asarray(problem.domain.bounding_box)[:, axis])
    _check_marchable(problem, initial)
    outputs = 1 if problem.fields is None else len(problem.fields)
    settings = _resolve("march", problem, dict(
        stages=stages, collocation=collocation, weighting=weighting, dtype=dtype,
        initial_guess=initial_guess, guess_steps=guess_steps, initial_params=None, seed=seed,
        log_every=log_every, verbose=verbose, checkpoint_dir=checkpoint_dir, resume=resume,
        callbacks=callbacks), legacy)
    network = _build_model(model, settings.fourier_features, seed, outputs)
    # the network carries the Fourier features now; each window's solve must not add them again
    settings = dataclasses.replace(settings, fourier_features=None)
    if _in_the_network(settings.problem, initial):
        solutions = _march_compiled_once(settings, network, axis, initial, edges, warm_start,
                                         checkpoint_dir)
        return MarchedSolution(problem, solutions, edges[:len(solutions) + 1],
                               time.perf_counter() - start)
    solutions: list[Solution] = []
    for index, (t0, t1) in enumerate(itertools.pairwise(edges)):
        window = _window_problem(settings.problem, axis, initial, float(t0), float(t1),
                                 solutions[-1] if solutions else None, index)
        folder = None if checkpoint_dir is None else \
            os.path.join(os.fspath(checkpoint_dir), f"window_{index:03d}")
        start_from = solutions[-1].params if warm_start and solutions else None
        window_settings = dataclasses.replace(settings, problem=window,
                                              initial_params=start_from, checkpoint_dir=folder)
        solutions.append(_train(window_settings, TimeWindow(network, float(t0), float(t1)),
                                time.perf_counter()))
        if solutions[-1].stop_reason:  # a window that diverged: the later ones cannot start
            break
    return MarchedSolution(problem, solutions, edges[:len(solutions) + 1],
                           time.perf_counter() - start)


def _in_the_network(problem: PDE, initial: str) -> bool:
    """Whether every condition on the initial part is a hard Dirichlet condition: then the
    initial values travel inside the network's ansatz, and one program serves all windows."""
    return all(isinstance(bc, Dirichlet) and bc.hard for bc in problem.bcs
               if initial in _parts(bc, problem))


def _march_compiled_once(settings, network: nn.Module, axis: int, initial: str,
                         edges: np.ndarray, warm_start: bool, checkpoint_dir: Any
                         ) -> list[Solution]:
    """The windows in order, all trained by the same compiled programs: the window (its
    edges, its index and the earlier windows' parameters) is data in the batch."""
    problem, dtype, count = settings.problem, settings.dtype, len(edges) - 1
    template = _window_problem(problem, axis, initial, float(edges[0]), float(edges[1]), None, 0)
    model = periodic_inputs(template, TimeWindow(network, float(edges[0]), float(edges[1])))
    fresh = init_params(model, prng_key(settings.seed),
                        np.zeros((1, problem.domain.dim), np.float32), dtype)
    single_points = accepts_single_points(model, fresh, problem.domain.dim,
                                          1 if problem.fields is None else len(problem.fields))
    field = _window_field(template, model, single_points, initial)
    earlier = jax.tree_util.tree_map(lambda leaf: np.zeros((count, *np.shape(leaf)), dtype),
                                     fresh)
    solutions: list[Solution] = []
    for index, (t0, t1) in enumerate(itertools.pairwise(edges)):
        window = {"edges": jnp.asarray(edges, dtype), "index": jnp.asarray(index, jnp.int32),
                  "params": jax.tree_util.tree_map(jnp.asarray, earlier)}
        traced = TracedFrom(template, model, field, _with_window, {"window": window})
        folder = None if checkpoint_dir is None else \
            os.path.join(os.fspath(checkpoint_dir), f"window_{index:03d}")
        start_from = solutions[-1].params if warm_start and solutions else \
            settings.initial_params
        window_settings = dataclasses.replace(
            settings, problem=_window_problem(problem, axis, initial, float(t0), float(t1), None,
                                              index),
            initial_params=start_from, checkpoint_dir=folder)
        solutions.append(_train(window_settings, model, time.perf_counter(), traced))
        # the network as window k applies it (trained through window 0's, time mapped)
        solutions[-1].model = periodic_inputs(template, TimeWindow(network, float(t0), float(t1)))
        if solutions[-1].stop_reason:  # a window that diverged: the later ones cannot start
            break
        for stack, leaf in zip(jax.tree_util.tree_leaves(earlier),
                               jax.tree_util.tree_leaves(solutions[-1].params), strict=True):
            stack[index] = np.asarray(leaf)
    return solutions


def _with_window(params: Any, batch: Any) -> tuple[Any, Any]:
    """The `Bind` (see `_residuals`) of a marched window: its parameters and the window data."""
    return params, batch["window"]


def _window_field(template: PDE, model: nn.Module, single_points: bool, initial: str
                  ) -> Callable:
    """``field((params, window))(x)``: the solution of window k at one point.

    ``u_k = g(x, t) + c_k(x) + d_k(x, t) N_k(x, t)`` for each component with a hard Dirichlet
    condition. N_k and d_k are window 0's network (`model`, with window k's parameters) and
    distance to the condition's parts, at x with its time moved from window k into window 0;
    when the condition covers the initial part, c_k carries the earlier windows:
    ``c_k(x) = Σ_{j<k} d_j N_j`` at ``(x, t_{j+1})``, which makes u_k equal to u_{k-1} at
    ``t_k`` (the window problems of `_carried`, summed).
    """
    names = template.fields
    hard = [(0 if name is None else names.index(name), bc, initial in _parts(bc, template))
            for name, bc in template.hard_dirichlets.items()]
    domain = template.domain
    start, end = (float(t) for t in np.asarray(domain.bounding_box)[:, -1])  # window 0's times
    length = end - start

    def in_window_0(index, edges, x):
        t0, t1 = edges[index], edges[index + 1]
        return x.at[-1].set(start + (x[-1] - t0) * length / (t1 - t0))

    def network(weights, index, edges, x):
        """Window `index`'s network at x: ``(m,)``."""
        y = in_window_0(index, edges, x)
        return model.apply(weights, y) if single_points else model.apply(weights, y[None])[0]

    def distances(index, edges, x):
        """Each hard condition's distance function in window `index`."""
        y = in_window_0(index, edges, x)[None]
        return [domain.distance(y, parts=bc.on)[0] for _, bc, _ in hard]

    def field(bound):
        params, window = bound
        edges, index, earlier = window["edges"], window["index"], window["params"]

        def carried(x):
            def term(j, weights):
                y = x.at[-1].set(edges[j + 1])
                out, shift = network(weights, j, edges, y), jnp.zeros(len(names or [0]), x.dtype)
                for (c, _, carries), d in zip(hard, distances(j, edges, y), strict=True):
                    shift = shift.at[c].set(d * out[c]) if carries else shift
                return jnp.where(j < index, shift, 0.0)

            return jnp.sum(jax.vmap(term)(jnp.arange(len(edges) - 1), earlier), axis=0)

        def vector(x):
            out = network(params, index, edges, x)
            if hard:
                shift = carried(x)
                for (c, bc, _), d in zip(hard, distances(index, edges, x), strict=True):
                    out = out.at[c].set(bc.value(x) + shift[c] + d * out[c])
            return out

        return (lambda x: vector(x)[0]) if names is None else Fields(names, vector)

    return field


def _time_axis(problem: PDE) -> tuple[int, str]:
    """The time coordinate and the name of the initial part of the problem's domain."""
    domain = problem.domain
    if isinstance(domain, SpaceTime):
        return domain.dim - 1, "initial"
    if isinstance(domain, Interval):
        return 0, "left"
    raise TypeError(f"march(problem=...): expected a problem on a pinn.SpaceTime domain (or a "
                    f"pinn.Interval in time for an ODE), got {type(domain).__name__}. Build "
                    "the domain as pinn.SpaceTime(space, t0, t1).")


def _edges(windows: Any, t0: float, t1: float) -> np.ndarray:
    if isinstance(windows, numbers.Integral) and not isinstance(windows, bool):
        if windows < 1:
            raise ValueError(f"march(windows={windows}): expected at least 1 window.")
        return np.linspace(t0, t1, int(windows) + 1)
    try:
        edges = np.asarray(windows, float)
    except (TypeError, ValueError):
        edges = np.empty(0)
    if edges.ndim != 1 or len(edges) < 2 or not np.all(np.diff(edges) > 0) or \
            not np.isclose(edges[0], t0) or not np.isclose(edges[-1], t1):
        raise ValueError(f"march(windows={windows!r}): expected a number of windows, or "
                         f"increasing window edges from t0 = {t0} to t1 = {t1}, e.g. "
                         f"[{t0}, {(t0 + t1) / 2}, {t1}].")
    edges[0], edges[-1] = t0, t1
    return edges


def _parts(condition: BoundaryCondition, problem: PDE) -> tuple[str, ...]:
    if condition.on is not None:
        return tuple(condition.on)
    domain = problem.domain
    return tuple(name for name in domain.boundary_parts if name != "final") \
        if isinstance(domain, SpaceTime) else tuple(domain.boundary_parts)


def _check_marchable(problem: PDE, initial: str) -> None:
    if problem.unknowns or any(isinstance(bc, Observations) for bc in problem.bcs):
        raise ValueError("march(problem=...): an inverse problem (pinn.Unknown coefficients, "
                         "pinn.Observations) is fitted over the whole time span at once; solve "
                         "it with pinn.solve.")
    hard = [problem.component(bc) for bc in problem.bcs if isinstance(bc, Dirichlet) and bc.hard]
    several = sorted({str(field) for field in hard if hard.count(field) > 1})
    if several:
        of = "" if problem.fields is None else f" of the fields {several}"
        raise ValueError(
            f"march(problem=...): several Dirichlet(..., hard=True) conditions{of}; their "
            "blended lifting is built from the whole domain's distances, which do not move "
            "with the windows. Give each field one hard condition (one value function with "
            "on=[parts]) and the others soft, or solve over the whole span with pinn.solve.")
    final = "final" if isinstance(problem.domain, SpaceTime) else "right"
    for bc in problem.bcs:
        parts = _parts(bc, problem)
        if final in parts:
            raise ValueError(f"march(problem=...): {type(bc).__name__} on the part {final!r} "
                             "fixes the final time, which marching reaches last; solve a "
                             "boundary-value problem in time with pinn.solve.")
        carried = isinstance(bc, (Dirichlet, InitialRate, Derivative))
        if initial in parts and not carried:
            raise ValueError(f"march(problem=...): {type(bc).__name__} on the initial part "
                             f"{initial!r} cannot be carried from one window to the next; "
                             "give the initial values as pinn.Initial / pinn.InitialRate.")
        if initial in parts and len(parts) > 1 and not getattr(bc, "hard", False):
            raise ValueError(f"march(problem=...): the soft {type(bc).__name__} on {parts} "
                             f"mixes the initial part with others; give the initial values "
                             "their own pinn.Initial(...) condition.")


def _component(solution: Solution, field: str | None) -> Callable:
    """The previous window's solution (one field of it) as a function of one point."""
    u = solution.field(solution.params)
    return u[field] if isinstance(u, Fields) else u


def _window_problem(problem: PDE, axis: int, initial: str, t0: float, t1: float,
                    previous: Solution | None, index: int) -> PDE:
    """The problem on [t0, t1], its initial values those of the previous window at t0."""
    domain = SpaceTime(problem.domain.space, t0, t1) if isinstance(problem.domain, SpaceTime) \
        else Interval(t0, t1)
    window = copy.copy(problem)
    window.domain, window.name = domain, f"{problem.name} [window {index}: t in [{t0:g}, {t1:g}]]"
    bcs = []
    for bc in problem.bcs:
        if previous is not None and initial in _parts(bc, problem):
            bc = _carried(bc, previous, problem.component(bc), axis, t0)
        bcs.append(bc.bind(domain))
    window.bcs = tuple(bcs)
    return window


def _at_time(x: jax.Array, axis: int, t0: float) -> jax.Array:
    return x.at[axis].set(t0)


def _carried(bc: BoundaryCondition, previous: Solution, field: str | None, axis: int,
             t0: float) -> BoundaryCondition:
    """`bc` with its initial values taken from the previous window's solution at t0.

    In time alone (an ODE) those values are numbers, evaluated once; in space-time they are
    functions of x, evaluated through the previous window's network (and so through every
    window before it: the cost of window k grows with k).
    """
    if isinstance(bc, Dirichlet):
        order, along = 0, axis
    else:  # InitialRate (first time derivative) or Derivative(order, axis)
        order, along = getattr(bc, "order", 1), getattr(bc, "axis", axis)

    before = _component(previous, field)

    def initial(x):
        return operators.partial(before, along, order)(_at_time(x, axis, t0))

    if axis == 0:  # the domain is time alone: the initial values are numbers
        number = float(initial(jax.numpy.asarray([t0], previous.dtype)))

        def initial(x):
            return number

    carried = copy.copy(bc)
    if isinstance(bc, Dirichlet) and bc.hard:  # keep g's values on the lateral parts
        value = bc.value
        carried.value = lambda x: value(x) + initial(x) - value(_at_time(x, axis, t0))
    else:
        carried.value = initial
    return carried


__all__ = ["MarchedSolution", "march"]
