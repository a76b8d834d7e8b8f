"""Pure-function models: MLP, CNN, LogisticRegression and a Maxout layer (flax.linen Modules).

Every model is a `flax.linen.Module`: ``params = model.init(key, x)`` and
``y = model.apply(params, x)`` are pure functions. Classifiers return logits (the losses in
`jaxnn.losses` take logits, which is the numerically stable form); `jaxnn.predict_proba` turns
them into probabilities.

Activations and initializers are chosen by name (``activation="tanh"``,
``kernel_init="he_normal"``, ``kernel_init="normal(0.01)"``) or passed as callables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

Activation = Callable[[jax.Array], jax.Array]

ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": nn.sigmoid,
    "tanh": jnp.tanh,
    "relu": nn.relu,
    "leaky_relu": nn.leaky_relu,
    "elu": nn.elu,
    "gelu": nn.gelu,
    "silu": nn.silu,
    "swish": nn.silu,
    "softplus": nn.softplus,
    "sin": jnp.sin,
    "identity": lambda x: x,
    "linear": lambda x: x,
    "softmax": nn.softmax,
}

_INITIALIZERS: dict[str, Callable[[], Any]] = {
    "glorot_uniform": nn.initializers.glorot_uniform,
    "glorot_normal": nn.initializers.glorot_normal,
    "xavier_uniform": nn.initializers.xavier_uniform,
    "xavier_normal": nn.initializers.xavier_normal,
    "he_uniform": nn.initializers.he_uniform,
    "he_normal": nn.initializers.he_normal,
    "lecun_uniform": nn.initializers.lecun_uniform,
    "lecun_normal": nn.initializers.lecun_normal,
    "zeros": lambda: nn.initializers.zeros,
    "ones": lambda: nn.initializers.ones,
}
_NORMAL_SPEC = re.compile(r"^normal(?:\(\s*([0-9.eE+-]+)\s*\))?$")


def get_activation(activation: str | Activation | None, argument: str = "activation") -> Activation:
    """Return the activation function named `activation` (or `activation` itself if callable).

    Names: sigmoid, tanh, relu, leaky_relu, elu, gelu, silu (swish), softplus, sin, identity
    (linear), softmax. ``None`` means identity.
    """
    if activation is None:
        return ACTIVATIONS["identity"]
    if callable(activation):
        return activation
    if isinstance(activation, str) and activation.lower() in ACTIVATIONS:
        return ACTIVATIONS[activation.lower()]
    raise ValueError(
        f"{argument}: {activation!r} is not a known activation. Expected one of "
        f"{sorted(ACTIVATIONS)} or a callable such as jax.nn.relu."
    )


def get_initializer(spec: str | Callable, argument: str = "kernel_init") -> Callable:
    """Return a flax initializer from a name or a callable.

    Names: glorot_uniform/normal (alias xavier_*), he_uniform/normal, lecun_uniform/normal,
    zeros, ones, and ``normal(std)``: a Gaussian with standard deviation `std` (``"normal"``
    alone means 0.01, the "small random values" of the lectures).
    """
    if callable(spec):
        return spec
    if isinstance(spec, str):
        name = spec.strip().lower()
        if name in _INITIALIZERS:
            return _INITIALIZERS[name]()
        match = _NORMAL_SPEC.match(name)
        if match:
            std = float(match.group(1)) if match.group(1) else 0.01
            return nn.initializers.normal(stddev=std)
    raise ValueError(
        f"{argument}: {spec!r} is not a known initializer. Expected one of "
        f"{sorted(_INITIALIZERS) + ['normal(std)']} or a flax initializer callable."
    )


def _check_probability(value: float, argument: str) -> None:
    if not (isinstance(value, (int, float)) and 0.0 <= value < 1.0):
        raise ValueError(f"{argument}={value!r}: expected a probability in [0, 1).")


def _check_sizes(sizes: Sequence[int], argument: str) -> tuple[int, ...]:
    if isinstance(sizes, int):
        sizes = (sizes,)
    sizes = tuple(sizes)
    if not sizes or not all(isinstance(s, int) and s > 0 for s in sizes):
        raise ValueError(
            f"{argument}={sizes!r}: expected a non-empty sequence of positive integers, "
            "e.g. [200, 100, 2] for two hidden layers and 2 outputs."
        )
    return sizes


class Maxout(nn.Module):
    """Maxout layer: `features` outputs, each the max over `pieces` affine maps of the input."""

    features: int
    pieces: int = 2
    kernel_init: str | Callable = "glorot_uniform"
    bias_init: str | Callable = "zeros"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        z = nn.Dense(
            self.features * self.pieces,
            kernel_init=get_initializer(self.kernel_init),
            bias_init=get_initializer(self.bias_init, "bias_init"),
        )(x)
        return jnp.max(z.reshape(*z.shape[:-1], self.features, self.pieces), axis=-1)


class MLP(nn.Module):
    """Multilayer perceptron: Dense -> activation (-> dropout) for each hidden size, then Dense.

    Args:
        features: layer sizes, hidden then output, e.g. ``[200, 100, 2]``.
        activation: hidden activation, by name or callable.
        output_activation: applied to the last layer; ``None`` (default) returns logits.
        dropout: dropout rate after each hidden activation (active only with ``train=True``).
        kernel_init, bias_init: initializer names or callables.
        dtype: the dtype of the layers' computation, e.g. ``jnp.bfloat16`` for mixed precision
            on GPUs/TPUs (parameters stay float32); None computes in the input's dtype.

    Input ``x: (batch, in_features)``; output ``(batch, features[-1])``.
    """

    features: Sequence[int]
    activation: str | Activation = "relu"
    output_activation: str | Activation | None = None
    dropout: float = 0.0
    kernel_init: str | Callable = "glorot_uniform"
    bias_init: str | Callable = "zeros"
    dtype: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", _check_sizes(self.features, "MLP(features=...)"))
        get_activation(self.activation, "MLP(activation=...)")
        get_activation(self.output_activation, "MLP(output_activation=...)")
        get_initializer(self.kernel_init, "MLP(kernel_init=...)")
        get_initializer(self.bias_init, "MLP(bias_init=...)")
        _check_probability(self.dropout, "MLP(dropout=...)")
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        act = get_activation(self.activation)
        kernel_init = get_initializer(self.kernel_init)
        bias_init = get_initializer(self.bias_init, "bias_init")
        for width in self.features[:-1]:
            x = act(nn.Dense(width, kernel_init=kernel_init, bias_init=bias_init,
                             dtype=self.dtype)(x))
            if self.dropout > 0:
                x = nn.Dropout(self.dropout, deterministic=not train)(x)
        x = nn.Dense(self.features[-1], kernel_init=kernel_init, bias_init=bias_init,
                     dtype=self.dtype)(x)
        return get_activation(self.output_activation)(x)


class LogisticRegression(nn.Module):
    """Logistic regression: one Dense layer returning logits (sigmoid for 1 output, softmax else).

    Train with ``loss="binary_cross_entropy"`` (1 output) or ``"softmax_cross_entropy"``.
    """

    num_outputs: int = 1
    kernel_init: str | Callable = "zeros"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        return nn.Dense(self.num_outputs, kernel_init=get_initializer(self.kernel_init))(x)


_NHWC = ("NHWC", "HWIO", "NHWC")


def _valid_conv(x: jax.Array, kernel: jax.Array) -> jax.Array:
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), "VALID", dimension_numbers=_NHWC)


@jax.custom_vjp
def conv2d_valid(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """Stride-1 "VALID" convolution (cross-correlation) of NHWC images with an HWIO kernel.

    The value is XLA's convolution. The gradient is written out (`jax.custom_vjp`) because
    XLA's CPU backend runs the convolutions of the automatic backward pass through a slow
    generic loop inside `lax.scan` (jax-ml/jax#12868: ~50x slower than this, per step): the
    input gradient is the forward convolution of the padded output gradient with the flipped
    kernel, and the kernel gradient is one matrix product over the image patches (im2col).
    Reverse mode only (no `jax.jvp`/`jax.hessian` through it).
    """
    return _valid_conv(x, kernel)


def _image_patches(x: jax.Array, kh: int, kw: int) -> jax.Array:
    """``(batch * out_h * out_w, kh * kw * channels)`` patches of a VALID convolution."""
    height, width = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    patches = jnp.concatenate(
        [x[:, i : i + height, j : j + width, :] for i in range(kh) for j in range(kw)], axis=-1
    )
    return patches.reshape(-1, kh * kw * x.shape[-1])


def _conv2d_valid_forward(x: jax.Array, kernel: jax.Array):
    return _valid_conv(x, kernel), (x, kernel)


def _conv2d_valid_backward(residuals, g: jax.Array):
    x, kernel = residuals
    kh, kw, _, features = kernel.shape
    full = jnp.pad(g, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    dx = _valid_conv(full, jnp.flip(kernel, (0, 1)).transpose(0, 1, 3, 2))
    dkernel = _image_patches(x, kh, kw).T @ g.reshape(-1, features)
    return dx, dkernel.reshape(kernel.shape).astype(kernel.dtype)


conv2d_valid.defvjp(_conv2d_valid_forward, _conv2d_valid_backward)


class Conv2D(nn.Module):
    """2-D convolution (stride 1) with a gradient that stays fast inside a compiled epoch.

    The parameters are those of `flax.linen.Conv`: ``kernel (kh, kw, in, out)`` and
    ``bias (out,)``, and the outputs agree with it. Why not `nn.Conv`: inside the `lax.scan`
    of a compiled epoch, XLA's CPU backend runs the convolutions of the backward pass through
    a slow generic loop (jax-ml/jax#12868); `conv2d_valid` writes its gradient out with fast
    forward convolutions and one matrix product. Reverse-mode differentiation only.

    Args:
        features: output channels.
        kernel_size: ``(kh, kw)``.
        padding: "SAME" (zero padding, output size = input size), "VALID" (no padding), or
            "CIRCULAR" (periodic images, e.g. lattices with periodic boundaries).
    """

    features: int
    kernel_size: tuple[int, int] = (3, 3)
    padding: str = "SAME"
    kernel_init: str | Callable = "he_normal"
    bias_init: str | Callable = "zeros"

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kh, kw = self.kernel_size
        channels = x.shape[-1]
        kernel = self.param("kernel", get_initializer(self.kernel_init),
                            (kh, kw, channels, self.features))
        bias = self.param("bias", get_initializer(self.bias_init, "bias_init"), (self.features,))
        padding = self.padding.upper()
        if padding != "VALID":
            # XLA's SAME: total padding k - 1 per axis, the smaller half before.
            widths = ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0))
            x = jnp.pad(x, widths, mode="wrap" if padding == "CIRCULAR" else "constant")
        return conv2d_valid(x, kernel.astype(x.dtype)) + bias


def max_pool(x: jax.Array, window: tuple[int, int]) -> jax.Array:
    """Non-overlapping max-pooling of NHWC images (stride = window, edge rows/columns that do
    not fill a window dropped, as `flax.linen.max_pool` with ``strides=window``).

    A reshape and a max: its gradient is elementwise, where XLA's windowed-max gradient
    (select-and-scatter) is several times slower on CPUs.
    """
    batch, height, width, channels = x.shape
    ph, pw = window
    x = x[:, : height // ph * ph, : width // pw * pw, :]
    return x.reshape(batch, height // ph, ph, width // pw, pw, channels).max(axis=(2, 4))


class CNN(nn.Module):
    """Convolutional network: [conv -> activation -> max-pool] blocks, then a dense head.

    Args:
        features: channels of each conv block, e.g. ``(32, 64)``.
        num_outputs: size of the output layer (logits).
        dense: hidden sizes of the dense head, e.g. ``(128,)``.
        kernel_size, pool_size: per block (same for all blocks); ``pool_size=None`` skips pooling.
        padding: "SAME" or "VALID"; circular boundary data (e.g. Ising lattices) may use "CIRCULAR".
        dropout: rate before each dense layer of the head.
        conv: "matmul" (`Conv2D`: its kernel gradient is one matrix product over the image
            patches, fast inside the compiled epoch on CPUs) or "xla" (`flax.linen.Conv`,
            XLA's own gradient: cuDNN on GPUs, but ~50x slower inside `lax.scan` on CPUs).
            Same parameters.

    Input ``x: (batch, height, width, channels)`` (NHWC); output ``(batch, num_outputs)``.
    """

    features: Sequence[int] = (32, 64)
    num_outputs: int = 10
    dense: Sequence[int] = (128,)
    kernel_size: tuple[int, int] = (3, 3)
    pool_size: tuple[int, int] | None = (2, 2)
    padding: str = "SAME"
    activation: str | Activation = "relu"
    dropout: float = 0.0
    kernel_init: str | Callable = "he_normal"
    conv: str = "matmul"

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", _check_sizes(self.features, "CNN(features=...)"))
        if self.conv not in ("matmul", "xla"):
            raise ValueError(f"CNN(conv={self.conv!r}): expected 'matmul' (im2col, the default) "
                             "or 'xla' (flax.linen.Conv).")
        if str(self.padding).upper() not in ("SAME", "VALID", "CIRCULAR"):
            raise ValueError(f"CNN(padding={self.padding!r}): expected 'SAME', 'VALID' or "
                             "'CIRCULAR'.")
        dense = () if not self.dense else _check_sizes(self.dense, "CNN(dense=...)")
        object.__setattr__(self, "dense", dense)
        get_activation(self.activation, "CNN(activation=...)")
        get_initializer(self.kernel_init, "CNN(kernel_init=...)")
        _check_probability(self.dropout, "CNN(dropout=...)")
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        if x.ndim != 4:
            raise ValueError(
                f"CNN input: expected images of shape (batch, height, width, channels), got "
                f"shape {tuple(x.shape)}. Add a channel axis with x[..., None] for gray images."
            )
        act = get_activation(self.activation)
        init = get_initializer(self.kernel_init)
        for index, channels in enumerate(self.features):
            layer = Conv2D if self.conv == "matmul" else nn.Conv
            # The same parameter names either way, so parameters load into both.
            conv = layer(channels, self.kernel_size, padding=self.padding, kernel_init=init,
                         name=f"Conv_{index}")
            x = act(conv(x))
            if self.pool_size is not None:
                x = max_pool(x, self.pool_size)
        x = x.reshape(x.shape[0], -1)
        for width in self.dense:
            if self.dropout > 0:
                x = nn.Dropout(self.dropout, deterministic=not train)(x)
            x = act(nn.Dense(width, kernel_init=init)(x))
        if self.dropout > 0:
            x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return nn.Dense(self.num_outputs)(x)


def count_params(params: Any) -> int:
    """Number of scalar parameters in a parameter pytree."""
    return int(sum(leaf.size for leaf in jax.tree_util.tree_leaves(params)))
