"""Collocation points as a fixed-shape batch: resampling, adaptive refinement, loss weights.

Everything that changes during training (fresh random points, refined points, loss weights)
changes array *values*, never shapes, so the compiled epoch is reused. Refinement writes into
preallocated slots whose mask turns from 0 to 1.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.training import CompileCache, fingerprint
from pinn.equations import PDE
from pinn.solver._residuals import Bind, make_residuals, pointwise_residual, trained_only

ADAPTIVE_DEFAULTS = {"every": 500, "add": 200, "candidates": 20_000, "rounds": 5}
# the refinement's residual programs, shared by solves that compute the same residual
_RESIDUAL_PROGRAMS = CompileCache(size=16)


def exact_test_set(problem: PDE, dtype, n: int = 10_000) -> tuple[jax.Array, jax.Array | None]:
    """A grid of ~n interior test points and the exact solution there (None if unknown):
    ``(n,)``, or ``(n, m)`` for a system of m fields."""
    points = jnp.asarray(problem.domain.sample_interior(n, seed=1234, method="grid"), dtype)
    if problem.exact is None:
        return points, None
    values = jax.vmap(problem.exact)(points)
    values = values.reshape(-1) if getattr(problem, "fields", None) is None else \
        values.reshape(len(points), -1)
    finite = np.isfinite(np.asarray(values)).reshape(len(points), -1).all(axis=1)
    if not finite.all():
        where = np.asarray(points)[np.argmin(finite)]
        raise ValueError(
            f"{problem.name}(exact=...): the exact solution is not finite at x = {where} (and "
            f"{int((~finite).sum()) - 1} other test points). Fix the formula or its domain."
        )
    return points, values


class CollocationBatch:
    """The interior and boundary points of a problem, with masks and loss weights (the batch
    behind the settings `pinn.Collocation`).

    ``batch()`` returns ``{"interior": (capacity, dim), "interior_mask": (capacity,),
    "boundary": [(points, normals) per soft condition], "weights": {...}}``.
    """

    def __init__(self, problem: PDE, n_interior: int, n_boundary: int, method: str, seed: int,
                 dtype, weights: Mapping[str, float] | None, adaptive: Mapping[str, int] | None):
        weights = dict(weights or {})
        unknown = set(weights) - {"interior", "boundary"}
        if unknown:
            raise ValueError(f"solve(weights=...): unknown keys {sorted(unknown)}; expected "
                             "'interior' and/or 'boundary'.")
        for key, value in weights.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
                    not (np.isfinite(value) and value > 0):
                raise ValueError(f"solve(weights={{'{key}': {value!r}}}): expected a positive "
                                 "finite number.")
        self.adaptive = None
        if adaptive is not None:
            unknown = set(adaptive) - set(ADAPTIVE_DEFAULTS)
            if unknown:
                raise ValueError(f"solve(adaptive=...): unknown keys {sorted(unknown)}; expected "
                                 f"some of {sorted(ADAPTIVE_DEFAULTS)}.")
            self.adaptive = {**ADAPTIVE_DEFAULTS, **adaptive}
            for key, value in self.adaptive.items():
                if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                    raise ValueError(f"solve(adaptive={{'{key}': {value!r}}}): expected a "
                                     "positive integer.")
            if self.adaptive["candidates"] < self.adaptive["add"]:
                raise ValueError(f"solve(adaptive=...): candidates="
                                 f"{self.adaptive['candidates']} must be at least add="
                                 f"{self.adaptive['add']} (the points are chosen among them).")
        self.problem, self.domain = problem, problem.domain
        self.n_boundary = n_boundary
        self.method, self.seed, self.dtype = method, seed, dtype
        # Boundary conditions to sample points for (not the hard one, not observations).
        self.soft_bcs = [bc for bc in problem.bcs if not getattr(bc, "hard", False)
                         and bc.kind == "boundary"]
        # A grid has about n_interior points: the buffer takes the count the domain gives.
        points = self.domain.sample_interior(n_interior, seed=seed, method=method)
        self.n_interior = len(points)
        extra = self.adaptive["add"] * self.adaptive["rounds"] if self.adaptive else 0
        self.interior = np.zeros((self.n_interior + extra, self.domain.dim))
        self.mask = np.zeros(self.n_interior + extra)
        self.mask[: self.n_interior] = 1.0
        self.active = self.n_interior
        self.rounds_done = 0
        # Steps (over all stages) of the last redraw and refinement, and redraws so far.
        self.last_draw, self.last_refine, self.draws = 0, 0, 0
        self.interior_weight = float(weights.get("interior", 1.0))
        self.boundary_weight = float(weights.get("boundary", 1.0))
        self.boundary_scale = 1.0
        self._draw(seed, points)

    def _draw(self, seed: int, interior: np.ndarray | None = None) -> None:
        """Fresh collocation points (the same count; `interior` if already drawn)."""
        if interior is None:
            interior = self.domain.sample_interior(self.n_interior, seed=seed, method=self.method)
        self.interior[: self.n_interior] = interior
        self.boundary = []
        for i, bc in enumerate(self.soft_bcs):
            sample = self.domain.sample_boundary(self.n_boundary, seed=seed + 7919 * (i + 1),
                                                 method=self.method, part=bc.on)
            self.boundary.append((np.asarray(sample.points), np.asarray(sample.normals)))

    def batch(self, epoch: int = 0) -> dict[str, Any]:
        del epoch
        def cast(a):
            return jnp.asarray(a, self.dtype)

        return {
            "interior": cast(self.interior),
            "interior_mask": cast(self.mask),
            "boundary": [(cast(p), cast(n)) for p, n in self.boundary],
            "weights": {
                "interior": cast(self.interior_weight),
                "boundary": [cast(self.boundary_weight * self.boundary_scale)
                             for _ in self.soft_bcs],
            },
        }

    def refine(self, residual_at: Callable[[Any, jax.Array], jax.Array], params: Any,
               seed: int) -> None:
        """Residual-based adaptive refinement: add the candidates of largest |residual|."""
        settings = self.adaptive
        candidates = self.domain.sample_interior(settings["candidates"], seed=seed)
        values = np.asarray(residual_at(params, jnp.asarray(candidates, self.dtype)))
        values = np.linalg.norm(values.reshape(len(candidates), -1), axis=1)  # all equations
        chosen = candidates[np.argsort(values)[-settings["add"]:]]
        self.interior[self.active: self.active + len(chosen)] = chosen
        self.mask[self.active: self.active + len(chosen)] = 1.0
        self.active += len(chosen)
        self.rounds_done += 1

    def data_fn(self, field: Callable, steps_per_epoch: int, resample_every: int | None,
                gradient_weighting: bool, steps_before: int = 0, bind: Bind = trained_only,
                problem: PDE | None = None) -> Callable[[int, Any], dict] | None:
        """``(epoch, params) -> batch`` for the training loop, or None if the batch is fixed.

        Between epochs: fresh points once `resample_every` steps have passed since the last
        draw, a refinement round once ``adaptive["every"]`` steps have passed since the last
        one, and the gradient-norm balance of the boundary weight. `steps_before` is the
        number of steps of earlier stages, so the counts run on across stages. `bind` and
        `problem` (default: the one the points are drawn for) are those the residual is
        built from (see `_residuals.stack_residuals`).
        """
        if not (resample_every or self.adaptive or gradient_weighting):
            return None
        problem = self.problem if problem is None else problem
        pointwise = pointwise_residual(problem, field)
        residual_program = _RESIDUAL_PROGRAMS.get(
            fingerprint(pointwise), lambda: jax.jit(jax.vmap(pointwise, in_axes=(None, 0))))

        def residual_at(params, x):
            return residual_program(bind(params, self.batch()), x)

        # Nothing to balance when no boundary condition is soft (a hard Dirichlet condition).
        balance = _gradient_balance(problem, field, bind) \
            if gradient_weighting and self.soft_bcs else None

        def update(epoch: int, params: Any) -> dict:
            step = steps_before + epoch * steps_per_epoch
            if resample_every and step - self.last_draw >= resample_every:
                self.draws += 1
                self._draw(self.seed + 7727 * self.draws)
                self.last_draw = step
            if self.adaptive and step - self.last_refine >= self.adaptive["every"] and \
                    self.rounds_done < self.adaptive["rounds"]:
                self.refine(residual_at, params, self.seed + 104729 + self.rounds_done)
                self.last_refine = step
            if balance is not None:
                ratio = float(balance(params, self.batch()))
                if np.isfinite(ratio) and ratio > 0:
                    self.boundary_scale = 0.9 * self.boundary_scale + 0.1 * ratio
            return self.batch()

        return update


def _gradient_balance(problem: PDE, field: Callable, bind: Bind) -> Callable:
    """max|∇θ L_interior| / mean|∇θ L_boundary| (Wang, Teng & Perdikaris 2021, Algorithm 1)."""
    residuals = make_residuals(problem, field, bind)[0]

    @jax.jit
    def balance(params, batch):
        g_interior = jax.grad(lambda p: residuals(p, batch)[1]["interior_loss"])(params)
        g_boundary = jax.grad(lambda p: residuals(p, batch)[1]["boundary_loss"])(params)
        flat_i = jnp.concatenate([jnp.ravel(g) for g in jax.tree_util.tree_leaves(g_interior)])
        flat_b = jnp.concatenate([jnp.ravel(g) for g in jax.tree_util.tree_leaves(g_boundary)])
        return jnp.max(jnp.abs(flat_i)) / (jnp.mean(jnp.abs(flat_b)) + 1e-30)

    return balance
