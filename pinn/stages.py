"""Optimizer stages of `pinn.solve`: each a number of steps of one optimizer, run in order.

    pinn.solve(problem, stages=[pinn.Adam(500, learning_rate=1e-2), pinn.LBFGS(1000)])
    pinn.solve(problem, stages=[pinn.GaussNewton(150)], dtype="float64")
    pinn.solve(problem, stages=[pinn.OptaxStage(optax.sgd(1e-3), 1000)])

A stage builds its Optax transformation from the problem's stacked residual vector (Gauss-Newton
needs the vector and its Jacobian, the others only the loss); every stage runs through the same
`jaxnn.train_loop`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import optax

from pinn._gn_memory import check_memory
from pinn.optimizers import check_dense_size, check_options, gauss_newton


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: expected a positive integer (a step count), got "
                        f"{type(value).__name__} {value!r}.")
    if value < 1:
        raise ValueError(f"{where}: expected a positive integer (a step count), got {value}.")
    return int(value)


def _positive_real(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not (math.isfinite(value) and value > 0):
        raise ValueError(f"{where}: expected a positive finite number, got {value!r}.")
    return float(value)


class Stage:
    """Base class: `steps` steps of one optimizer. `name` labels the stage in the history."""

    name = "stage"

    def __init__(self, steps: int):
        self.steps = _positive_int(steps, f"{type(self).__name__}(steps=...)")

    def transformation(self, residual_vector: Callable, residuals_and_jacobian: Callable
                       ) -> optax.GradientTransformation:
        """The Optax transformation of this stage (given the problem's residual vector
        ``(params, batch) -> r`` and ``(params, batch) -> (r, J)``)."""
        raise NotImplementedError

    def check(self, num_params: int, num_residuals: int | None = None) -> None:
        """Refuse a network this stage cannot train (before anything is compiled); with
        `num_residuals` (N, the rows of the residual vector), also what needs N to judge."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(steps={self.steps})"


class Adam(Stage):
    """Adam whose rate decays exponentially from `learning_rate` to ``decay · learning_rate``
    over the stage."""

    name = "adam"

    def __init__(self, steps: int = 2000, learning_rate: float = 1e-3, decay: float = 0.1):
        super().__init__(steps)
        self.learning_rate = _positive_real(learning_rate, "Adam(learning_rate=...)")
        self.decay = _positive_real(decay, "Adam(decay=...)")

    def transformation(self, residual_vector, residuals_and_jacobian):
        schedule = optax.exponential_decay(self.learning_rate, transition_steps=self.steps,
                                           decay_rate=self.decay)
        return optax.adam(schedule)

    def __repr__(self) -> str:
        return f"Adam(steps={self.steps}, learning_rate={self.learning_rate})"


class LBFGS(Stage):
    """Optax's L-BFGS with its zoom line search (`memory_size` past updates)."""

    name = "lbfgs"

    def __init__(self, steps: int = 2000, memory_size: int = 10):
        super().__init__(steps)
        self.memory_size = _positive_int(memory_size, "LBFGS(memory_size=...)")

    def transformation(self, residual_vector, residuals_and_jacobian):
        return optax.lbfgs(memory_size=self.memory_size)


class GaussNewton(Stage):
    """Levenberg-Marquardt Gauss-Newton on the stacked residual (`pinn.optimizers`).

    ``solver`` picks how the damped normal equations are solved (N residual rows, P
    parameters):

    - "dense": J (N x P) and JᵀJ (P x P) formed, LU: P up to a few thousand;
    - "kernel": J and the N x N matrix J D⁻¹ Jᵀ formed (Woodbury), the same steps as "dense",
      for N < P;
    - "cg": matrix-free conjugate gradients on jvp/vjp products, with a rank-`rank` Nyström
      preconditioner: memory O(N + P·rank), for large networks and many points (and the
      points split over the devices);
    - "auto" (default): "dense" when P <= N, "kernel" when N < P, while the factorised
      matrix is at most 6000 on a side and the solver's arrays take at most half the memory
      (the device's, or the host's physical memory); "cg" otherwise.

    Other keyword arguments go to `pinn.gauss_newton` (damping, scaling, momentum, geodesic,
    line_search, max_tries, rank, cg_iterations, cg_tolerance, sketch_every) and are checked
    here (a value out of range is a ValueError naming it, an unknown name a TypeError). Run
    it in float64 (``solve(..., dtype="float64")``).
    """

    def __init__(self, steps: int = 300, solver: str = "auto", **options: Any):
        super().__init__(steps)
        check_options("GaussNewton", {"solver": solver, **options})
        self.solver, self.options = solver, options

    @property
    def name(self) -> str:
        """The stage's name in the history: "gauss_newton" (dense or auto),
        "gauss_newton_kernel" or "gauss_newton_cg"."""
        return {"kernel": "gauss_newton_kernel", "cg": "gauss_newton_cg"}.get(
            self.solver, "gauss_newton")

    def transformation(self, residual_vector, residuals_and_jacobian):
        jacobian = None if self.solver == "cg" else residuals_and_jacobian
        return gauss_newton(residual_vector, jacobian, solver=self.solver, **self.options)

    def check(self, num_params: int, num_residuals: int | None = None) -> None:
        """Refuse a "dense" solver for more than `pinn.optimizers.DENSE_PARAMETER_LIMIT`
        parameters, and a "dense" or "kernel" one whose matrices would not fit in memory
        (checked again, with N, when the step is traced)."""
        if self.solver == "dense":
            check_dense_size(num_params, num_residuals=num_residuals)
        elif self.solver == "kernel":
            check_memory("kernel", num_residuals, num_params)

    def __repr__(self) -> str:
        return f"GaussNewton(steps={self.steps}, solver={self.solver!r})"


