"""The result of `pinn.solve`: a trained solution, called on points, compared with an exact one.

`Solution` evaluates in the precision it was trained in; float64 needs JAX's x64 mode, which
pinn never switches on itself (`require_x64` refuses with the line that does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from pinn.equations import PDE
from pinn.solver._residuals import pointwise_map, pointwise_residual
from pinn.fields import vector_point_function

X64_LINE = 'jax.config.update("jax_enable_x64", True)'


def float_dtype(dtype: Any, where: str = "solve(dtype=...)") -> np.dtype:
    """float32 or float64 as a NumPy dtype; float64 only when JAX's x64 mode is on."""
    try:
        dtype = np.dtype(dtype)
    except TypeError as error:
        raise TypeError(f"{where}: expected 'float32' or 'float64', got {dtype!r}.") from error
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{where}: expected 'float32' or 'float64', got {dtype}.")
    if dtype == np.float64:
        require_x64(where)
    return dtype


def require_x64(where: str) -> None:
    """Refuse float64 work while JAX's x64 mode is off, with the line that turns it on."""
    if jax.dtypes.canonicalize_dtype(jnp.float64) != jnp.float64:
        raise ValueError(
            f"{where}: float64 needs JAX's x64 mode, which is off (JAX would silently compute "
            f"in float32). Turn it on once at the top of your script, before any JAX array is "
            f"made: {X64_LINE} (or set JAX_ENABLE_X64=1 in the environment). pinn never "
            "changes this global setting itself."
        )


