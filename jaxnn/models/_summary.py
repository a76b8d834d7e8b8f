"""A Keras-style model summary: layers, output shapes, parameter counts and the total.

    >>> print(jaxnn.summary(model, x_train))        # or an input shape: (28, 28)
    Model: Sequential
    Layer (type)            Output Shape        Param #
    ...
    Total params: 407,050 (1.55 MiB)

Shapes are traced (`jax.eval_shape`): nothing is computed and no parameters are allocated.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.validate import as_float_array
from jaxnn.models._models import count_params

__all__ = ["LayerRow", "ModelSummary", "summary"]


@dataclasses.dataclass(frozen=True)
class LayerRow:
    """One line of a summary: the layer's name and type, its output shape (batch axis None)
    and its number of parameters."""

    name: str
    kind: str
    output_shape: tuple
    params: int


@dataclasses.dataclass(frozen=True)
class ModelSummary:
    """Rows per layer (top-level submodules, or a `Sequential`'s layers) and totals; printing
    it gives the Keras-style table."""

    model_name: str
    input_shape: tuple
    rows: tuple[LayerRow, ...]
    output_shape: tuple
    total_params: int
    total_bytes: int

    def __str__(self) -> str:
        def shape(s: tuple) -> str:
            return str(tuple(s))

        lines = [(f"{r.name} ({r.kind})", shape(r.output_shape), f"{r.params:,}")
                 for r in self.rows]
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(len(row[i]) for row in [header, *lines]) + 3 for i in range(3)]

        def line(cells):
            padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            return "".join(padded).rstrip()

        rule = "=" * (sum(widths) - 3)
        size = next(f"{self.total_bytes / 2**p:.2f} {unit}" for p, unit in
                    ((20, "MiB"), (10, "KiB")) if self.total_bytes >= 2**p) if (
                        self.total_bytes >= 1024) else f"{self.total_bytes} B"
        return "\n".join([
            f"Model: {self.model_name}", f"Input shape: {shape(self.input_shape)}", line(header),
            rule, *(line(cells) for cells in lines), rule,
            f"Total params: {self.total_params:,} ({size})",
        ])

    __repr__ = __str__


def _sample(x_or_shape: Any) -> jax.ShapeDtypeStruct:
    """One sample's ShapeDtypeStruct ``(1, ...)`` from data ``(n, ...)`` or a shape without the
    batch axis (Keras's ``input_shape``)."""
    if isinstance(x_or_shape, tuple) and all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0
            for d in x_or_shape):
        return jax.ShapeDtypeStruct((1, *map(int, x_or_shape)), jnp.float32)
    x = as_float_array(x_or_shape, "summary(x=...)")
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"summary(x=...): expected data (samples, ...) with at least one sample, "
                         f"or an input shape without the batch axis such as (28, 28), got an "
                         f"array of shape {x.shape}. One sample of 5 features: x.reshape(1, -1) "
                         "or the shape (5,).")
    return jax.ShapeDtypeStruct((1, *x.shape[1:]), jnp.asarray(x[:1]).dtype)


def _batchless(shape: tuple) -> tuple:
    return (None, *shape[1:])


def _shape_of(out: Any) -> tuple:
    leaves = jax.tree_util.tree_leaves(out)
    return tuple(leaves[0].shape) if len(leaves) == 1 else tuple(tuple(v.shape) for v in leaves)


def _init_shapes(model: nn.Module, sample: jax.ShapeDtypeStruct) -> tuple[Any, Any]:
    def init(x):
        return model.init_with_output(jax.random.PRNGKey(0), x)

    try:
        output, variables = jax.eval_shape(init, sample)
    except Exception as error:
        cause = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ValueError(f"summary(x=...): the model cannot take inputs of shape "
                         f"{_batchless(sample.shape)}: {cause}") from error
    return output, variables


def _sequential_rows(model: Any, sample: jax.ShapeDtypeStruct) -> list[LayerRow]:
    """One row per layer: the output shape and the new parameters of each prefix."""
    rows, before = [], {}
    for index, layer in enumerate(model.layers):
        prefix = model.clone(layers=model.layers[: index + 1], parent=None)
        output, variables = _init_shapes(prefix, sample)
        params = variables.get("params", {})
        new = [name for name in params if name not in before]
        kind = layer if isinstance(layer, str) else type(layer).__name__
        name = new[0] if len(new) == 1 else f"{str(kind).lower()}_{index}"
        rows.append(LayerRow(name, kind, _batchless(_shape_of(output)),
                             sum(count_params(params[n]) for n in new)))
        before = params
    return rows


def _module_rows(model: nn.Module, sample: jax.ShapeDtypeStruct) -> list[LayerRow]:
    """One row per call of a top-level submodule, in call order."""
    calls: list[tuple[str, str, tuple]] = []

    def record(next_fun, args, kwargs, context):
        output = next_fun(*args, **kwargs)
        module = context.module
        if context.method_name == "__call__" and len(module.scope.path) == 1:
            calls.append((module.scope.path[0], type(module).__name__, _shape_of(output)))
        return output

    with nn.intercept_methods(record):
        output, variables = _init_shapes(model, sample)
    params = variables.get("params", {})
    rows, seen = [], set()
    for name, kind, shape in calls:
        counted = name not in seen and name in params
        seen.add(name)
        rows.append(LayerRow(name, kind, _batchless(shape),
                             count_params(params[name]) if counted else 0))
    own = {k: v for k, v in params.items() if k not in seen}
    if own:  # parameters the model declares itself (self.param), not in a submodule
        rows.append(LayerRow("(own)", type(model).__name__, _batchless(_shape_of(output)),
                             count_params(own)))
    return rows


def summary(model: nn.Module, x: Any) -> ModelSummary:
    """Layers, output shapes and parameter counts of `model` for inputs like `x`.

    Args:
        model: a flax.linen Module (jaxnn's models, `jaxnn.Sequential`, your own).
        x: data ``(n, ...)`` (its first sample is used) or the shape of one sample without the
            batch axis, e.g. ``(28, 28)`` (Keras's ``input_shape``).

    Returns:
        A `ModelSummary`; ``print(...)`` it for the table. A `Sequential` gets one row per
        layer (Flatten, Dropout and activations included), other models one row per call of a
        top-level submodule (activations applied as functions have no row). ``total_params``
        counts every parameter (``jaxnn.count_params(model.init(...))``).
    """
    if isinstance(model, type) or not callable(getattr(model, "init_with_output", None)):
        raise TypeError(f"summary(model=...): expected a flax.linen Module instance such as "
                        f"jaxnn.MLP([64, 2]), got {model!r:.80}.")
    sample = _sample(x)
    output, variables = _init_shapes(model, sample)
    params = variables.get("params", {})
    rows = (_sequential_rows(model, sample) if getattr(model, "summary_per_layer", False)
            else _module_rows(model, sample))
    total_bytes = sum(leaf.size * np.dtype(leaf.dtype).itemsize
                      for leaf in jax.tree_util.tree_leaves(params))
    return ModelSummary(type(model).__name__, _batchless(sample.shape), tuple(rows),
                        _batchless(_shape_of(output)), count_params(params), int(total_bytes))
