"""Boundary conditions beyond values and normal derivatives: any operator, and periodicity.

- `OperatorBC`: ``residual(u, x, n) = value`` on the boundary (parts), a residual written with
  `pinn.operators` like a PDE's, at ONE boundary point x with outward unit normal n. Conditions
  on derivatives of any order (the free end of a beam: u'' = u''' = 0) and on combinations
  of them.
- `Derivative`: ``∂ᵏu/∂x_iᵏ = value``, the one-line `OperatorBC` of a single derivative.
- `Periodic`: u and its first `derivatives` derivatives along one axis agree on the two
  opposite faces of a box (`pinn.Interval`, `pinn.Rectangle`, `pinn.Box`, a `pinn.SpaceTime`
  over one). Soft by default: points are drawn on the lower face x_i = lo_i and compared with
  their images on the upper face x_i = hi_i. ``hard=True`` feeds the network
  ``(cos 2π(x_i - lo_i)/L_i, sin 2π(x_i - lo_i)/L_i)`` instead of x_i, so every field is
  exactly periodic, to all orders (`PeriodicEmbedding`).

The Euler-Bernoulli cantilever EI u'''' = q, clamped at x = 0 and free at x = 1::

    free_end = [pinn.OperatorBC(lambda u, x, n: partial(u, 0, 2)(x), on="right"),   # u'' = 0
                pinn.OperatorBC(lambda u, x, n: partial(u, 0, 3)(x), on="right")]   # u''' = 0
    problem = pinn.PDE(pinn.Interval(0, 1), lambda u, x: partial(u, 0, 4)(x) + 1.0,
                       bcs=[pinn.Dirichlet(0.0, on="left"), pinn.Derivative(1, on="left"),
                            *free_end])
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxnn.validate import check_bool, check_int, shown
from pinn import operators
from pinn.conditions._base import BoundaryCondition
from pinn.fields import PointFn, probe_field
from pinn.geometry import Box

BoundaryResidual = Callable[[PointFn, jax.Array, jax.Array], jax.Array]


class OperatorBC(BoundaryCondition):
    """``residual(u, x, n) - value(x) = 0`` on the boundary (parts): a condition on anything
    `pinn.operators` can write.

    Args:
        residual: ``(u, x, n) -> scalar`` at ONE boundary point ``x: (dim,)`` with outward unit
            normal ``n: (dim,)``; u is the field (in a system: the component named by
            `field`), a scalar function of one point.
        value: subtracted from the residual: a number or a function of one point.
        on: the boundary part(s), or None for the whole boundary.
        field: the component of a system it constrains.

    Example, u''(1) = 0 on the interval [0, 1]::

        pinn.OperatorBC(lambda u, x, n: pinn.operators.partial(u, 0, 2)(x), on="right")
    """

    def __init__(self, residual: BoundaryResidual, value: float | PointFn = 0.0,
                 on: str | Sequence[str] | None = None, field: str | None = None):
        label = type(self).__name__
        if not callable(residual):
            raise TypeError(f"{label}(residual=...): expected a function (u, x, n) -> scalar "
                            "of the field u, ONE boundary point x and its outward normal n, "
                            f"e.g. lambda u, x, n: partial(u, 0, 2)(x), got {shown(residual)}.")
        super().__init__(value, on, field)
        self.operator = residual

    def residual(self, u, x, normal):
        return jnp.reshape(self.operator(u, x, normal), ()) - self.value(x)

    def check(self, domain: Any) -> None:
        """Check the parts, the value, and (abstractly) that the residual gives one value."""
        super().check(domain)
        label = f"{type(self).__name__}(residual=...)"

        point = jax.ShapeDtypeStruct((domain.dim,), jnp.float32)
        try:
            out = jax.eval_shape(lambda x, n: self.operator(probe_field, x, n), point, point)
        except Exception as error:
            raise ValueError(
                f"{label}: calling residual(u, x, n) on one point x and normal n of shape "
                f"({domain.dim},) failed: {type(error).__name__}: {str(error)[:300]}. It must "
                "take the field u (a function of one point), ONE boundary point x and its "
                "outward unit normal n, and return a scalar."
            ) from error
        if math.prod(out.shape) != 1:
            raise ValueError(
                f"{label}: must return one value per point (shape ()), got shape {out.shape} "
                f"for a point of shape ({domain.dim},). Write it for one point; for several "
                "conditions at the same place, give one OperatorBC each."
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(on={self.on}, field={self.field})"


class Derivative(OperatorBC):
    """``∂ᵏu/∂x_iᵏ = value`` on the boundary (parts), k = `order`, i = `axis` (k nested
    forward-mode passes; ``Derivative(1, on="left")`` is u'(a) = 0 on an interval).

    Args:
        order: the order k >= 1 of the derivative (0 is `pinn.Dirichlet`).
        value: a number or a function of one point.
        on: the boundary part(s), or None for the whole boundary.
        axis: the coordinate i it is taken along.
        field: the component of a system it constrains.
    """

    def __init__(self, order: int, value: float | PointFn = 0.0,
                 on: str | Sequence[str] | None = None, axis: int = 0,
                 field: str | None = None):
        label = type(self).__name__
        self.order = check_int(order, f"{label}(order=...)", minimum=0)
        if self.order == 0:
            raise ValueError(f"{label}(order=0): expected an order >= 1; a condition on the "
                             "value itself is pinn.Dirichlet(value, on=...).")
        self.axis = check_int(axis, f"{label}(axis=...)", minimum=0)
        order_, axis_ = self.order, self.axis
        super().__init__(lambda u, x, n: operators.partial(u, axis_, order_)(x), value, on,
                         field)

    def check(self, domain: Any) -> None:
        """Check the axis exists, then as `OperatorBC`."""
        _check_axis(self.axis, domain, f"{type(self).__name__}(axis={self.axis})")
        super().check(domain)

    def __repr__(self) -> str:
        return (f"Derivative(order={self.order}, axis={self.axis}, on={self.on}, "
                f"field={self.field})")


class Periodic(BoundaryCondition):
    """u and its first `derivatives` derivatives along `axis` agree on the two opposite faces
    x_axis = lo and x_axis = hi of a box-like domain.

    Soft (default): points x are drawn on the lower face and compared with their images x' on
    the upper face (x' = x with x_axis = hi); the residual at x is the vector
    ``(u(x') - u(x), ∂u(x') - ∂u(x), ..., ∂ᵈu(x') - ∂ᵈu(x))`` of ``derivatives + 1`` values,
    ∂ along `axis`. A second-order PDE needs ``derivatives=1`` (value and slope); a problem
    of order 2k, ``derivatives=2k - 1``.

    ``hard=True``: the network sees ``cos θ, sin θ`` with ``θ = 2π (x_axis - lo) / (hi - lo)``
    in place of x_axis (`PeriodicEmbedding`), so the solution is periodic exactly and to every
    order, for every field of a system; no points are drawn and `derivatives` is moot. A hard
    Dirichlet condition beside it must itself be periodic along the axis (its value and the
    distance function enter the ansatz unchanged).

    Works on `pinn.Interval`, `pinn.Rectangle`, `pinn.Box` and `pinn.SpaceTime` (whose last
    axis is time: periodic in time then). A periodic problem determines u only up to what the
    PDE pins down: -u'' = f periodic fixes u up to a constant; add a condition that fixes it.

    Args:
        axis: the coordinate along which the solution is periodic.
        derivatives: how many derivatives along `axis` must match too (>= 0).
        hard: build periodicity into the network input instead of penalising it.
        field: the component of a system it constrains (soft).
    """

    def __init__(self, axis: int = 0, derivatives: int = 1, hard: bool = False,
                 field: str | None = None):
        label = type(self).__name__
        self.axis = check_int(axis, f"{label}(axis=...)", minimum=0)
        self.derivatives = check_int(derivatives, f"{label}(derivatives=...)", minimum=0)
        self.hard = check_bool(hard, f"{label}(hard=...)")
        super().__init__(0.0, None, field)
        self.lower: float | None = None  # the faces, set by `bind`
        self.upper: float | None = None

    def check(self, domain: Any) -> None:
        """Check the domain is a box with the axis (it has two opposite faces along it)."""
        label = type(self).__name__
        if not isinstance(domain, Box):
            raise TypeError(
                f"{label}(axis={self.axis}): expected a domain with two opposite faces along "
                f"the axis, a box (pinn.Interval, pinn.Rectangle, pinn.Box, or pinn.SpaceTime "
                f"over one), got {shown(domain)}. Periodicity on another shape needs its own "
                "pairing of boundary points: write it with pinn.OperatorBC, or map the "
                "problem onto a box."
            )
        _check_axis(self.axis, domain, f"{label}(axis={self.axis})")

    def bind(self, domain: Any) -> Periodic:
        """A copy on `domain` (a box): it draws its points on the lower face of `axis`."""
        bound = copy.copy(self)
        lo, hi = domain.bounding_box
        bound.lower, bound.upper = float(lo[self.axis]), float(hi[self.axis])
        bound.on = (domain.boundary_parts[2 * self.axis],)  # a box's parts: (lower, upper)*dim
        return bound

    def residual(self, u, x, normal):
        """``(derivatives + 1,)``: ∂ᵏu(x') - ∂ᵏu(x), k = 0..derivatives, x' = x on the upper
        face."""
        if self.upper is None:
            raise ValueError("Periodic.residual: the condition is not bound to a domain; use "
                             "it through pinn.PDE(..., bcs=[...]), which binds it.")
        lower = x.at[self.axis].set(self.lower)
        upper = x.at[self.axis].set(self.upper)
        return jnp.stack([operators.partial(u, self.axis, k)(upper)
                          - operators.partial(u, self.axis, k)(lower)
                          for k in range(self.derivatives + 1)])

    def __repr__(self) -> str:
        return (f"Periodic(axis={self.axis}, derivatives={self.derivatives}, hard={self.hard}, "
                f"field={self.field})")


class PeriodicEmbedding(nn.Module):
    """``x -> network(x with each periodic x_i replaced by cos θ_i, sin θ_i)``,
    ``θ_i = 2π (x_i - lower_i) / period_i``: a network periodic along `axes` (to all orders).

    Built by `pinn.solve` around the model for ``pinn.Periodic(..., hard=True)``; works on one
    point ``(dim,)`` or a batch ``(n, dim)``.
    """

    network: nn.Module
    axes: tuple[int, ...]
    lower: tuple[float, ...]
    periods: tuple[float, ...]

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        columns = []
        for k in range(x.shape[-1]):
            if k in self.axes:
                i = self.axes.index(k)
                angle = 2 * jnp.pi * (x[..., k] - self.lower[i]) / self.periods[i]
                columns += [jnp.cos(angle), jnp.sin(angle)]
            else:
                columns.append(x[..., k])
        return self.network(jnp.stack(columns, axis=-1))


def periodic_inputs(problem: Any, model: nn.Module) -> nn.Module:
    """`model` wrapped in a `PeriodicEmbedding` for the problem's hard `Periodic` conditions
    (`model` itself when there are none)."""
    faces = {}
    for bc in problem.bcs:
        if isinstance(bc, Periodic) and bc.hard:
            faces[bc.axis] = (bc.lower, bc.upper - bc.lower)
    if not faces:
        return model
    axes = tuple(sorted(faces))
    return PeriodicEmbedding(model, axes, tuple(faces[k][0] for k in axes),
                             tuple(faces[k][1] for k in axes))


def _check_axis(axis: int, domain: Any, argument: str) -> None:
    if axis >= domain.dim:
        raise ValueError(f"{argument}: expected an axis of the {domain.dim}-D domain "
                         f"{type(domain).__name__}, 0 to {domain.dim - 1}, got {axis}.")


__all__ = ["Derivative", "OperatorBC", "Periodic", "PeriodicEmbedding", "periodic_inputs"]
