"""Fields: functions of one point, scalar or with named components (systems of equations).

Functions of position (sources, boundary values, exact solutions) take ONE point ``x: (dim,)``
and return a scalar; `as_point_function` turns a number or such a function into that form and
`check_point_function` checks it abstractly (nothing is compiled). The conditions
(`pinn.conditions`), the equations (`pinn.equations`) and the solver share these helpers.

A `pinn.PDE` declared with ``fields=("x", "y")`` solves for several scalar fields at once
(Lotka-Volterra's two populations, Stokes' velocity and pressure, two coupled scalar fields).
The network then has one output per field; the residual receives ``u``, a read-only `Fields`
object, and returns one value per equation::

    def lotka_volterra(u, t):                 # x' = a x - b x y,  y' = c x y - d y
        x, y = u["x"](t), u["y"](t)           # u["x"] is a scalar function of one point
        return (partial(u["x"], 0)(t) - (a * x - b * x * y),
                partial(u["y"], 0)(t) - (c * x * y - d * y))

    problem = pinn.PDE(pinn.Interval(0, 5), lotka_volterra, fields=("x", "y"),
                       bcs=[pinn.Dirichlet(2.0, on="left", field="x"),
                            pinn.Dirichlet(1.0, on="left", field="y")])

Every component ``u["x"]`` (also ``u.x``) is a scalar function of one point, so all of
`pinn.operators` apply to it unchanged; ``u(x)`` is the vector of all components, shape (m,),
in the order of `fields`. Each condition names the component it constrains (``field="y"``;
a system of one field may leave it out), and a hard Dirichlet condition is built into that
component only: ``u_c = g_c + d_c(x) · N_c(x)``.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from jaxnn.validate import is_number, shown

PointFn = Callable[[jax.Array], jax.Array]  # a function of one point x: (dim,) -> ()

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Fields(Mapping):
    """The components of a vector-valued field at one point, by name (read-only).

    ``u["y"]`` (or ``u.y``) is the scalar function ``x: (dim,) -> ()`` of component "y";
    ``u(x)`` is the vector ``(m,)`` of all components in the declared order; iterating gives
    the names. Built by the solver around the network (and by `pinn.PDE` around a probe).

    Args:
        names: the component names, in order.
        vector: ``x: (dim,) -> (m,)``, all components at one point.
    """

    def __init__(self, names: Sequence[str], vector: Callable[[jax.Array], jax.Array]):
        object.__setattr__(self, "_names", tuple(names))
        object.__setattr__(self, "_vector", vector)
        object.__setattr__(self, "_index", {name: i for i, name in enumerate(self._names)})

    @property
    def names(self) -> tuple[str, ...]:
        """The component names, in the order of the network's outputs."""
        return self._names

    def __call__(self, x: jax.Array) -> jax.Array:
        """All components at one point ``x: (dim,)``, shape ``(m,)``."""
        return jnp.reshape(self._vector(x), (len(self._names),))

    def __getitem__(self, name: str) -> Callable[[jax.Array], jax.Array]:
        if name not in self._index:
            raise KeyError(f"u[{name!r}]: no such field; the system's fields are "
                           f"{list(self._names)} (declared in pinn.PDE(fields=...)).")
        index = self._index[name]
        vector = self.__call__

        def component(x: jax.Array) -> jax.Array:
            return vector(x)[index]

        component.__name__ = f"u_{name}"
        return component

    def __getattr__(self, name: str) -> Callable[[jax.Array], jax.Array]:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as error:
            raise AttributeError(error.args[0]) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Fields is read-only: the residual reads u['name'], it does not "
                             "assign to it.")

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"Fields({list(self._names)})"


