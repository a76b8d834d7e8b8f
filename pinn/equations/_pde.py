"""PDE problems for physics-informed training: the general PDE and the classical equations.

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

The boundary and initial conditions (`Dirichlet`, `Neumann`, `Robin`, `Initial`,
`InitialRate`, `OperatorBC`, `Derivative`, `Periodic`) and `Observations` live in
`pinn.conditions`.

Systems (several fields, ``PDE(..., fields=("x", "y"))``, see `pinn.fields`): the residual
receives ``u`` with ``u["x"]`` a scalar function of one point per component and returns one
value per equation; every condition names its component with ``field="x"`` (a system of one
field may leave it out), and each component may have one hard Dirichlet condition.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jaxnn.validate import check_number, shown
from pinn import operators
from pinn.checks import check_disjoint_parts, check_domain, check_finite_on_probe, check_name
from pinn.conditions import BoundaryCondition, Dirichlet, Observations, blend_dirichlet
from pinn.equations._unknown import as_unknowns, check_unknowns_used
from pinn.fields import (
    PointFn,
    as_point_function,
    check_fields,
    check_point_function,
    check_system_residual,
    probe_field,
    resolve_component,
    scalar_valued,
    vector_point_function,
    vector_valued,
)

Residual = Callable[[PointFn, jax.Array], jax.Array]


def _check_residual(residual: Residual, dim: int, unknowns: Sequence = ()) -> None:
    """Check (abstractly) that ``residual(u, x)`` (``residual(u, x, k)`` with unknowns) gives
    one value for one point."""
    try:
        point = jax.ShapeDtypeStruct((dim,), jnp.float32)
        values = {unknown.name: jnp.float32(unknown.init) for unknown in unknowns}
        extra = [values] if unknowns else []
        out = jax.eval_shape(lambda x: residual(probe_field, x, *extra), point)
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
            takes a third argument ``k``, a dict name -> scalar (see `pinn.Unknown`).
        fields: None (one scalar field) or the names of the components of a vector-valued
            field, e.g. ``("x", "y")``: the network then has one output per field, in this
            order (see `pinn.fields`).

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
            self.residual = scalar_valued(residual)
            _check_residual(residual, domain.dim, self.unknowns)
            self.equations = 1
        else:
            self.equations = check_system_residual(residual, domain.dim, self.fields,
                                                   self.unknowns)
            self.residual = vector_valued(residual)
        check_unknowns_used(residual, domain.dim, self.unknowns, self.fields)
        bcs = () if bcs is None else bcs
        if isinstance(bcs, str) or not isinstance(bcs, (BoundaryCondition, Observations, Sequence)):
            raise TypeError(f"{type(self).__name__}(bcs=...): expected a condition "
                            "(pinn.Dirichlet, pinn.Neumann, pinn.Robin) or a list of them, got "
                            f"{shown(bcs)}.")
        self.bcs = (bcs,) if isinstance(bcs, (BoundaryCondition, Observations)) else tuple(bcs)
        for bc in self.bcs:
            if not isinstance(bc, (BoundaryCondition, Observations)):
                raise TypeError(f"PDE(bcs=...): expected Dirichlet/Neumann/Robin conditions, got "
                                f"{type(bc).__name__}.")
            resolve_component(bc, self.fields)
            bc.check(domain)
        self.bcs = tuple(bc.bind(domain) if isinstance(bc, BoundaryCondition) else bc
                         for bc in self.bcs)
        self._check_hard_parts_disjoint("PDE(bcs=...)")
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

    def _hard_by_field(self) -> dict[str | None, list[Dirichlet]]:
        per_field: dict[str | None, list[Dirichlet]] = {}
        for bc in self.bcs:
            if isinstance(bc, Dirichlet) and bc.hard:
                per_field.setdefault(self.component(bc), []).append(bc)
        return per_field

    def _check_hard_parts_disjoint(self, where: str) -> None:
        """Refuse two hard Dirichlet conditions of one field on a common boundary part."""
        for field, conditions in self._hard_by_field().items():
            check_disjoint_parts(conditions, self.domain, where, field)

    @property
    def hard_dirichlets(self) -> dict[str | None, Dirichlet]:
        """The Dirichlet conditions imposed through the ansatz, by field (the key None for a
        scalar problem): a field's one hard condition, or its several blended into one
        (`pinn.conditions.blend_dirichlet`)."""
        cached = self.__dict__.get("_hard_cache")
        if cached is None or cached[0] is not self.bcs:  # built once per tuple of conditions
            cached = (self.bcs, {field: blend_dirichlet(self.domain, conditions)
                                 for field, conditions in self._hard_by_field().items()})
            self._hard_cache = cached
        return cached[1]

    @property
    def hard_dirichlet(self) -> Dirichlet | None:
        """The Dirichlet condition imposed through the ansatz, if any (for a system: the
        first one; `hard_dirichlets` has them all, by field)."""
        hard = list(self.hard_dirichlets.values())
        return hard[0] if hard else None

    def with_hard_dirichlet(self) -> PDE:
        """A copy of the problem whose Dirichlet conditions are imposed exactly, u = g + d·N.

        d is the domain's distance function to the conditions' boundary parts; the other
        conditions stay soft. The value g is then evaluated inside the domain too; several
        Dirichlet conditions of one field (on disjoint parts) are blended into one g
        (`pinn.conditions.blend_dirichlet`). For a system, every field's Dirichlet conditions
        are made hard (fields without one keep their soft conditions).
        """
        if not any(isinstance(bc, Dirichlet) for bc in self.bcs):
            raise ValueError(
                f"{self.name}.with_hard_dirichlet(): the problem has no Dirichlet condition; "
                "the distance-function ansatz imposes Dirichlet conditions. Add one, or keep "
                "the conditions soft.")
        constrained = copy.copy(self)
        constrained.bcs = tuple(Dirichlet(bc.value, bc.on, hard=True, field=bc.field)
                                if isinstance(bc, Dirichlet) else bc for bc in self.bcs)
        constrained._check_hard_parts_disjoint(f"{self.name}.with_hard_dirichlet()")
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


__all__ = ["PDE", "Helmholtz", "Laplace", "Poisson"]
