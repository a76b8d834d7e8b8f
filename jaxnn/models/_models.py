"""Pure-function models: MLP, CNN, LogisticRegression and a Maxout layer (flax.linen Modules).

Every model is a `flax.linen.Module`: ``params = model.init(key, x)`` and
``y = model.apply(params, x)`` are pure functions. Classifiers return logits (the losses in
`jaxnn.losses` take logits, which is the numerically stable form); `jaxnn.predict_proba` turns
them into probabilities.

Activations and initializers are chosen by name (``activation="tanh"``,
``kernel_init="he_normal"``, ``kernel_init="normal(0.01)"``) or passed as callables.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxnn.validate import check_choice, check_int, check_probability, check_sizes

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
            if not 0.0 <= std < float("inf"):
                raise ValueError(f"{argument}: {spec!r} asks for a standard deviation of {std}; "
                                 "expected a finite number >= 0, e.g. 'normal(0.01)'.")
            return nn.initializers.normal(stddev=std)
    raise ValueError(
        f"{argument}: {spec!r} is not a known initializer. Expected one of "
        f"{sorted(_INITIALIZERS) + ['normal(std)']} or a flax initializer callable."
    )


def _check_window(value: Any, argument: str) -> tuple[int, int]:
    """A 2-D window ``(height, width)`` of positive integers (an integer k means (k, k))."""
    return check_sizes((value, value) if isinstance(value, int) else value, argument,
                       example="(3, 3)", length=2)


def _settings(module: nn.Module, argument: str, **checks: Callable) -> None:
    """Replace each named field of a (frozen) Flax module by its checked value."""
    for name, check in checks.items():
        value = check(getattr(module, name), f"{argument}({name}=...)")
        object.__setattr__(module, name, value)


def _table_problem(name: str, shape: tuple[int, ...]) -> str | None:
    if len(shape) == 2:
        return None
    fix = ("for one feature pass x.reshape(-1, 1)" if len(shape) == 1 else
           "flatten each sample with x.reshape(len(x), -1), or use jaxnn.CNN for images")
    return (f"{name} takes x of shape (samples, features), 2-D; got shape {tuple(shape)} "
            f"({len(shape)}-D): {fix}.")


def check_input(model: Any, shape: tuple[int, ...], argument: str) -> None:
    """Raise ValueError if `model` (one of ours) cannot take inputs of `shape`, naming why."""
    problem = getattr(model, "input_problem", None)
    problem = problem(tuple(shape)) if callable(problem) else None
    if problem:
        raise ValueError(f"{argument}: {problem}")


class Maxout(nn.Module):
    """Maxout layer: `features` outputs, each the max over `pieces` affine maps of the input."""

    features: int
    pieces: int = 2
    kernel_init: str | Callable = "glorot_uniform"
    bias_init: str | Callable = "zeros"

    def __post_init__(self) -> None:
        _settings(self, "Maxout", features=lambda v, a: check_int(v, a, minimum=1),
                  pieces=lambda v, a: check_int(v, a, minimum=1))
        get_initializer(self.kernel_init, "Maxout(kernel_init=...)")
        get_initializer(self.bias_init, "Maxout(bias_init=...)")
        super().__post_init__()

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

    def input_problem(self, shape: tuple[int, ...]) -> str | None:
        """Why inputs of `shape` do not suit this model (None if they do): ``(batch, features)``."""
        return _table_problem(type(self).__name__, shape)

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", check_sizes(
            self.features, "MLP(features=...)", "[200, 100, 2] (two hidden layers, 2 outputs)"))
        get_activation(self.activation, "MLP(activation=...)")
        get_activation(self.output_activation, "MLP(output_activation=...)")
        get_initializer(self.kernel_init, "MLP(kernel_init=...)")
        get_initializer(self.bias_init, "MLP(bias_init=...)")
        check_probability(self.dropout, "MLP(dropout=...)")
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

    def input_problem(self, shape: tuple[int, ...]) -> str | None:
        """Why inputs of `shape` do not suit this model (None if they do): ``(batch, features)``."""
        return _table_problem(type(self).__name__, shape)

    def __post_init__(self) -> None:
        _settings(self, "LogisticRegression", num_outputs=lambda v, a: check_int(v, a, minimum=1))
        get_initializer(self.kernel_init, "LogisticRegression(kernel_init=...)")
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        return nn.Dense(self.num_outputs, kernel_init=get_initializer(self.kernel_init))(x)


_NHWC = ("NHWC", "HWIO", "NHWC")
PADDINGS = ("SAME", "VALID", "CIRCULAR")


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

    def __post_init__(self) -> None:
        _settings(self, "Conv2D", features=lambda v, a: check_int(v, a, minimum=1),
                  kernel_size=_check_window,
                  padding=lambda v, a: check_choice(str(v).upper(), a, PADDINGS))
        super().__post_init__()

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
        object.__setattr__(self, "features", check_sizes(self.features, "CNN(features=...)",
                                                         "(32, 64) (channels per conv block)"))
        _settings(self, "CNN", num_outputs=lambda v, a: check_int(v, a, minimum=1),
                  kernel_size=_check_window,
                  pool_size=lambda v, a: None if v is None else _check_window(v, a))
        if self.conv not in ("matmul", "xla"):
            raise ValueError(f"CNN(conv={self.conv!r}): expected 'matmul' (im2col, the default) "
                             "or 'xla' (flax.linen.Conv).")
        if str(self.padding).upper() not in ("SAME", "VALID", "CIRCULAR"):
            raise ValueError(f"CNN(padding={self.padding!r}): expected 'SAME', 'VALID' or "
                             "'CIRCULAR'.")
        dense = () if self.dense is None or (isinstance(self.dense, (tuple, list))
                                             and not self.dense) else check_sizes(
            self.dense, "CNN(dense=...)", "(128,) (hidden sizes of the dense head)")
        object.__setattr__(self, "dense", dense)
        get_activation(self.activation, "CNN(activation=...)")
        get_initializer(self.kernel_init, "CNN(kernel_init=...)")
        check_probability(self.dropout, "CNN(dropout=...)")
        super().__post_init__()

    def input_problem(self, shape: tuple[int, ...]) -> str | None:
        """Why images of `shape` do not suit this CNN (None if they do): the rank, channels-first
        images, or a conv block or max-pooling that shrinks them to nothing (named)."""
        if len(shape) != 4:
            fix = (" Add a channel axis with x[..., None] for gray images." if len(shape) == 3
                   else "")
            return (f"CNN takes images of shape (batch, height, width, channels) (NHWC), 4-D; "
                    f"got shape {tuple(shape)} ({len(shape)}-D).{fix}")
        _, height, width, channels = shape
        if channels > 4 >= height and width == channels:
            return (f"CNN takes images channels-last (batch, height, width, channels); shape "
                    f"{tuple(shape)} looks channels-first (batch, channels, height, width) with "
                    f"{height} channel(s) of {width}x{channels} pixels. Transpose with "
                    "x.transpose(0, 2, 3, 1).")
        kh, kw = self.kernel_size
        for index in range(len(self.features)):
            layer = f"Conv_{index}"
            if str(self.padding).upper() == "VALID":
                height, width = height - kh + 1, width - kw + 1
                if height < 1 or width < 1:
                    return (f"CNN layer {layer} (kernel_size={self.kernel_size}, padding='VALID') "
                            f"gets images smaller than its kernel (input {tuple(shape)}): its "
                            f"output would be {height}x{width}. Use padding='SAME', fewer conv "
                            "blocks or larger images.")
            if self.pool_size is not None:
                before = (height, width)
                height, width = height // self.pool_size[0], width // self.pool_size[1]
                if height < 1 or width < 1:
                    return (f"CNN: the max-pooling after layer {layer} (pool_size="
                            f"{self.pool_size}) shrinks images of {before[0]}x{before[1]} to "
                            f"{height}x{width} (input {tuple(shape)}, {len(self.features)} "
                            "conv blocks). Use fewer conv blocks (features=...), a smaller "
                            "pool_size, pool_size=None, or larger images.")
        return None

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        problem = self.input_problem(tuple(x.shape))
        if problem:
            raise ValueError(f"CNN input: {problem}")
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


def accepts_train(model: nn.Module) -> bool:
    """Whether `model.__call__` takes a ``train`` flag (dropout and other training-only layers)."""
    try:
        return "train" in inspect.signature(type(model).__call__).parameters
    except (TypeError, ValueError):
        return False
