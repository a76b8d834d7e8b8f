"""Observations: measured values of the solution as a loss term (a point-set condition).

``Observations(points, values)`` asks ``u(x_i) = v_i`` at the given points, a loss term like a
boundary condition (DeepXDE's PointSetBC); with unknown coefficients (`pinn.Unknown`) it is
the data of an inverse problem. With a noise level σ the residual is ``(u(x_i) - v_i) / σ``,
the whitened misfit of a Gaussian likelihood.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from pinn.fields import check_field_name


class Observations:
    """Observed values of the solution, ``u(points) = values``: a loss term (a point-set
    condition) for inverse problems and for data.

    Args:
        points: ``(n, dim)`` coordinates inside the domain (or on its boundary).
        values: ``(n,)`` the observed values of u there.
        noise: None (exact data), or the standard deviation of the measurement error (a number
            or ``(n,)``): the residual is then ``(u - values) / noise``.
        field: in a system (``pinn.PDE(fields=...)``), the name of the observed component;
            None for a scalar problem (or a system of one field).
    """

    kind = "data"
    hard = False
    on = None

    def __init__(self, points: Any, values: Any, noise: float | Any = None,
                 field: str | None = None):
        self.field = check_field_name(field, "Observations(field=...)")
        self.points = _real_array(points, "points")
        self.values = _real_array(values, "values")
        if self.points.ndim == 1:
            self.points = self.points[:, None]
        if self.points.ndim != 2 or len(self.points) == 0:
            raise ValueError(f"Observations(points=...): expected a non-empty array (n, dim), "
                             f"got shape {self.points.shape}.")
        self.values = self.values.reshape(-1) if self.values.ndim == 2 and \
            self.values.shape[1] == 1 else self.values
        if self.values.shape != (len(self.points),):
            raise ValueError(f"Observations(values=...): expected one value per point, shape "
                             f"({len(self.points)},), got {self.values.shape}.")
        if noise is None:
            self.noise = np.ones(len(self.points))
        else:
            noise = _real_array(noise, "noise")
            if noise.ndim > 1 or noise.size not in (1, len(self.points)) or np.any(noise <= 0):
                raise ValueError(f"Observations(noise=...): expected a positive standard "
                                 f"deviation, one number or one per point ({len(self.points)}), "
                                 f"got {noise!r:.80}.")
            self.noise = np.broadcast_to(noise.reshape(-1), (len(self.points),)).copy()

    def check(self, domain: Any) -> None:
        """The points fit the domain's dimension and lie inside it (or on its boundary)."""
        if self.points.shape[1] != domain.dim:
            raise ValueError(f"Observations(points=...): the domain is {domain.dim}-D, the points "
                             f"have {self.points.shape[1]} coordinates (shape "
                             f"{self.points.shape}).")
        inside = np.asarray(domain.contains(self.points))
        if not inside.all():
            raise ValueError(f"Observations(points=...): {int((~inside).sum())} of "
                             f"{len(inside)} points lie outside the domain, e.g. "
                             f"{self.points[np.argmin(inside)]}; observe inside the domain.")

    def residual(self, u: Callable, x: jax.Array, value: jax.Array, noise: jax.Array
                 ) -> jax.Array:
        """The whitened misfit ``(u(x) - value) / noise`` at ONE observation point."""
        return (u(x) - value) / noise

    def __repr__(self) -> str:
        return f"Observations({len(self.points)} points)"


def _real_array(value: Any, argument: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as error:
        raise TypeError(f"Observations({argument}=...): expected an array of real numbers, "
                        f"got {type(value).__name__}.") from error
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Observations({argument}=...): expected real numbers, got dtype "
                        f"{array.dtype}.")
    if not np.isfinite(array).all():
        raise ValueError(f"Observations({argument}=...): contains NaN or inf at "
                         f"{int((~np.isfinite(array)).sum())} entries; drop those observations.")
    return array.astype(np.float64)


__all__ = ["Observations"]
