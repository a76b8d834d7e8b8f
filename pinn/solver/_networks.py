"""Network wrappers for PDE solutions: Fourier-feature inputs in front of any jaxnn model."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.validate import check_bool, check_int, check_number


class FourierFeatures(nn.Module):
    """x -> [cos(2π x B), sin(2π x B)] (and x itself with ``keep_inputs``), then `network`.

    B's columns are `num_features` random frequencies, Gaussian of std `scale` (Tancik et al.
    2020; Wang, Wang & Perdikaris 2021), then the known `frequencies`, if any: rows of one
    number per coordinate, in cycles per unit. Random features let a network fit oscillatory
    solutions (Helmholtz at large k) that plain tanh networks learn slowly; a known frequency,
    one the data carry (an initial value sin 20πx is ``frequencies=[(10, 0, 0)]`` in (x, y,
    t)), gives the network that scale without spreading random ones over the smooth
    directions. B is a constant drawn from `seed`, not a trainable parameter.

        pinn.FourierFeatures(jaxnn.MLP([32, 32, 1]), num_features=32, scale=2.0)
        pinn.FourierFeatures(jaxnn.MLP([30, 30, 1]), num_features=0, frequencies=[(10, 0, 0)],
                             keep_inputs=True)
    """

    network: nn.Module
    num_features: int = 32
    scale: float = 1.0
    seed: int = 0
    frequencies: tuple = ()
    keep_inputs: bool = False

    def __post_init__(self) -> None:
        check_int(self.num_features, "FourierFeatures(num_features=...)", minimum=0)
        check_number(self.scale, "FourierFeatures(scale=...)", above=0.0)
        check_bool(self.keep_inputs, "FourierFeatures(keep_inputs=...)")
        known = _frequencies(self.frequencies)
        # Hashable, as a Flax module's fields are: a tuple of rows.
        object.__setattr__(self, "frequencies", tuple(map(tuple, known.tolist())))
        if self.num_features == 0 and not len(known) and not self.keep_inputs:
            raise ValueError("FourierFeatures(num_features=0): no features at all; give "
                             "num_features > 0, frequencies=[...] or keep_inputs=True.")
        super().__post_init__()

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        dim = x.shape[-1]
        rng = np.random.default_rng(self.seed)
        known = _frequencies(self.frequencies)
        if len(known) and known.shape[1] != dim:
            raise ValueError(f"FourierFeatures(frequencies=...): each frequency has one number "
                             f"per coordinate, expected {dim} for {dim}-D points, got "
                             f"{known.shape[1]}.")
        b = np.concatenate([rng.normal(0.0, self.scale, (dim, self.num_features)),
                            known.reshape(-1, dim).T], axis=1)
        angles = 2 * jnp.pi * x @ jnp.asarray(b, x.dtype)
        features = [jnp.cos(angles), jnp.sin(angles)] + ([x] if self.keep_inputs else [])
        return self.network(jnp.concatenate(features, axis=-1))


def _frequencies(frequencies) -> np.ndarray:
    """`frequencies` as a float array (k, dim), or the error that names the argument."""
    try:
        known = np.asarray(frequencies, float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"FourierFeatures(frequencies={frequencies!r:.80}): expected rows of "
                        "numbers, one per coordinate, e.g. [(10, 0, 0)].") from error
    if known.size == 0:
        return known.reshape(0, 0)
    if known.ndim != 2 or not np.isfinite(known).all():
        raise ValueError(f"FourierFeatures(frequencies={frequencies!r:.80}): expected rows of "
                         "finite numbers, one per coordinate, e.g. [(10, 0, 0)].")
    return known


class TimeWindow(nn.Module):
    """``x -> network(x with time mapped from [t0, t1] onto [-1, 1])``, time the last input.

    `pinn.march` puts it in front of each window's network: a window short in time then looks
    to the network as wide as the whole span did, and its first layer needs no large weights
    to resolve it.
    """

    network: nn.Module
    t0: float
    t1: float

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        time = 2.0 * (x[..., -1:] - self.t0) / (self.t1 - self.t0) - 1.0
        return self.network(jnp.concatenate([x[..., :-1], time], axis=-1))