class OptaxStage(Stage):
    """Any Optax transformation for `steps` steps (labelled "custom" in the history)."""

    name = "custom"

    def __init__(self, transformation: optax.GradientTransformation, steps: int = 2000):
        if not isinstance(transformation, optax.GradientTransformation):
            raise TypeError(f"OptaxStage(transformation=...): expected an Optax "
                            f"GradientTransformation such as optax.adam(1e-3), got "
                            f"{type(transformation).__name__}.")
        super().__init__(steps)
        self._transformation = transformation

    def transformation(self, residual_vector, residuals_and_jacobian):
        return self._transformation


DEFAULT_STEPS = {"adam": 2000, "lbfgs": 2000, "gauss_newton": 300, "gauss_newton_kernel": 300,
                 "gauss_newton_cg": 300}
_GAUSS_NEWTON_SOLVERS = {"gauss_newton": "dense", "gauss_newton_kernel": "kernel",
                         "gauss_newton_cg": "cg"}


def check_stages(stages: Any) -> list[Stage]:
    """`stages` as a non-empty list of `Stage` objects (one stage alone is accepted)."""
    if isinstance(stages, Stage):
        return [stages]
    if not isinstance(stages, (list, tuple)) or not stages or \
            not all(isinstance(stage, Stage) for stage in stages):
        raise TypeError(f"solve(stages={stages!r:.120}): expected a list of optimizer stages, e.g. "
                        "[pinn.Adam(1000, learning_rate=1e-3), pinn.LBFGS(2000)] or "
                        "[pinn.GaussNewton(200)].")
    return list(stages)


def stages_from_names(optimizer: Any, steps: Any = None, learning_rate: float = 1e-3
                      ) -> list[Stage]:
    """The stages of the older `solve(optimizer=..., steps=..., learning_rate=...)` form:
    names joined by "+" ("adam+lbfgs", "gauss_newton"), Optax transformations or a list."""
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
    if not (isinstance(learning_rate, numbers.Real) and math.isfinite(learning_rate)
            and learning_rate > 0):
        raise ValueError(f"solve(learning_rate={learning_rate!r}): expected a positive number.")
    stages: list[Stage] = []
    for spec, count in zip(specs, steps, strict=True):
        name = "custom" if isinstance(spec, optax.GradientTransformation) else spec
        if name != "custom" and name not in DEFAULT_STEPS:
            raise ValueError(f"solve(optimizer={optimizer!r}): unknown stage {spec!r}; expected "
                             f"stages from {sorted(DEFAULT_STEPS)} joined by '+', or an Optax "
                             "transformation.")
        count = DEFAULT_STEPS.get(name, DEFAULT_STEPS["adam"]) if count is None else count
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
            raise (TypeError if isinstance(count, float) else ValueError)(
                f"solve(steps=...): step counts must be positive integers, got {count!r}.")
        if name == "custom":
            stages.append(OptaxStage(spec, count))
        elif name == "adam":
            stages.append(Adam(count, learning_rate))
        elif name == "lbfgs":
            stages.append(LBFGS(count))
        else:
            stages.append(GaussNewton(count, _GAUSS_NEWTON_SOLVERS[name]))
    return stages


def describe(stages: Sequence[Stage]) -> str:
    """"adam+lbfgs"-style label of a list of stages (for reports)."""
    return "+".join(stage.name for stage in stages)


__all__ = ["LBFGS", "Adam", "GaussNewton", "OptaxStage", "Stage", "check_stages", "describe",
           "stages_from_names"]
