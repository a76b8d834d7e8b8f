"""Inverse problems: unknown coefficients of a PDE, learned with the network.

An `Unknown` is declared next to the PDE and trained with the network; the residual receives
the current values as a third argument, a dict from name to scalar::

    def diffusion(u, x, k):                       # u_t = D u_xx + f, x = (x, t)
        return partial(u, 1)(x) - k["D"] * partial(u, 0, 2)(x) - f(x)

    problem = pinn.PDE(domain, diffusion, unknowns=[pinn.Unknown("D", init=1.0)],
                       bcs=[pinn.Dirichlet(exact), pinn.Observations(points, values)])
    solution = pinn.solve(problem, stages=[pinn.GaussNewton(100)], dtype="float64")
    solution.unknowns["D"], solution.history["unknown_D"]

The data that determine them are `pinn.Observations` (in `pinn.conditions`), a point-set
condition beside the boundary conditions.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from pinn.fields import as_vector, probe_fields

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Unknown:
    """A scalar coefficient of the PDE learned with the network.

    Args:
        name: how the residual reads it, ``k[name]`` (an identifier, e.g. "D", "nu").
        init: the starting value (a finite number).
    """

    def __init__(self, name: str, init: float = 1.0):
        if not isinstance(name, str) or not _NAME.match(name):
            raise TypeError(f"Unknown(name={name!r}): expected an identifier such as 'D' or "
                            "'nu' (the residual reads it as k['D']).")
        if isinstance(init, bool) or not isinstance(init, numbers.Real) or \
                not math.isfinite(init):
            raise TypeError(f"Unknown({name!r}, init={init!r}): expected a finite number, the "
                            "starting value of the coefficient.")
        self.name, self.init = name, float(init)

    def __repr__(self) -> str:
        return f"Unknown({self.name!r}, init={self.init})"


def as_unknowns(unknowns: Unknown | Sequence[Unknown] | None) -> tuple[Unknown, ...]:
    """The unknowns as a tuple, checked: `Unknown` objects with distinct names."""
    if unknowns is None:
        return ()
    unknowns = (unknowns,) if isinstance(unknowns, Unknown) else tuple(unknowns)
    for unknown in unknowns:
        if not isinstance(unknown, Unknown):
            raise TypeError(f"PDE(unknowns=...): expected pinn.Unknown('name', init=...) "
                            f"objects, got {type(unknown).__name__} {unknown!r:.60}.")
    names = [unknown.name for unknown in unknowns]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"PDE(unknowns=...): the names {repeated} are declared twice; give "
                         "each unknown its own name.")
    return unknowns


def initial_values(unknowns: Sequence[Unknown], dtype) -> dict[str, jax.Array]:
    """``{name: init}`` as scalars of `dtype`: the unknowns' part of the trained parameters."""
    return {unknown.name: jnp.asarray(unknown.init, dtype) for unknown in unknowns}


def check_unknowns_used(residual: Callable, dim: int, unknowns: Sequence[Unknown],
                        fields: Sequence[str] | None = None) -> None:
    """Refuse an unknown the residual never reads: it could not be learned.

    The residual of a smooth probe field (`fields`: the components of a system, or None for a
    scalar field) is evaluated at a few points with each unknown moved away from its starting
    value in turn; if nothing changes, the residual does not use it.
    """
    if not unknowns:
        return
    points = jnp.asarray(np.random.default_rng(0).uniform(0.1, 0.9, (4, dim)), jnp.float32)

    def scalar_probe(x):
        return jnp.sum(jnp.sin(x + 0.3)) + jnp.prod(jnp.cos(x))

    probe = scalar_probe if fields is None else probe_fields(fields)

    def at(values):
        return np.asarray(jax.vmap(lambda x: as_vector(residual(probe, x, values)))(points))

    base = {u.name: jnp.float32(u.init) for u in unknowns}
    reference = at(base)
    for unknown in unknowns:
        moved = at({**base, unknown.name: jnp.float32(unknown.init + 0.37)})
        if np.array_equal(moved, reference):
            raise ValueError(
                f"PDE(unknowns=...): the residual does not depend on the unknown "
                f"{unknown.name!r} (moving it changes nothing), so it cannot be learned. Use it "
                f"in the residual as k[{unknown.name!r}] (the residual's third argument), or "
                "drop it from unknowns."
            )


__all__ = ["Unknown", "as_unknowns", "check_unknowns_used", "initial_values"]
