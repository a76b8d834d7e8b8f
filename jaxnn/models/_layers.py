"""Keras-style layers and `Sequential`: a network written as a list of layers, in one line.

    model = jaxnn.Sequential([jaxnn.Flatten(), jaxnn.Dense(512, activation="relu"),
                              jaxnn.Dropout(0.2), jaxnn.Dense(10)])
    result = jaxnn.fit(model, (x, y), loss="sparse_categorical_crossentropy", optimizer="adam")

`Sequential` is a `flax.linen.Module` like `jaxnn.MLP` (``model.init(key, x)``,
``model.apply(params, x)``, dropout active with ``train=True``), so `fit`, `evaluate`,
`predict`, `summary` and `save_model` take it as they take the built-in models.

The layers (`Dense`, `Conv`, `MaxPool`, `AvgPool`, `Dropout`, `Flatten`, `Activation`) are
small frozen descriptions, not modules of their own: `Sequential` builds the Flax modules from
them inside its own scope, so the parameters carry the names `jaxnn.MLP` and `jaxnn.CNN` give
theirs ("Dense_0", "Conv_0", ...). A Sequential with the layers of an MLP therefore has the
MLP's parameters, initialized identically for the same seed. An activation may also be given
as a name ("relu") or a callable, and any other flax.linen Module may be a layer (it gets
Flax's attribute name, "layers_3").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import flax.linen as nn
import jax

from jaxnn.models._models import (
    ACTIVATIONS,
    Conv2D,
    accepts_train,
    get_activation,
    get_initializer,
    max_pool,
)
from jaxnn.models._summary import summary

__all__ = ["Activation", "AvgPool", "Conv", "Dense", "Dropout", "Flatten", "MaxPool",
           "Sequential"]


def _positive_int(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{argument}: expected a positive integer, got {value!r}.")
    return value


def _pair(value: Any, argument: str) -> tuple[int, int]:
    """An int or a pair of positive ints as a pair (Keras: ``kernel_size=3`` means (3, 3))."""
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair)):
        raise ValueError(f"{argument}: expected a positive integer or a pair of them such as "
                         f"(3, 3), got {value!r}.")
    return tuple(pair)


def _set(layer: Any, name: str, value: Any) -> None:
    object.__setattr__(layer, name, value)


def _activation_name(activation: Any) -> str | None:
    """The registered name of an activation given by name or as the registered callable."""
    if isinstance(activation, str):
        return activation.lower()
    for name, function in ACTIVATIONS.items():
        if activation is function:
            return name
    return None


@dataclasses.dataclass(frozen=True)
class Dense:
    """Fully connected layer ``activation(x @ kernel + bias)`` on the last axis.

    Args:
        units: output size.
        activation: name (see `jaxnn.models.get_activation`), callable, or None (linear).
        kernel_init, bias_init: initializer names or callables (Keras's defaults).
        use_bias: add a bias.
    """

    units: int
    activation: str | Callable | None = None
    kernel_init: str | Callable = "glorot_uniform"
    bias_init: str | Callable = "zeros"
    use_bias: bool = True

    def __post_init__(self) -> None:
        _positive_int(self.units, "Dense(units=...)")
        get_activation(self.activation, "Dense(activation=...)")
        get_initializer(self.kernel_init, "Dense(kernel_init=...)")
        get_initializer(self.bias_init, "Dense(bias_init=...)")

    def __call__(self, x: jax.Array, train: bool, name: str | None) -> jax.Array:
        dense = nn.Dense(self.units, use_bias=self.use_bias,
                         kernel_init=get_initializer(self.kernel_init),
                         bias_init=get_initializer(self.bias_init, "bias_init"), name=name)
        return get_activation(self.activation)(dense(x))


@dataclasses.dataclass(frozen=True)
class Conv:
    """2-D convolution (stride 1) of NHWC images, then `activation`; `jaxnn.models.Conv2D`
    (Flax's parameters, a gradient that stays fast inside the compiled epoch on CPUs).

    Args:
        filters: output channels.
        kernel_size: ``(kh, kw)`` or one int for a square kernel.
        padding: "valid" (Keras's default: no padding), "same", or "circular" (periodic).
        activation: name, callable, or None (linear).
        kernel_init, bias_init: initializer names or callables.
    """

    filters: int
    kernel_size: int | tuple[int, int] = (3, 3)
    padding: str = "valid"
    activation: str | Callable | None = None
    kernel_init: str | Callable = "glorot_uniform"
    bias_init: str | Callable = "zeros"

    def __post_init__(self) -> None:
        _positive_int(self.filters, "Conv(filters=...)")
        _set(self, "kernel_size", _pair(self.kernel_size, "Conv(kernel_size=...)"))
        if not isinstance(self.padding, str) or self.padding.upper() not in (
                "SAME", "VALID", "CIRCULAR"):
            raise ValueError(f"Conv(padding={self.padding!r}): expected 'valid', 'same' or "
                             "'circular'.")
        get_activation(self.activation, "Conv(activation=...)")
        get_initializer(self.kernel_init, "Conv(kernel_init=...)")
        get_initializer(self.bias_init, "Conv(bias_init=...)")

    def __call__(self, x: jax.Array, train: bool, name: str | None) -> jax.Array:
        if x.ndim != 4:
            raise ValueError(f"Conv: expected images of shape (batch, height, width, channels), "
                             f"got shape {tuple(x.shape)}. Add a channel axis with x[..., None] "
                             "for gray images.")
        conv = Conv2D(self.filters, self.kernel_size, padding=self.padding.upper(),
                      kernel_init=self.kernel_init, bias_init=self.bias_init, name=name)
        return get_activation(self.activation)(conv(x))


@dataclasses.dataclass(frozen=True)
class MaxPool:
    """Max over non-overlapping `pool_size` windows of NHWC images (stride = window, Keras's
    ``MaxPooling2D`` default); edge rows/columns that do not fill a window are dropped."""

    pool_size: int | tuple[int, int] = (2, 2)

    def __post_init__(self) -> None:
        _set(self, "pool_size", _pair(self.pool_size, "MaxPool(pool_size=...)"))

    def __call__(self, x: jax.Array, train: bool, name: str | None) -> jax.Array:
        return max_pool(x, self.pool_size)


@dataclasses.dataclass(frozen=True)
class AvgPool:
    """Mean over non-overlapping `pool_size` windows of NHWC images (stride = window)."""

    pool_size: int | tuple[int, int] = (2, 2)

    def __post_init__(self) -> None:
        _set(self, "pool_size", _pair(self.pool_size, "AvgPool(pool_size=...)"))

    def __call__(self, x: jax.Array, train: bool, name: str | None) -> jax.Array:
        return nn.avg_pool(x, self.pool_size, strides=self.pool_size, padding="VALID")


@dataclasses.dataclass(frozen=True)
class Dropout:
    """Set a fraction `rate` of the inputs to 0 (scaling the rest by 1 / (1 - rate)) while
    training; the identity in `predict`/`evaluate`."""

    rate: float

    def __post_init__(self) -> None:
        if (isinstance(self.rate, bool) or not isinstance(self.rate, (int, float))
                or not 0.0 <= self.rate < 1.0):
            raise ValueError(f"Dropout(rate={self.rate!r}): expected a probability in [0, 1).")

    def __call__(self, x: jax.Array, train: bool, name: str | None) -> jax.Array:
        return nn.Dropout(self.rate, deterministic=not train, name=name)(x)


@dataclasses.dataclass(frozen=True)
class Flatten:
    """Reshape ``(batch, ...)`` to ``(batch, features)``."""

    def __call__(self, x: jax.Array, train: bool, name: str | None) -> jax.Array:
        return x.reshape(x.shape[0], -1)


@dataclasses.dataclass(frozen=True)
class Activation:
    """An activation as a layer: ``Activation("relu")`` (a name or a callable)."""

    activation: str | Callable

    def __post_init__(self) -> None:
        get_activation(self.activation, "Activation(activation=...)")

    def __call__(self, x: jax.Array, train: bool, name: str | None) -> jax.Array:
        return get_activation(self.activation)(x)


LAYERS = (Dense, Conv, MaxPool, AvgPool, Dropout, Flatten, Activation)
_SHAPE_ONLY = (Dropout, Flatten, MaxPool, AvgPool)  # leave the output activation as it is


class Sequential(nn.Module):
    """A network from a list of layers applied in order (Keras's ``Sequential``).

    Args:
        layers: `Dense`, `Conv`, `MaxPool`, `AvgPool`, `Dropout`, `Flatten`, `Activation`,
            activation names ("relu") or callables, or other flax.linen Modules.

    Input ``x: (batch, ...)`` as the first layer needs it; output as the last layer gives.
    A last activation "softmax" or "sigmoid" makes the outputs probabilities
    (`output_activation`); `fit`, `evaluate` and `predict_proba` treat them as such.
    """

    layers: Sequence[Any]
    # `summary` gives a Sequential one row per layer (other models one per submodule call)
    summary_per_layer: ClassVar[bool] = True

    def __post_init__(self) -> None:
        layers = self.layers
        if isinstance(layers, (str, nn.Module)) or not isinstance(layers, (list, tuple)):
            raise TypeError(f"Sequential(layers={layers!r:.80}): expected a list of layers such "
                            "as [jaxnn.Flatten(), jaxnn.Dense(10)].")
        if not layers:
            raise ValueError("Sequential(layers=[]): expected at least one layer.")
        for index, layer in enumerate(layers):
            if isinstance(layer, type):
                raise TypeError(f"Sequential(layers=...): layer {index} is the class "
                                f"{layer.__name__}; pass an instance such as "
                                f"{layer.__name__}(...).")
            if isinstance(layer, str):
                get_activation(layer, f"Sequential(layers=...) layer {index}")
            elif not (isinstance(layer, LAYERS + (nn.Module,)) or callable(layer)):
                raise TypeError(
                    f"Sequential(layers=...): layer {index} is {type(layer).__name__} "
                    f"{layer!r:.60}; expected one of {[c.__name__ for c in LAYERS]}, an "
                    "activation name or callable, or a flax.linen Module.")
        object.__setattr__(self, "layers", tuple(layers))
        super().__post_init__()

    @property
    def output_activation(self) -> str | Callable | None:
        """The last activation ("softmax", "sigmoid", ...), skipping dropout, flatten and
        pooling; None when the last layer is linear (its outputs are logits)."""
        for layer in reversed(self.layers):
            if isinstance(layer, _SHAPE_ONLY):
                continue
            if isinstance(layer, (Dense, Conv, Activation)):
                activation = layer.activation
            elif isinstance(layer, nn.Module):
                activation = getattr(layer, "output_activation", None)
            else:
                activation = layer
            name = _activation_name(activation) if activation is not None else None
            return None if name in ("identity", "linear") else (name or activation)
        return None

    def summary(self, x: Any) -> Any:
        """`jaxnn.summary` of this model for inputs like `x` (data, or one sample's shape)."""
        return summary(self, x)

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        convs = 0
        for layer in self.layers:
            if isinstance(layer, Conv):
                # Named as jaxnn.CNN names its convolutions, so parameters carry over.
                x, convs = layer(x, train, f"Conv_{convs}"), convs + 1
            elif isinstance(layer, LAYERS):
                x = layer(x, train, None)
            elif isinstance(layer, str):
                x = get_activation(layer)(x)
            elif isinstance(layer, nn.Module) and accepts_train(layer):
                x = layer(x, train=train)
            else:
                x = layer(x)
        return x
