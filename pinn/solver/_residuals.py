"""The stacked residual vector that the losses and Gauss-Newton share.

``r(θ) = [sqrt(w_i / N_i) r_interior, sqrt(w_b / N_b) r_boundary, ..., sqrt(w_d / N_d) r_data]``
so the loss ``|r|²`` is ``Σ_parts w · mean(residual²)`` and the same vector (with its
per-point Jacobian) feeds the Gauss-Newton optimizer.

The trained parameters are the network's, or ``{"network": ..., "unknowns": {name: scalar}}``
when the PDE declares unknown coefficients (`pinn.Unknown`).

A block's residual may return one value per point or, for a system of m equations
(``pinn.PDE(fields=...)``), a vector ``(m,)`` per point: the block then holds ``n·m`` entries,
point-major (the m equations of point 0, then of point 1, ...), each point's scale applied to
all m of them, and its Jacobian rows are ``(n·m, P)`` (m reverse passes per point).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from pinn.equations import PDE
from pinn.fields import Fields

# (trained parameters, batch) -> what ``field(...)`` takes: the parameters themselves, or with
# data the batch carries (`pinn.march`'s earlier windows)
Bind = Callable[[Any, Mapping], Any]


def pointwise_map(fn: Callable[[Any, jax.Array], jax.Array]) -> Callable:
    """jit(vmap) of ``fn(params, x)`` over points ``x: (n, dim)``."""
    return jax.jit(jax.vmap(fn, in_axes=(None, 0)))


def accepts_single_points(model: nn.Module, params: Any, dim: int, outputs: int = 1) -> bool:
    """Whether ``model.apply(params, x)`` works on one point ``x: (dim,)`` (an MLP does).

    Such a model is applied to unbatched points under `vmap`, which XLA turns into plain
    matrix products; a leading batch axis of size 1 per point makes the reverse pass through
    the forward-mode Laplacian several times slower on CPU.
    """
    try:
        out = jax.eval_shape(model.apply, params, jax.ShapeDtypeStruct((dim,), jnp.float32))
    except Exception:  # noqa: BLE001 - a model that needs a batch axis: use x[None, :]
        return False
    return out.shape == (outputs,)


def network_params(problem: PDE, params: Any) -> Any:
    """The network's part of the trained parameters."""
    return params["network"] if problem.unknowns else params


def unknown_values(problem: PDE, params: Any) -> dict[str, jax.Array]:
    """The unknown coefficients' part of the trained parameters ({} without unknowns)."""
    return params["unknowns"] if problem.unknowns else {}


def make_field(problem: PDE, model: nn.Module, single_points: bool = False
               ) -> Callable[[Any], Callable[[jax.Array], jax.Array]]:
    """``field(params)(x)``: the solution at one point, with the hard-constraint ansatz if any.

    For a system (``problem.fields``), ``field(params)`` is a `pinn.Fields`: the
    network's m outputs by name, each with its own hard Dirichlet condition if it has one,
    ``u_c = g_c + d_c(x)·N_c(x)``.

    `single_points`: the model accepts one point ``(dim,)`` (see `accepts_single_points`).
    """
    if problem.fields is not None:
        return _system_field(problem, model, single_points)
    hard = problem.hard_dirichlet

    def field(params):
        weights = network_params(problem, params)

        def network(x):
            if single_points:
                return model.apply(weights, x)[0]
            return model.apply(weights, x[None, :])[0, 0]

        if hard is None:
            return network

        def constrained(x):
            distance = problem.domain.distance(x[None, :], parts=hard.on)[0]
            return hard.value(x) + distance * network(x)

        return constrained

    return field


def _system_field(problem: PDE, model: nn.Module, single_points: bool) -> Callable[[Any], Fields]:
    names = problem.fields
    hard = [(names.index(name), bc) for name, bc in problem.hard_dirichlets.items()]

    def field(params):
        weights = network_params(problem, params)

        def vector(x):
            out = model.apply(weights, x) if single_points else model.apply(weights, x[None, :])[0]
            for index, bc in hard:
                distance = problem.domain.distance(x[None, :], parts=bc.on)[0]
                out = out.at[index].set(bc.value(x) + distance * out[index])
            return out

        return Fields(names, vector)

    return field