@dataclasses.dataclass
class Solution:
    """A trained PDE solution: call it on points ``(n, dim)`` to get ``u: (n,)``.

    For a system (``pinn.PDE(fields=...)``), ``solution(points)`` is ``(n, m)``, the columns in
    the order of `fields`, and ``solution["y"]`` is the function ``points -> (n,)`` of one
    component. `relative_l2` and `max_error` then compare all components at once (the
    Frobenius norm of the ``(n, m)`` error over that of the exact values) or, with
    ``field="y"``, one; `residual_rms` is over all equations.

    Attributes:
        problem, model, params: what was solved and the trained parameters (the network's, or
            ``{"network": ..., "unknowns": {...}}`` with unknown coefficients).
        history: per log step: "step", "loss", "interior_loss", "boundary_loss", "data_loss",
            "relative_l2" (when the exact solution is known), "unknown_<name>" (the unknowns'
            values), "stage", "time".
        seconds: wall time of `solve`, compilation included.
        dtype: the floating-point type trained and evaluated in.
        stop_reason: why training stopped early (non-finite loss), else None.
    """

    problem: PDE
    model: nn.Module
    params: Any
    history: dict[str, list]
    seconds: float
    dtype: Any = np.float32
    stop_reason: str | None = None
    field: Callable | None = None

    def __post_init__(self) -> None:
        self.dtype = np.dtype(self.dtype)
        self._values = pointwise_map(lambda p, x: self.field(p)(x))
        self._residuals = pointwise_map(pointwise_residual(self.problem, self.field))

    @property
    def fields(self) -> tuple[str, ...] | None:
        """The component names of a system, the columns of ``solution(points)``; None for a
        scalar field."""
        return self.problem.fields

    def __getitem__(self, field: str) -> Callable[[Any], np.ndarray]:
        """The function ``points (n, dim) -> (n,)`` of the component `field` of a system."""
        index = self._field_index(field, "Solution[...]")

        def component(points: Any) -> np.ndarray:
            return self(points)[:, index]

        component.__name__ = f"solution_{field}"
        component.__doc__ = f"Component {field!r} of the solution at points (n, dim) -> (n,)."
        return component

    def _field_index(self, field: str, where: str) -> int:
        fields = self.problem.fields
        if fields is None:
            raise ValueError(f"{where}: field={field!r} given, but {self.problem.name} has one "
                             "scalar field (no pinn.PDE(fields=...)); call the solution itself.")
        if field not in fields:
            raise ValueError(f"{where}: expected one of the fields {list(fields)}, got "
                             f"{field!r}.")
        return fields.index(field)

    @property
    def float64(self) -> bool:
        """Whether the solution was trained (and is evaluated) in float64."""
        return self.dtype == np.float64

    @property
    def unknowns(self) -> dict[str, float]:
        """The recovered unknown coefficients, ``{name: value}`` ({} for a forward problem)."""
        if not self.problem.unknowns:
            return {}
        return {name: float(value) for name, value in self.params["unknowns"].items()}

    @property
    def unknown_history(self) -> dict[str, list[float]]:
        """Each unknown's value after every log step."""
        return {u.name: list(self.history.get(f"unknown_{u.name}", []))
                for u in self.problem.unknowns}

    def __call__(self, points: Any) -> np.ndarray:
        """u at ``points: (n, dim)``, returned as ``(n,)`` (``(n, m)`` for a system)."""
        x = self._device_points(self._checked(points), "Solution(points)")
        return np.asarray(self._values(self.params, x))

    def _device_points(self, points: np.ndarray, where: str) -> jax.Array:
        if self.float64:
            require_x64(f"{where} of a float64 solution")
        return jnp.asarray(points, self.dtype)

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

    def _measured(self, points: Any, where: str) -> np.ndarray:
        """`points` checked as by `_checked`, and inside the domain: an error or residual is
        measured on the problem's domain (evaluating the solution elsewhere is allowed)."""
        points = self._checked(points)
        domain = self.problem.domain
        outside = ~domain.contains(points)
        if outside.any():
            first = np.array2string(points[np.argmax(outside)], precision=6)
            raise ValueError(
                f"{where}(points=...): {int(outside.sum())} of {len(points)} points lie outside "
                f"the problem's domain {domain!r}, the first at x = {first}. Measure on points of "
                "the domain: drop the others from a reference grid with "
                "points[problem.domain.contains(points)], or leave points=None (a grid inside "
                "the domain).")
        return points

    def test_points(self, n: int = 10_000, seed: int = 1234) -> np.ndarray:
        """An evenly spaced grid of about `n` points inside the domain."""
        return np.asarray(self.problem.domain.sample_interior(n, seed=seed, method="grid"))

    def relative_l2(self, exact: Callable | None = None, points: Any = None,
                    field: str | None = None) -> float:
        """‖u - exact‖₂ / ‖exact‖₂ on `points` (default: a grid of ~10,000 interior points).

        For a system: over all components at once (`exact` returns ``(m,)`` per point), or
        the component `field` only (`exact` still returns all m, or is None for the
        problem's).
        """
        u, reference = self._compare(exact, points, field)
        return float(np.linalg.norm(u - reference) / np.linalg.norm(reference))

    def max_error(self, exact: Callable | None = None, points: Any = None,
                  field: str | None = None) -> float:
        """max |u - exact| on `points` (default: a grid of ~10,000 interior points); for a
        system over all components, or the component `field`."""
        u, reference = self._compare(exact, points, field, "max_error")
        return float(np.max(np.abs(u - reference)))

    def residual_rms(self, points: Any = None) -> float:
        """Root-mean-square PDE residual on `points` (for problems with no exact solution)."""
        points = self.test_points() if points is None else \
            self._measured(points, "residual_rms")
        residual = self._residuals(self.params, self._device_points(points, "residual_rms"))
        return float(jnp.sqrt(jnp.mean(residual**2)))

    def _compare(self, exact, points, field=None, where="relative_l2"):
        index = None if field is None else self._field_index(field, "relative_l2(field=...)")
        fields = self.problem.fields
        exact = exact or self.problem.exact
        if exact is None:
            raise ValueError(f"{self.problem.name} has no exact solution: pass exact=... (a "
                             "function of one point) or use residual_rms().")
        if fields is not None and exact is not self.problem.exact:
            exact = vector_point_function(exact, len(fields), self.problem.domain.dim,
                                          "relative_l2(exact=...)")
        points = self.test_points() if points is None else \
            self._measured(points, where)
        x = self._device_points(points, where)
        u = self(points)
        reference = np.asarray(jax.vmap(exact)(x)).reshape(u.shape)
        if index is not None:
            return u[:, index], reference[:, index]
        return u, reference


def relative_l2(solution: Solution, exact: Callable | None = None, points: Any = None) -> float:
    """Relative L2 error of `solution` against `exact` (see `Solution.relative_l2`)."""
    return solution.relative_l2(exact, points)



__all__ = ["X64_LINE", "Solution", "float_dtype", "relative_l2", "require_x64"]
