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

The domain is a `pinn.SpaceTime` (time its last coordinate) or a `pinn.Interval` in time (an
ODE, its part "left" the initial time). Each window's network sees time mapped onto [-1, 1]
(`pinn.networks.TimeWindow`). Inverse problems (unknowns, observations) and conditions on
the final time are not marched: solve those with `pinn.solve` over the whole span.
"""

from __future__ import annotations

import copy
import itertools
import numbers
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from pinn import operators
from pinn.conditions import Derivative
from pinn.equations import PDE, BoundaryCondition, Dirichlet, InitialRate
from pinn.geometry import Interval, SpaceTime
from pinn.inverse import Observations
from pinn.networks import TimeWindow
from pinn.solver import Solution, _build_model, solve
from pinn.systems import Fields


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
        points = self.test_points() if points is None else self._checked(points)
        squares = self._piecewise(points, lambda window, p: np.full(
            len(p), window.residual_rms(p) ** 2))
        return float(np.sqrt(np.mean(squares)))


def march(problem: PDE, model: Any = None, *, windows: int | Sequence[float] = 4,
          warm_start: bool = False, checkpoint_dir: str | None = None,
          **options: Any) -> MarchedSolution:
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
            stretch looks like the last in each window's own time (Burgers past its shock:
            1.2e-3 -> 2.4e-5; Lotka-Volterra over four periods: 1.6e-4 -> 1.4e-5); an
            oscillation whose windows differ in phase does better fresh (4e-6 against 4e-5).
        checkpoint_dir: checkpoint each window in its own subfolder ``window_000``, ...;
            with ``resume=True`` a killed march goes on where it stopped.
        **options: any keyword of `pinn.solve` (stages, collocation, dtype, seed, verbose,
            resume, ...), applied to every window.

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
    network = _build_model(model, options.pop("fourier_features", None),
                           options.get("seed", 0), outputs)
    solutions: list[Solution] = []
    for index, (t0, t1) in enumerate(itertools.pairwise(edges)):
        window = _window_problem(problem, axis, initial, float(t0), float(t1),
                                 solutions[-1] if solutions else None, index)
        folder = None if checkpoint_dir is None else \
            os.path.join(os.fspath(checkpoint_dir), f"window_{index:03d}")
        start_from = solutions[-1].params if warm_start and solutions else None
        solutions.append(solve(window, TimeWindow(network, float(t0), float(t1)),
                               initial_params=start_from, checkpoint_dir=folder, **options))
        if solutions[-1].stop_reason:  # a window that diverged: the later ones cannot start
            break
    return MarchedSolution(problem, solutions, edges[:len(solutions) + 1],
                           time.perf_counter() - start)


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
        initial = lambda x: number
    carried = copy.copy(bc)
    if isinstance(bc, Dirichlet) and bc.hard:  # keep g's values on the lateral parts
        value = bc.value
        carried.value = lambda x: value(x) + initial(x) - value(_at_time(x, axis, t0))
    else:
        carried.value = initial
    return carried


__all__ = ["MarchedSolution", "march"]
