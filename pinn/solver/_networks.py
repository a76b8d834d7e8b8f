"""Network wrappers for PDE solutions: Fourier-feature inputs in front of any jaxnn model."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


class FourierFeatures(nn.Module):
    """x -> [cos(2π x B), sin(2π x B)] with a fixed Gaussian B: (dim, num_features) of std `scale`,
    then `network`.

    Random Fourier features (Tancik et al. 2020; Wang, Wang & Perdikaris 2021) let a network fit
    oscillatory solutions (Helmholtz at large k) that plain tanh networks learn slowly. B is a
    constant drawn from `seed`, not a trainable parameter.
    """

    network: nn.Module
    num_features: int = 32
    scale: float = 1.0
    seed: int = 0

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        rng = np.random.default_rng(self.seed)
        b = jnp.asarray(rng.normal(0.0, self.scale, (x.shape[-1], self.num_features)), x.dtype)
        angles = 2 * jnp.pi * x @ b
        return self.network(jnp.concatenate([jnp.cos(angles), jnp.sin(angles)], axis=-1))


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