def _component(problem: PDE, condition: Any, u: Callable) -> Callable[[jax.Array], jax.Array]:
    """The scalar field a condition acts on: u itself, or its component in a system."""
    return u if problem.fields is None else u[problem.component(condition)]


def pointwise_residual(problem: PDE, field: Callable) -> Callable[[Any, jax.Array], jax.Array]:
    """``(params, x) -> residual`` of the PDE at one point (the unknowns passed when declared)."""
    if problem.unknowns:
        return lambda params, x: problem.residual(field(params), x, params["unknowns"])
    return lambda params, x: problem.residual(field(params), x)


class ResidualTerm(NamedTuple):
    """One block of the stacked residual vector: a per-point residual and where its points are.

    ``residual(params, *point_args) -> scalar`` at one point; ``arguments(batch)`` gives the
    per-point arrays ``(n, ...)`` it is mapped over, ``scale(batch)`` the ``(n,)`` factors
    ``sqrt(weight / count)`` (times the mask) that make ``Σ (scale · residual)²`` the weighted
    mean square of this block, and ``mask(batch)`` the ``(n,)`` 0/1 mask of live points.
    `kind` ("interior", "boundary", "data" or "guess") names the history entry
    ``{kind}_loss``: the unweighted mean square, summed over the blocks of a kind.
    """

    kind: str
    residual: Callable[..., jax.Array]
    arguments: Callable[[Mapping], tuple]
    scale: Callable[[Mapping], jax.Array]
    mask: Callable[[Mapping], jax.Array]


def _interior_scale(batch: Mapping) -> jax.Array:
    mask = batch["interior_mask"]
    return jnp.sqrt(batch["weights"]["interior"] * mask / jnp.sum(mask))


def _uniform_scale(kind: str, i: int) -> Callable[[Mapping], jax.Array]:
    def scale(batch):
        count = batch[kind][i][0].shape[0]
        return jnp.full(count, jnp.sqrt(batch["weights"][kind][i] / count))

    return scale


def _all_live(kind: str, i: int) -> Callable[[Mapping], jax.Array]:
    return lambda batch: jnp.ones(batch[kind][i][0].shape[0])


def soft_conditions(problem: PDE) -> list:
    """The boundary conditions that get sampled points (all but the hard Dirichlet one)."""
    return [bc for bc in problem.bcs if bc.kind == "boundary" and not getattr(bc, "hard", False)]


def observations(problem: PDE) -> list:
    """The point-set conditions (`pinn.Observations`) of the problem."""
    return [bc for bc in problem.bcs if bc.kind == "data"]


def residual_terms(problem: PDE, field: Callable) -> list[ResidualTerm]:
    """The interior block, one block per soft boundary condition and one per observation set,
    in the order of the collocation batch."""
    terms = [ResidualTerm("interior", pointwise_residual(problem, field),
                          lambda batch: (batch["interior"],), _interior_scale,
                          lambda batch: batch["interior_mask"])]
    for i, bc in enumerate(soft_conditions(problem)):
        terms.append(ResidualTerm(
            "boundary", lambda p, x, n, bc=bc: bc.residual(_component(problem, bc, field(p)), x, n),
            lambda batch, i=i: tuple(batch["boundary"][i]), _uniform_scale("boundary", i),
            _all_live("boundary", i)))
    for i, data in enumerate(observations(problem)):
        terms.append(ResidualTerm(
            "data",
            lambda p, x, v, s, data=data: data.residual(_component(problem, data, field(p)),
                                                        x, v, s),
            lambda batch, i=i: tuple(batch["data"][i]), _uniform_scale("data", i),
            _all_live("data", i)))
    return terms