def check_fields(fields: Any, argument: str = "PDE(fields=...)") -> tuple[str, ...] | None:
    """None (one scalar field) or a tuple of distinct identifier names, at least one."""
    if fields is None:
        return None
    if isinstance(fields, str) or not isinstance(fields, Sequence):
        hint = f" (a tuple, e.g. fields=({fields!r},))" if isinstance(fields, str) else ""
        raise TypeError(f"{argument}: expected a tuple of component names such as ('x', 'y'), "
                        f"got {shown(fields)}{hint}.")
    names = tuple(fields)
    bad = [name for name in names if not isinstance(name, str) or not _NAME.match(name)
           or keyword.iskeyword(name)]
    if bad or not names:
        raise ValueError(f"{argument}: expected at least one component name, each an "
                         f"identifier such as 'x', 'u1' or 'p', got {fields!r}"
                         + (f" (not identifiers: {bad})." if bad else "."))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{argument}: the names {repeated} are declared twice; give each "
                         "component its own name.")
    return names


def check_field_name(field: Any, argument: str) -> str | None:
    """A condition's ``field=...``: None or a non-empty string (checked against the PDE's
    fields when the PDE is built)."""
    if field is None or (isinstance(field, str) and field):
        return field
    raise TypeError(f"{argument}: expected the name of a component of the system, such as "
                    f"'y', or None, got {shown(field)}.")


def resolve_component(condition: Any, fields: tuple[str, ...] | None) -> str | None:
    """The component a condition constrains: its ``field``, or the only one of the system.

    Raises a ValueError naming the condition, the name given and the valid names when the
    name is not a field, when a system of several fields gets a condition without ``field=``,
    or when a scalar problem gets one with ``field=``.
    """
    label = type(condition).__name__
    field = getattr(condition, "field", None)
    if fields is None:
        if field is not None:
            raise ValueError(
                f"{label}(field={field!r}): this problem has one scalar field (no "
                "pinn.PDE(fields=...)), so there is no component to name. Drop field=..., or "
                f"declare the components, e.g. pinn.PDE(..., fields=({field!r}, ...))."
            )
        return None
    if field is None:
        if len(fields) == 1:
            return fields[0]
        raise ValueError(
            f"{label}(field=None): the system has the fields {list(fields)}; name the one this "
            f"condition constrains, e.g. {label}(..., field={fields[0]!r})."
        )
    if field not in fields:
        raise ValueError(
            f"{label}(field={field!r}): expected one of the fields {list(fields)} declared in "
            f"pinn.PDE(fields=...), got {field!r}. Fix the name, or add it to fields."
        )
    return field


def probe_fields(names: Sequence[str]) -> Fields:
    """Smooth, distinct stand-ins for the network's components (for abstract checks)."""
    shifts = jnp.arange(1, len(names) + 1)

    def vector(x):
        return jnp.sin(jnp.sum(x) + 0.3 * shifts) + 0.1 * shifts * jnp.sum(x**2)

    return Fields(names, vector)


def vector_valued(fn: Callable[..., Any]) -> Callable[..., jax.Array]:
    """`fn` with its value stacked into a vector ``(m,)``: a tuple or list of scalars, a
    scalar (m = 1) or a vector are all accepted."""
    if getattr(fn, "_vector_valued", False):
        return fn

    def vector(*args):
        return as_vector(fn(*args))

    vector._vector_valued = True
    vector.__wrapped__ = fn
    return vector


def as_vector(value: Any) -> jax.Array:
    """A residual's value as a vector ``(m,)``: entries of a tuple/list are raveled and joined."""
    if isinstance(value, (tuple, list)):
        if not value:
            raise ValueError("the residual returned an empty tuple: no equations")
        return jnp.concatenate([jnp.ravel(jnp.asarray(v)) for v in value])
    return jnp.ravel(jnp.asarray(value))


