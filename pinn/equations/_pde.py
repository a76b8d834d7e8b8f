"""PDE problems and boundary conditions for physics-informed training.

Sign conventions (written once, here):

- `Laplace`:   Δu = 0
- `Poisson`:   -Δu = f          (positive source, positive bump: the electrostatics convention)
- `Helmholtz`: Δu + k²u = f     (DeepXDE writes -Δu - k²u = f: the same equation with f -> -f)
- `PDE`:       residual(u, x) = 0 for any residual a user writes with `pinn.operators`.

Functions of position (sources, boundary values, exact solutions) take ONE point
``x: (dim,)`` and return a scalar; the solver maps them over points with `jax.vmap`.
A residual takes the field ``u`` (a function of one point returning a scalar) and the point::

    def grad_shafranov(u, x):               # ψ_RR - ψ_R / R + ψ_ZZ = P R² + (1 - P)
        R = x[0]
        return (partial(u, 0, 2)(x) - partial(u, 0)(x) / R + partial(u, 1, 2)(x)
                - (P * R**2 + (1 - P)))
    problem = pinn.PDE(domain, grad_shafranov, bcs=[pinn.Dirichlet(0.0)])

Boundary conditions apply to the whole boundary (``on=None``) or to named parts of it
(``on="left"`` or ``on=["left", "right"]``; see ``domain.boundary_parts``):

- `Dirichlet`: u = g
- `Neumann`:   ∂u/∂n = g            (outward normal)
- `Robin`:     a u + b ∂u/∂n = g
- `OperatorBC`: residual(u, x, n) = g for a residual written with `pinn.operators` (any
  derivative or combination: u'' = 0 at the free end of a beam); `Derivative`: ∂ᵏu/∂x_iᵏ = g
- `Periodic`:  u and its first derivatives along an axis agree on the two opposite faces of a
  box (``Periodic(axis=0, derivatives=1)``; ``hard=True`` makes it exact through the input)

(`OperatorBC`, `Derivative` and `Periodic` live in `pinn.conditions`.)

On a `pinn.SpaceTime` domain (time the last coordinate t), the initial conditions sit on its
part ``"initial"`` (t = t0):

- `Initial`:     u(x, t0) = g(x, t0)     (a Dirichlet condition on "initial"; ``hard=True`` too)
- `InitialRate`: ∂u/∂t(x, t0) = v(x, t0) (the second initial condition of the wave equation)

``Dirichlet(g, hard=True)`` imposes u = g exactly through the ansatz u = g + d(x)·N(x), where
d is the domain's distance function (zero on the boundary parts); g must then be defined (and
smooth) inside the domain too, since it is evaluated everywhere.

Systems (several fields, ``PDE(..., fields=("x", "y"))``, see `pinn.systems`): the residual
receives ``u`` with ``u["x"]`` a scalar function of one point per component and returns one
value per equation; every condition names its component with ``field="x"`` (a system of one
field may leave it out), and each component may have one hard Dirichlet condition.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jaxnn.validate import check_bool, check_number
from pinn import operators
from pinn.checks import check_domain, check_finite_on_probe, check_name, check_parts, shown
from pinn.inverse import Observations, as_unknowns, check_unknowns_used
from pinn.systems import (
    check_field_name,
    check_fields,
    check_system_residual,
    resolve_component,
    vector_point_function,
    vector_valued,
)

PointFn = Callable[[jax.Array], jax.Array]
Residual = Callable[[PointFn, jax.Array], jax.Array]


def as_point_function(value: float | PointFn, argument: str) -> PointFn:
    """A constant or a function of one point, as a function of one point returning shape ()
    (a function returning shape (1,), such as ``jnp.sin(x)`` on a 1-D domain, is reshaped)."""
    if callable(value):
        return _scalar_valued(value)
    if getattr(value, "shape", None) == () and getattr(value, "dtype", None) is not None and \
            jnp.issubdtype(value.dtype, jnp.number) and not jnp.issubdtype(value.dtype, jnp.bool_):
        value = value.item()  # a 0-d NumPy or JAX array holding one number
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        constant = float(value)
        if not math.isfinite(constant):
            raise ValueError(f"{argument}: expected a finite number or a function of one point, "
                             f"got {value}.")
        return lambda x: jnp.asarray(constant, x.dtype)
    raise TypeError(
        f"{argument}: expected a finite number or a function of one point x: (dim,) -> scalar, "
        f"got {value!r}."
    )


def _scalar_valued(fn: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """`fn` with its value reshaped to shape () (its size is checked at construction)."""
    if getattr(fn, "_scalar_valued", False):
        return fn

    def scalar(*args):
        return jnp.reshape(fn(*args), ())

    scalar._scalar_valued = True
    scalar.__wrapped__ = fn
    return scalar


def check_point_function(fn: PointFn, dim: int, argument: str) -> None:
    """Check (abstractly, nothing is compiled) that ``fn(x: (dim,))`` returns a scalar."""
    fn = getattr(fn, "__wrapped__", fn) if getattr(fn, "_scalar_valued", False) else fn
    try:
        out = jax.eval_shape(fn, jax.ShapeDtypeStruct((dim,), jnp.float32))
    except Exception as error:
        raise ValueError(
            f"{argument}: calling it on one point x of shape ({dim},) failed: {error}. It must "
            "take ONE point x: (dim,) and return a scalar; the solver maps it over points."
        ) from error
    if math.prod(out.shape) != 1:
        raise ValueError(
            f"{argument}: must return one value per point (shape () or (1,)), got shape "
            f"{out.shape} for a point of shape ({dim},). Write it for one point x: (dim,); the "
            "solver maps it over points."
        )


def probe_field(x: jax.Array) -> jax.Array:
    """A smooth scalar field of one point: the network's stand-in when a residual is checked
    abstractly, so that the operators have a field to act on."""
    return jnp.sum(jnp.sin(x))


def _check_residual(residual: Residual, dim: int, unknowns: Sequence = ()) -> None:
    """Check (abstractly) that ``residual(u, x)`` (``residual(u, x, k)`` with unknowns) gives
    one value for one point."""
    try:
        point = jax.ShapeDtypeStruct((dim,), jnp.float32)
        values = {unknown.name: jnp.float32(unknown.init) for unknown in unknowns}
        out = jax.eval_shape(lambda x: residual(probe_field, x, *([values] if unknowns else [])), point)
    except Exception as error:
        raise ValueError(
            f"PDE(residual=...): calling residual(u, x) on one point x of shape ({dim},) failed: "
            f"{type(error).__name__}: {str(error)[:300]}. It must take the field u (a function of "
            "one point) and ONE point x: (dim,), and return a scalar."
        ) from error
    if math.prod(out.shape) != 1:
        raise ValueError(
            f"PDE(residual=...): must return one value per point, got shape {out.shape} for a "
            f"point of shape ({dim},). Write it for one point; the solver maps it over points. "
            "For several equations in several fields, declare them: pinn.PDE(..., "
            "fields=('u', 'v'))."
        )


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


class PDE:
    """A PDE ``residual(u, x) = 0`` in `domain` with boundary conditions `bcs`.

    Args:
        domain: a `pinn.geometry` domain.
        residual: ``(u, x) -> scalar`` with u a function of one point. For a system
            (`fields` given): ``(u, x) -> (m,)``, one value per equation (a tuple of scalars
            is stacked), with ``u["name"]`` the scalar function of one point of each field.
        bcs: boundary conditions (`Dirichlet`, `Neumann`, `Robin`, `pinn.OperatorBC`,
            `pinn.Derivative`, `pinn.Periodic`, ...) and `pinn.Observations`; in a system each
            names its component, ``field="name"``.
        exact: the exact solution ``x: (dim,) -> scalar``, if known (for error reports); for
            a system ``x: (dim,) -> (len(fields),)``, the components in the order of `fields`.
        name: a label for reports.
        unknowns: `pinn.Unknown` coefficients learned with the network; the residual then
            takes a third argument ``k``, a dict name -> scalar (see `pinn.inverse`).
        fields: None (one scalar field) or the names of the components of a vector-valued
            field, e.g. ``("x", "y")``: the network then has one output per field, in this
            order (see `pinn.systems`).

    Attributes:
        equations: the number of values the residual returns per point (1 for a scalar PDE).
    """

    def __init__(self, domain: Any, residual: Residual,
                 bcs: BoundaryCondition | Sequence[BoundaryCondition] = (),
                 exact: PointFn | None = None, name: str | None = None, unknowns: Any = (),
                 fields: Sequence[str] | None = None):
        if not callable(residual):
            raise TypeError(f"PDE(residual=...): expected a function (u, x) -> scalar, got "
                            f"{type(residual).__name__}.")
        self.domain = check_domain(domain, f"{type(self).__name__}(domain=...)")
        self.fields = check_fields(fields, f"{type(self).__name__}(fields=...)")
        self.unknowns = as_unknowns(unknowns)
        if self.fields is None:
            self.residual = _scalar_valued(residual)
            _check_residual(residual, domain.dim, self.unknowns)
            self.equations = 1
        else:
            self.equations = check_system_residual(residual, domain.dim, self.fields,
                                                   self.unknowns)
            self.residual = vector_valued(residual)
        check_unknowns_used(residual, domain.dim, self.unknowns, self.fields)
        bcs = () if bcs is None else bcs
        if isinstance(bcs, str) or not isinstance(bcs, (BoundaryCondition, Observations, Sequence)):
            raise TypeError(f"{type(self).__name__}(bcs=...): expected a condition (pinn.Dirichlet, "
                            f"pinn.Neumann, pinn.Robin) or a list of them, got {shown(bcs)}.")
        self.bcs = (bcs,) if isinstance(bcs, (BoundaryCondition, Observations)) else tuple(bcs)
        for bc in self.bcs:
            if not isinstance(bc, (BoundaryCondition, Observations)):
                raise TypeError(f"PDE(bcs=...): expected Dirichlet/Neumann/Robin conditions, got "
                                f"{type(bc).__name__}.")
            resolve_component(bc, self.fields)
            bc.check(domain)
        self.bcs = tuple(bc.bind(domain) if isinstance(bc, BoundaryCondition) else bc
                         for bc in self.bcs)
        hard = [bc for bc in self.bcs if isinstance(bc, Dirichlet) and bc.hard]
        if self.fields is None and len(hard) > 1:
            raise ValueError("PDE(bcs=...): at most one Dirichlet(..., hard=True) condition; "
                             "combine the values into one function of x with on=[parts].")
        components = [self.component(bc) for bc in hard]
        repeated = sorted({c for c in components if components.count(c) > 1})
        if repeated:
            raise ValueError(f"PDE(bcs=...): at most one Dirichlet(..., hard=True) condition per "
                             f"field; the fields {repeated} have several. Combine each field's "
                             "values into one function of x with on=[parts].")
        self.name = check_name(name, f"{type(self).__name__}(name=...)") or type(self).__name__
        self.exact = None
        if exact is not None and self.fields is not None:
            self.exact = vector_point_function(exact, len(self.fields), domain.dim,
                                               f"{self.name}(exact=...)")
        elif exact is not None:
            self.exact = as_point_function(exact, f"{self.name}(exact=...)")
            check_point_function(self.exact, domain.dim, f"{self.name}(exact=...)")
        check_finite_on_probe(self)  # NaN sources, boundary values, exact: before any training

    def component(self, condition: Any) -> str | None:
        """The field a condition of this problem constrains (None for a scalar problem)."""
        return resolve_component(condition, self.fields)

    @property
    def hard_dirichlets(self) -> dict[str | None, Dirichlet]:
        """The Dirichlet conditions imposed through the ansatz, by field (the key None for a
        scalar problem)."""
        return {self.component(bc): bc for bc in self.bcs
                if isinstance(bc, Dirichlet) and bc.hard}

    @property
    def hard_dirichlet(self) -> Dirichlet | None:
        """The Dirichlet condition imposed through the ansatz, if any (for a system: the
        first one; `hard_dirichlets` has them all, by field)."""
        hard = list(self.hard_dirichlets.values())
        return hard[0] if hard else None

    def with_hard_dirichlet(self) -> PDE:
        """A copy of the problem whose Dirichlet condition is imposed exactly, u = g + d·N.

        d is the domain's distance function to the condition's boundary parts; the other
        conditions stay soft. The value g is then evaluated inside the domain too. For a
        system, each field's one Dirichlet condition is made hard (fields without one keep
        their soft conditions).
        """
        dirichlet = [bc for bc in self.bcs if isinstance(bc, Dirichlet)]
        per_field: dict[str | None, list] = {}
        for bc in dirichlet:
            per_field.setdefault(self.component(bc), []).append(bc)
        several = {field: len(bcs) for field, bcs in per_field.items() if len(bcs) > 1}
        if not dirichlet or several:
            where = self.name if self.fields is None else \
                f"{self.name} (fields {', '.join(map(str, several))})"
            count = len(dirichlet) if self.fields is None or not several else \
                max(several.values())
            raise ValueError(
                f"hard_constraints=True: {where} has {count} Dirichlet conditions; "
                "the distance-function ansatz imposes exactly one"
                + (" per field. " if self.fields is not None else ". ")
                + ("Add a Dirichlet condition or leave hard_constraints=False."
                   if not dirichlet else
                   "Combine them into one Dirichlet(value, on=[parts]) whose value function "
                   "covers all parts, or leave hard_constraints=False.")
            )
        constrained = copy.copy(self)
        constrained.bcs = tuple(Dirichlet(bc.value, bc.on, hard=True, field=bc.field)
                                if isinstance(bc, Dirichlet) else bc for bc in self.bcs)
        return constrained

    def __repr__(self) -> str:
        fields = "" if self.fields is None else f", fields={self.fields}"
        return f"{self.name}(domain={self.domain!r}, bcs={len(self.bcs)}{fields})"


class Laplace(PDE):
    """Δu = 0 in the domain."""

    def __init__(self, domain, bcs=(), exact=None, name=None):
        check_domain(domain, "Laplace(domain=...)")
        super().__init__(domain, lambda u, x: operators.laplacian(u)(x), bcs, exact, name)


class Poisson(PDE):
    """-Δu = f in the domain (f = `source`, a number or a function of one point)."""

    def __init__(self, domain, source: float | PointFn, bcs=(), exact=None, name=None):
        check_domain(domain, "Poisson(domain=...)")
        source_fn = as_point_function(source, "Poisson(source=...)")
        check_point_function(source_fn, domain.dim, "Poisson(source=...)")
        self.source = source_fn
        super().__init__(domain, lambda u, x: -operators.laplacian(u)(x) - source_fn(x), bcs,
                         exact, name)


class Helmholtz(PDE):
    """Δu + k²u = f in the domain (f = `source`, default 0)."""

    def __init__(self, domain, k: float, source: float | PointFn = 0.0, bcs=(), exact=None,
                 name=None):
        check_domain(domain, "Helmholtz(domain=...)")
        k = check_number(k, "Helmholtz(k=...)", minimum=0.0, what="a wave number")
        source_fn = as_point_function(source, "Helmholtz(source=...)")
        check_point_function(source_fn, domain.dim, "Helmholtz(source=...)")
        self.k, self.source = float(k), source_fn
        k2 = self.k**2

        def residual(u, x):
            value, laplacian = operators.value_and_laplacian(u)(x)
            return laplacian + k2 * value - source_fn(x)

        super().__init__(domain, residual, bcs, exact, name)