def guess_terms(field: Callable, guess: Callable[[jax.Array], jax.Array]) -> list[ResidualTerm]:
    """``u(x) - guess(x)`` at the interior points: fitting the network to an initial guess
    (for a system, both ``(m,)``)."""
    return [ResidualTerm("guess", lambda p, x: field(p)(x) - guess(x),
                         lambda batch: (batch["interior"],), _interior_scale,
                         lambda batch: batch["interior_mask"])]


def _mapped(term: ResidualTerm, params: Any, batch: Mapping) -> jax.Array:
    """The block's residuals ``(n, m)`` (m = 1 for a scalar residual)."""
    arguments = term.arguments(batch)
    in_axes = (None,) + (0,) * len(arguments)
    values = jax.vmap(term.residual, in_axes=in_axes)(params, *arguments)
    return values.reshape(values.shape[0], -1)


def trained_only(params: Any, batch: Mapping) -> Any:
    """The default `Bind`: the field takes the trained parameters alone."""
    del batch
    return params


def stack_residuals(terms: Sequence[ResidualTerm], bind: Bind = trained_only):
    """``(residuals, residuals_and_jacobian)`` of a list of residual blocks.

    ``residuals(params, batch) -> (r, parts)``: the stacked weighted residual vector (the loss
    is ``Σ r²``) and the per-kind mean squares, e.g. ``{"interior_loss", "boundary_loss"}``
    (for a block of m equations: the sum of the m squares, averaged over the points).
    ``residuals_and_jacobian(params, batch) -> (r, J)``: the same r and its Jacobian ``(N, P)``
    with respect to the flattened parameters, one reverse pass per collocation point and
    equation (batched by vmap): backward passes through one point each, not through the whole
    batch.

    `bind` gives the terms what the field takes from the trained parameters and the batch
    (`trained_only`, or `pinn.march`'s parameters with the earlier windows in the batch);
    derivatives are taken with respect to the trained parameters only.
    """
    kinds = list(dict.fromkeys(term.kind for term in terms))

    def residuals(params, batch):
        pieces = []
        parts = {f"{kind}_loss": jnp.zeros((), batch["interior"].dtype) for kind in kinds}
        for term in terms:
            values = _mapped(term, bind(params, batch), batch)
            pieces.append(jnp.ravel(term.scale(batch)[:, None] * values))
            mask = term.mask(batch).astype(values.dtype)
            parts[f"{term.kind}_loss"] += jnp.sum(mask[:, None] * values**2) / jnp.sum(mask)
        return jnp.concatenate(pieces), parts

    def residuals_and_jacobian(params, batch):
        flat, unravel = ravel_pytree(params)
        values, rows = [], []
        for term in terms:
            arguments = term.arguments(batch)

            def at_point(theta, *point, term=term):
                value = jnp.ravel(term.residual(bind(unravel(theta), batch), *point))  # (m,)
                return value, value

            in_axes = (None,) + (0,) * len(arguments)
            gradient, value = jax.vmap(jax.jacrev(at_point, has_aux=True), in_axes=in_axes)(
                flat, *arguments)  # (n, m, P), (n, m)
            scale = term.scale(batch)
            values.append(jnp.ravel(scale[:, None] * value))
            rows.append((scale[:, None, None] * gradient).reshape(-1, flat.size))
        return jnp.concatenate(values), jnp.concatenate(rows)

    return residuals, residuals_and_jacobian


def make_residuals(problem: PDE, field: Callable, bind: Bind = trained_only):
    """`stack_residuals` of the problem's interior, soft boundary and observation blocks."""
    return stack_residuals(residual_terms(problem, field), bind)


__all__ = ["Bind", "ResidualTerm", "accepts_single_points", "guess_terms", "make_field",
           "make_residuals", "network_params", "observations", "pointwise_map",
           "pointwise_residual", "residual_terms", "soft_conditions", "stack_residuals",
           "trained_only", "unknown_values"]
