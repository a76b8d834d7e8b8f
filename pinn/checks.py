"""Checks at the door for problem definitions: domains, boundary-part selections (and the
parts of several hard Dirichlet conditions, which must not share one), and the
finiteness of sources, boundary values and exact solutions on a small probe of points.

Each raises a TypeError (wrong kind of value) or ValueError (right kind, wrong value) that
names the argument as the caller wrote it (``"Poisson(domain=...)"``), what was expected, what
came, and the fix. They are built on `jaxnn.validate` (integers, seeds, numbers, booleans,
paths, `shown`), the one validation module jaxnn and pinn share; only what knows about
domains, boundary parts and problems is here. Used by `pinn.fields`, `pinn.conditions` and
`pinn.equations`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.validate import check_int, check_seed, shown

PROBE_POINTS = 16  # points per probe set: enough to meet a NaN that is not a single point
_DOMAIN_METHODS = ("dim", "boundary_parts", "sample_interior", "sample_boundary")


def check_domain(domain: Any, argument: str) -> Any:
    """A pinn domain (`pinn.geometry.Domain`, or anything with its sampling interface)."""
    if all(hasattr(domain, name) for name in _DOMAIN_METHODS):
        return domain
    hint = ""
    if isinstance(domain, str):
        hint = (" Build the domain itself, e.g. pinn.Rectangle((0, 0), (1, 1)); a named problem "
                "of the registry is pinn.problems.get(name).build().")
    raise TypeError(f"{argument}: expected a pinn domain (pinn.Interval, pinn.Rectangle, "
                    f"pinn.Disk, pinn.Annulus, pinn.Polygon, pinn.Box, ...), got "
                    f"{shown(domain)}.{hint}")


def check_parts(on: Any, argument: str) -> tuple[str, ...] | None:
    """A boundary-part selection: None (the whole boundary), a name, or a list of names."""
    if on is None:
        return None
    names = (on,) if isinstance(on, str) else on
    if isinstance(names, (bytes, dict)) or not isinstance(names, (Sequence, np.ndarray)):
        raise TypeError(f"{argument}: expected None (the whole boundary), a part name such as "
                        f"'left', or a list of part names, got {shown(on)}.")
    names = tuple(names)
    bad = [name for name in names if not isinstance(name, str) or not name]
    if bad or not names:
        raise ValueError(f"{argument}: expected None (the whole boundary) or non-empty part "
                         f"names such as ['left', 'right'], got {on!r}. The domain's "
                         "boundary_parts lists the names.")
    return names


def check_name(name: Any, argument: str) -> str | None:
    """A label: None or a non-empty string."""
    if name is None or (isinstance(name, str) and name):
        return name
    raise TypeError(f"{argument}: expected None or a non-empty string, got {shown(name)}.")


def check_finite_on_probe(problem: Any, n: int = PROBE_POINTS, seed: int = 0) -> None:
    """Evaluate a problem's functions of position on a few points and raise ValueError naming
    the first one that is NaN or inf there, and where.

    Checked: the source (`problem.source`, if any) and the exact solution at n interior points;
    each boundary condition's value at n points of its boundary parts (a hard Dirichlet
    condition's value, evaluated everywhere by the ansatz, at the interior points too).
    Observations and conditions that are not on the boundary are left to their own checks.
    The points are drawn by the domain (seeded) in JAX's default float dtype; nothing is
    compiled. `solve` may call it again on options it adds.

    Args:
        problem: a `pinn.PDE` (or subclass).
        n: points per probe set.
        seed: seed of the probe points.
    """
    n = check_int(n, "check_finite_on_probe(n=...)", minimum=1)
    seed = check_seed(seed, "check_finite_on_probe(seed=...)")
    domain, label = problem.domain, type(problem).__name__
    interior = domain.sample_interior(n, seed=seed)
    probes: list[tuple[str, Callable, np.ndarray, str]] = []
    source = getattr(problem, "source", None)
    if callable(source):
        probes.append((f"{label}(source=...)", source, interior, "interior"))
    for bc in getattr(problem, "bcs", ()):
        value = getattr(bc, "value", None)
        if getattr(bc, "kind", None) != "boundary" or not callable(value):
            continue
        where = "boundary" if bc.on is None else f"boundary parts {list(bc.on)}"
        points = domain.sample_boundary(n, seed=seed, part=bc.on).points
        probes.append((f"{type(bc).__name__}(value=...)", value, points, where))
        if getattr(bc, "hard", False):
            probes.append((f"{type(bc).__name__}(value=..., hard=True)", value, interior,
                           "interior, where the hard-constraint ansatz evaluates it"))
    if callable(getattr(problem, "exact", None)):
        probes.append((f"{problem.name}(exact=...)", problem.exact, interior, "interior"))
    for argument, fn, points, where in probes:
        _check_finite_values(fn, points, argument, where)


def _check_finite_values(fn: Callable, points: np.ndarray, argument: str, where: str) -> None:
    x = jnp.asarray(points, jnp.result_type(float))
    try:
        values = np.asarray(jax.vmap(fn)(x), dtype=float).reshape(len(points), -1)
    except Exception as error:  # the user's function, on concrete points: say whose it is
        raise ValueError(f"{argument}: evaluating it on {len(points)} probe points of the "
                         f"{where} failed: {type(error).__name__}: {str(error)[:300]}") from error
    finite = np.isfinite(values).all(axis=1)
    if finite.all():
        return
    first = int(np.argmin(finite))
    raise ValueError(
        f"{argument}: expected finite values on the {where}, got {values[first].tolist()} at "
        f"x = {np.asarray(x[first]).tolist()} ({int((~finite).sum())} of {len(points)} probe "
        "points non-finite). Fix the function there (a division by zero, a log or square "
        "root of a negative number, an overflow?) before training."
    )


def check_disjoint_parts(conditions: Sequence[Any], domain: Any, where: str,
                         field: str | None = None) -> None:
    """Refuse two of `conditions` (Dirichlet conditions of one field) on a common part."""
    everything = tuple(domain.boundary_parts)
    seen: dict[str, int] = {}
    for i, bc in enumerate(conditions):
        for part in bc.on or everything:
            if part in seen:
                of = "" if field is None else f" of field {field!r}"
                raise ValueError(
                    f"{where}: two Dirichlet(..., hard=True) conditions{of} both hold on the "
                    f"part {part!r} (hard conditions {seen[part] + 1} and {i + 1}, "
                    f"on={conditions[seen[part]].on} and on={bc.on}). Each part takes one "
                    "value: give the conditions disjoint on=[parts] (on=None is the whole "
                    "boundary).")
            seen[part] = i


__all__ = ["PROBE_POINTS", "check_disjoint_parts", "check_domain", "check_finite_on_probe",
           "check_name", "check_parts"]