def check_system_residual(residual: Callable, dim: int, fields: tuple[str, ...],
                          unknowns: Sequence = ()) -> int:
    """Check (abstractly) ``residual(u, x[, k])`` of a system; return its number of equations.

    Each entry of a returned tuple/list must be one value, and the result a vector ``(m,)``
    with m >= 1 (a scalar is one equation).
    """
    probe = probe_fields(fields)
    point = jax.ShapeDtypeStruct((dim,), jnp.float32)
    values = {unknown.name: jnp.float32(unknown.init) for unknown in unknowns}
    call = (lambda x: residual(probe, x, values)) if unknowns else (lambda x: residual(probe, x))
    try:
        out = jax.eval_shape(call, point)
    except Exception as error:
        raise ValueError(
            f"PDE(residual=...): calling residual(u, x) on one point x of shape ({dim},) failed: "
            f"{type(error).__name__}: {str(error)[:300]}. For fields={fields}, u['name'] is the "
            "scalar function of one point of each component; the residual returns one value "
            "per equation (a tuple of scalars or a vector)."
        ) from error
    entries = out if isinstance(out, (tuple, list)) else [out]
    if not entries:
        raise ValueError(f"PDE(residual=...): returned an empty {type(out).__name__}; return "
                         f"one value per equation, e.g. (eq_{fields[0]}, ...).")
    for i, entry in enumerate(entries):
        shape = tuple(entry.shape)
        if isinstance(out, (tuple, list)) and math.prod(shape) != 1:
            raise ValueError(
                f"PDE(residual=...): entry {i} of the returned {type(out).__name__} has shape "
                f"{shape}; each equation must be one value at one point (shape ()). Write the "
                f"residual for ONE point x: ({dim},); the solver maps it over points."
            )
        if not isinstance(out, (tuple, list)) and len(shape) > 1:
            raise ValueError(
                f"PDE(residual=...): returned shape {shape} at one point; expected one value "
                f"per equation, a vector (m,) or a tuple of scalars, for fields={fields}."
            )
    count = sum(math.prod(entry.shape) for entry in entries)
    if count == 0:
        raise ValueError("PDE(residual=...): returned no values (shape (0,)); return one value "
                         "per equation.")
    return int(count)


def vector_point_function(fn: Any, size: int, dim: int, argument: str) -> Callable:
    """A function of one point returning ``(size,)`` (checked abstractly), e.g. the exact
    solution of a system: one value per component in the order of `fields`."""
    if not callable(fn):
        raise TypeError(f"{argument}: expected a function of one point x: ({dim},) returning "
                        f"{size} values (one per field), got {shown(fn)}.")
    try:
        out = jax.eval_shape(lambda x: as_vector(fn(x)),
                             jax.ShapeDtypeStruct((dim,), jnp.float32))
    except Exception as error:
        raise ValueError(f"{argument}: calling it on one point x of shape ({dim},) failed: "
                         f"{type(error).__name__}: {str(error)[:300]}.") from error
    if out.shape != (size,):
        raise ValueError(f"{argument}: expected {size} values per point (one per field, in the "
                         f"order of fields), got {out.shape[0]}.")
    return vector_valued(fn)


def as_point_function(value: float | PointFn, argument: str) -> PointFn:
    """A constant or a function of one point, as a function of one point returning shape ()
    (a function returning shape (1,), such as ``jnp.sin(x)`` on a 1-D domain, is reshaped)."""
    if callable(value):
        return scalar_valued(value)
    if getattr(value, "shape", None) == () and getattr(value, "dtype", None) is not None and \
            jnp.issubdtype(value.dtype, jnp.number) and not jnp.issubdtype(value.dtype, jnp.bool_):
        value = value.item()  # a 0-d NumPy or JAX array holding one number
    if is_number(value):
        constant = float(value)
        if not math.isfinite(constant):
            raise ValueError(f"{argument}: expected a finite number or a function of one point, "
                             f"got {value}.")
        return lambda x: jnp.asarray(constant, x.dtype)
    raise TypeError(
        f"{argument}: expected a finite number or a function of one point x: (dim,) -> scalar, "
        f"got {value!r}."
    )


def scalar_valued(fn: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
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


__all__ = ["Fields", "as_point_function", "as_vector", "check_field_name",
           "check_fields", "check_point_function", "check_system_residual", "probe_field",
           "probe_fields", "resolve_component", "scalar_valued", "vector_point_function",
           "vector_valued"]
