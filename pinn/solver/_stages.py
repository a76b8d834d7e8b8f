"""Optimizer stages of `pinn.solve`: each a number of steps of one optimizer, run in order.

    pinn.solve(problem, stages=[pinn.Adam(500, learning_rate=1e-2), pinn.LBFGS(1000)])
    pinn.solve(problem, stages=[pinn.GaussNewton(150)], dtype="float64")
    pinn.solve(problem, stages=[pinn.Adam(1000), pinn.BFGS(5000)], dtype="float64")
    pinn.solve(problem, stages=[pinn.OptaxStage(optax.sgd(1e-3), 1000)])

A stage builds its Optax transformation from the problem's stacked residual vector (Gauss-Newton
needs the vector and its Jacobian, the others only the loss); every stage runs through the same
`jaxnn.train_loop`. The loss of a solve is full batch and deterministic, so the line-search
stages (L-BFGS, BFGS) take each step's loss and gradient from the line search of the step
before (`jaxnn.training.reuse_line_search`); they start afresh once their line search fails
three times in a row, and stop moving if three more leave the loss where it was
(`jaxnn.training.stop_on_failure`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import optax

from jaxnn.training import (
    EarlyStopping,
    check_early_stopping,
    reuse_line_search,
    stop_on_failure,
)
from jaxnn.validate import check_int, check_number
from pinn.solver._gauss_newton import check_dense_size, check_options, gauss_newton
from pinn.solver._gn_memory import available_bytes, check_memory
from pinn.solver._quasi_newton import check_update, quasi_newton, quasi_newton_bytes


class Stage:
    """Base class: `steps` steps of one optimizer. `name` labels the stage in the history.

    Every stage takes ``early_stopping=jaxnn.EarlyStopping(monitor=..., patience=...)``: the
    stage ends once the monitored log ("loss", "relative_l2" where the problem has an exact
    solution, or a residual part) has not improved for `patience` epochs of ``log_every``
    steps, Keras's rule, and hands its best parameters to the next stage.
    """

    name = "stage"

    def __init__(self, steps: int, early_stopping: EarlyStopping | None = None):
        where = type(self).__name__
        self.steps = check_int(steps, f"{where}(steps=...)", minimum=1)
        self.early_stopping = check_early_stopping(early_stopping, where)
        if early_stopping is not None and early_stopping.monitor.startswith("val_"):
            raise ValueError(
                f"{where}(early_stopping=EarlyStopping(monitor={early_stopping.monitor!r})): "
                "pinn.solve has no validation data, so no 'val_*' logs. Monitor 'loss', a "
                "residual part such as 'boundary_loss', or 'relative_l2' where the problem has "
                "an exact solution: EarlyStopping(monitor='loss', patience=...).")

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

    def __init__(self, steps: int = 2000, learning_rate: float = 1e-3, decay: float = 0.1, *,
                 early_stopping: EarlyStopping | None = None):
        super().__init__(steps, early_stopping)
        self.learning_rate = check_number(learning_rate, "Adam(learning_rate=...)", above=0.0)
        self.decay = check_number(decay, "Adam(decay=...)", above=0.0)

    def transformation(self, residual_vector, residuals_and_jacobian):
        schedule = optax.exponential_decay(self.learning_rate, transition_steps=self.steps,
                                           decay_rate=self.decay)
        return optax.adam(schedule)

    def __repr__(self) -> str:
        return f"Adam(steps={self.steps}, learning_rate={self.learning_rate})"


class LBFGS(Stage):
    """Optax's L-BFGS with its zoom line search (`memory_size` past updates), started afresh
    after three failed line searches in a row and stopped if three more leave the loss where
    it was (`jaxnn.training.stop_on_failure`)."""

    name = "lbfgs"

    def __init__(self, steps: int = 2000, memory_size: int = 10, *,
                 early_stopping: EarlyStopping | None = None):
        super().__init__(steps, early_stopping)
        self.memory_size = check_int(memory_size, "LBFGS(memory_size=...)", minimum=1)

    def transformation(self, residual_vector, residuals_and_jacobian):
        return reuse_line_search(stop_on_failure(optax.lbfgs(memory_size=self.memory_size)))


class BFGS(Stage):
    """Dense quasi-Newton with a self-scaled update and a strong-Wolfe line search
    (`pinn.quasi_newton`): cheap steps (the line search's gradients, usually one, and two
    passes over the P x P matrix), so thousands of them, for networks up to some thousands of
    parameters. Run it in float64 (``solve(..., dtype="float64")``), after Adam or
    Gauss-Newton has found the solution's basin.

    Args:
        steps: quasi-Newton steps.
        update: "ssbroyden" (Urbán et al.'s self-scaled Broyden, default), "ssbfgs"
            (Al-Baali's self-scaled BFGS) or "bfgs".
        max_linesearch_steps: the most loss evaluations of one line search.
    """

    name = "bfgs"

    def __init__(self, steps: int = 5000, update: str = "ssbroyden", *,
                 max_linesearch_steps: int = 30,
                 early_stopping: EarlyStopping | None = None):
        super().__init__(steps, early_stopping)
        self.update = check_update(update, "BFGS")
        self.max_linesearch_steps = check_int(
            max_linesearch_steps, "BFGS(max_linesearch_steps=...)", minimum=1)

    def transformation(self, residual_vector, residuals_and_jacobian):
        return reuse_line_search(quasi_newton(self.update, self.max_linesearch_steps))

    def check(self, num_params: int, num_residuals: int | None = None) -> None:
        """Refuse a network whose P x P inverse Hessian would not fit in memory."""
        needed, available = quasi_newton_bytes(num_params), available_bytes()
        if available is not None and needed > available:
            raise ValueError(
                f"BFGS(): the {num_params} x {num_params} inverse Hessian and its update need "
                f"{needed / 1e9:.3g} GB, more than the {available / 1e9:.3g} GB of memory "
                "available. Use pinn.LBFGS(steps) (memory of order P) or the matrix-free "
                "pinn.GaussNewton(steps, solver='cg'), or a smaller network.")

    def __repr__(self) -> str:
        return f"BFGS(steps={self.steps}, update={self.update!r})"


class GaussNewton(Stage):
    """Levenberg-Marquardt Gauss-Newton on the stacked residual (`pinn.gauss_newton`).

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

    At the floor of the precision, once a step has been rejected at the largest damping
    with no momentum left (every later step would repeat it), the stage stops moving and
    each remaining step costs one evaluation of the residual, until the points change.
    Steps can therefore be given generously.
    """

    def __init__(self, steps: int = 300, solver: str = "auto", *,
                 early_stopping: EarlyStopping | None = None, **options: Any):
        super().__init__(steps, early_stopping)
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
        """Refuse a "dense" solver for more than `pinn.solver._gauss_newton.DENSE_PARAMETER_LIMIT`
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

    def __init__(self, transformation: optax.GradientTransformation, steps: int = 2000, *,
                 early_stopping: EarlyStopping | None = None):
        if not isinstance(transformation, optax.GradientTransformation):
            raise TypeError(f"OptaxStage(transformation=...): expected an Optax "
                            f"GradientTransformation such as optax.adam(1e-3), got "
                            f"{type(transformation).__name__}.")
        super().__init__(steps, early_stopping)
        self._transformation = transformation

    def transformation(self, residual_vector, residuals_and_jacobian):
        return self._transformation


DEFAULT_STEPS = {"adam": 2000, "lbfgs": 2000, "bfgs": 5000, "gauss_newton": 300,
                 "gauss_newton_kernel": 300, "gauss_newton_cg": 300}
# the solver of each Gauss-Newton stage name (the older keyword form names stages)
GAUSS_NEWTON_SOLVERS = {"gauss_newton": "auto", "gauss_newton_kernel": "kernel",
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


def describe(stages: Sequence[Stage]) -> str:
    """"adam+lbfgs"-style label of a list of stages (for reports)."""
    return "+".join(stage.name for stage in stages)


__all__ = ["BFGS", "GAUSS_NEWTON_SOLVERS", "LBFGS", "Adam", "GaussNewton", "OptaxStage",
           "Stage", "check_stages", "describe"]
