"""Boundary and initial conditions: the base class and the classical conditions.

Boundary conditions apply to the whole boundary (``on=None``) or to named parts of it
(``on="left"`` or ``on=["left", "right"]``; see ``domain.boundary_parts``):

- `Dirichlet`: u = g
- `Neumann`:   ∂u/∂n = g            (outward normal)
- `Robin`:     a u + b ∂u/∂n = g

On a `pinn.SpaceTime` domain (time the last coordinate t), the initial conditions sit on its
part ``"initial"`` (t = t0):

- `Initial`:     u(x, t0) = g(x, t0)     (a Dirichlet condition on "initial"; ``hard=True`` too)
- `InitialRate`: ∂u/∂t(x, t0) = v(x, t0) (the second initial condition of the wave equation)

``Dirichlet(g, hard=True)`` imposes u = g exactly through the ansatz u = g + d(x)·N(x), where
d is the domain's distance function (zero on the boundary parts); g must then be defined (and
smooth) inside the domain too, since it is evaluated everywhere. Several hard conditions of one
field, on disjoint parts, are blended into one (`blend_dirichlet`): u = 1 on a square's sides
and u = 0 on a hole need no lifting written by hand.

In a system (``pinn.PDE(..., fields=("x", "y"))``) every condition names its component with
``field="x"`` (a system of one field may leave it out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jaxnn.validate import check_bool, check_number, shown
from pinn import operators
from pinn.checks import check_disjoint_parts, check_domain, check_parts
from pinn.fields import PointFn, as_point_function, check_field_name, check_point_function


class BoundaryCondition:
    """Base class: a condition on the whole boundary (``on=None``) or on named parts.

    `field` names the component of a system (``pinn.PDE(fields=...)``) the condition
    constrains; None for a scalar problem (or a system of one field).
    """

    kind = "boundary"

    def __init__(self, value: float | PointFn = 0.0, on: str | Sequence[str] | None = None,
                 field: str | None = None):
        self.value = as_point_function(value, f"{type(self).__name__}(value=...)")
        self.on = check_parts(on, f"{type(self).__name__}(on=...)")
        self.field = check_field_name(field, f"{type(self).__name__}(field=...)")

    def residual(self, u: PointFn, x: jax.Array, normal: jax.Array) -> jax.Array:
        """The condition's residual at ONE boundary point `x` (dim,) with outward unit normal
        `normal` (dim,), for the field ``u(x) -> scalar``: zero where the condition holds."""
        raise NotImplementedError

    def check(self, domain: Any) -> None:
        """Check the boundary parts exist and the value returns a scalar per point."""
        parts = tuple(domain.boundary_parts)
        for name in self.on or ():
            if name not in parts:
                raise ValueError(
                    f"{type(self).__name__}(on={name!r}): expected a boundary part of the "
                    f"domain {type(domain).__name__}, one of {list(parts)}, got {name!r}."
                )
        check_point_function(self.value, domain.dim, f"{type(self).__name__}(value=...)")

    def bind(self, domain: Any) -> BoundaryCondition:
        """The condition as applied on `domain` (called by `PDE` after `check`): the condition
        itself, or a copy that holds what it needs of the domain (`pinn.Periodic` its faces)."""
        del domain
        return self


class Dirichlet(BoundaryCondition):
    """u = value on the boundary (parts); ``hard=True`` imposes it exactly by the ansatz."""

    def __init__(self, value: float | PointFn = 0.0, on: str | Sequence[str] | None = None,
                 hard: bool = False, field: str | None = None):
        super().__init__(value, on, field)
        self.hard = check_bool(hard, f"{type(self).__name__}(hard=...)")

    def residual(self, u, x, normal):
        return u(x) - self.value(x)


def blend_dirichlet(domain: Any, conditions: Sequence[Dirichlet]) -> Dirichlet:
    """One hard Dirichlet condition that is each of `conditions` on its own parts.

    The value is the transfinite interpolation of the conditions' values (Sukumar &
    Srivastava 2022): ``g = Σ_i w_i g_i`` with ``w_i = Π_{j≠i} d_j / Σ_k Π_{j≠k} d_j``, d_j
    the domain's distance to the parts of condition j. On condition i's parts d_i = 0, so
    w_i = 1 and g = g_i; inside, g is as smooth as the distances. The parts must be disjoint
    (`PDE` checks it). Where two of them meet (a corner shared by parts of different
    conditions) every product vanishes and g is the mean of the values there: a
    discontinuous condition has no smooth lifting, so give such parts one condition.
    One condition is returned as it is.
    """
    check_domain(domain, "blend_dirichlet(domain=...)")
    if isinstance(conditions, Dirichlet) or not isinstance(conditions, Sequence) or \
            not conditions or not all(isinstance(bc, Dirichlet) for bc in conditions):
        raise TypeError(f"blend_dirichlet(conditions=...): expected a non-empty list of "
                        f"pinn.Dirichlet conditions, got {shown(conditions)}.")
    conditions = list(conditions)
    for bc in conditions:
        bc.check(domain)
    check_disjoint_parts(conditions, domain, "blend_dirichlet(conditions=...)")
    if len(conditions) == 1:
        return conditions[0]
    selected = set().union(*(bc.on for bc in conditions))
    parts = [name for name in domain.boundary_parts if name in selected]

    def value(x: jax.Array) -> jax.Array:
        distances = jnp.stack([domain.distance(x[None, :], parts=bc.on)[0]
                               for bc in conditions])
        values = jnp.stack([jnp.asarray(bc.value(x), distances.dtype) for bc in conditions])
        others = jnp.stack([jnp.prod(distances[:i]) * jnp.prod(distances[i + 1:])
                            for i in range(len(conditions))])
        total = jnp.sum(others)
        apart = total > 0
        blended = jnp.sum(others * values) / jnp.where(apart, total, 1.0)
        return jnp.where(apart, blended, jnp.mean(values))

    return Dirichlet(value, on=parts, hard=True, field=conditions[0].field)


class Neumann(BoundaryCondition):
    """∂u/∂n = value on the boundary (parts), n the outward unit normal."""

    def residual(self, u, x, normal):
        return operators.normal_derivative(u)(x, normal) - self.value(x)


class Robin(BoundaryCondition):
    """a·u + b·∂u/∂n = value on the boundary (parts)."""

    def __init__(self, a: float, b: float, value: float | PointFn = 0.0,
                 on: str | Sequence[str] | None = None, field: str | None = None):
        super().__init__(value, on, field)
        a, b = check_number(a, "Robin(a=...)"), check_number(b, "Robin(b=...)")
        if a == 0 and b == 0:
            raise ValueError(f"Robin(a={a}, b={b}): expected a and b not both zero, got both "
                             "zero (the condition would read 0 = value).")
        self.a, self.b = float(a), float(b)

    def residual(self, u, x, normal):
        return self.a * u(x) + self.b * operators.normal_derivative(u)(x, normal) - self.value(x)


class _OnInitial:
    """Mixin of the initial conditions: on the part "initial" of a `pinn.SpaceTime` domain."""

    def check(self, domain: Any) -> None:
        if "initial" not in tuple(domain.boundary_parts):
            raise ValueError(
                f"{type(self).__name__}(...): expected a pinn.SpaceTime domain (it has the part "
                f"'initial', t = t0), got {type(domain).__name__} with parts "
                f"{list(domain.boundary_parts)}. Build the domain as pinn.SpaceTime(space, t0, "
                "t1), or name the part where t = t0 with pinn.Dirichlet(value, on=part)."
            )
        super().check(domain)


class Initial(_OnInitial, Dirichlet):
    """u(x, t0) = value(x, t0) on the part "initial" of a `pinn.SpaceTime` domain.

    A `Dirichlet` condition on that part: ``hard=True`` builds it into the network the same
    way (value then evaluated at every (x, t), so it must be smooth there).
    """

    def __init__(self, value: float | PointFn = 0.0, hard: bool = False,
                 field: str | None = None):
        super().__init__(value, on="initial", hard=hard, field=field)

    def __repr__(self) -> str:
        return f"Initial(hard={self.hard})"


class InitialRate(_OnInitial, BoundaryCondition):
    """∂u/∂t(x, t0) = value(x, t0) on the part "initial" of a `pinn.SpaceTime` domain.

    Time is the last coordinate; the derivative is one forward-mode pass along it. The wave
    equation u_tt = c² Δu needs it beside `Initial`.
    """

    def __init__(self, value: float | PointFn = 0.0, field: str | None = None):
        super().__init__(value, on="initial", field=field)

    def residual(self, u, x, normal):
        return operators.partial(u, x.shape[-1] - 1)(x) - self.value(x)


__all__ = ["BoundaryCondition", "Dirichlet", "Initial", "InitialRate", "Neumann", "Robin",
           "blend_dirichlet"]
