"""Equilibrium spin configurations of the 2D Ising model by Metropolis Monte Carlo, in JAX.

The model: spins s = +-1 on an L x L square lattice with periodic boundaries, energy
``E = -J sum_<ij> s_i s_j`` over nearest-neighbour pairs, J = 1, k_B = 1, no field. Below
Onsager's critical temperature ``T_c = 2 / ln(1 + sqrt(2)) ~ 2.269`` the lattice is ordered
(spontaneous magnetization), above it disordered.

The sampler is a checkerboard Metropolis update: the lattice splits into two sublattices (the
black and white squares) whose spins have no neighbours of their own colour, so each half is
updated at once with ``jnp.roll`` for the neighbour sums. One *sweep* updates both halves, i.e.
every spin once. A single lattice's update is written once and `jax.vmap`-ped over independent
chains and over temperatures; `jax.lax.fori_loop` runs the sweeps and `jax.lax.scan` collects the
samples, all inside one `jax.jit` call.

    spins, temperatures, labels = ising(L=32, temperatures=np.linspace(1.0, 3.5, 16),
                                        samples_per_temperature=200, seed=0)
    # spins: (3200, 32, 32) float32 of +-1; labels 1 (ordered, T < T_c) or 0 (disordered)
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.data.datasets._xor import check_count, check_seed

ONSAGER_TC = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""Onsager's exact critical temperature of the square-lattice Ising model (J = k_B = 1), 2.2692."""

EQUILIBRATION_SWEEPS = 1000
DECORRELATION_SWEEPS = 10
_DTYPES = {"float32": np.float32, "int8": np.int8}


class IsingSamples(NamedTuple):
    """Ising configurations with their temperatures and phase labels (unpacks as a 3-tuple).

    Attributes:
        spins: (N, L, L) spins +-1 (float32 by default, int8 with ``dtype="int8"``).
        temperatures: (N,) float64 temperature of each configuration, exactly as passed in (so
            ``temperatures == t`` selects the samples of temperature t).
        labels: (N,) int32, 1 = ordered (T < T_c), 0 = disordered (T > T_c).
    """

    spins: np.ndarray
    temperatures: np.ndarray
    labels: np.ndarray


def onsager_magnetization(temperature: Any) -> np.ndarray:
    """Exact spontaneous magnetization per spin of the infinite lattice (Onsager, Yang 1952).

    ``M(T) = (1 - sinh(2/T)^-4)^(1/8)`` for T < T_c and 0 above (J = k_B = 1).

    Args:
        temperature: a temperature or an array of them, any shape, > 0.

    Returns:
        M(T) as a float64 array of the same shape.
    """
    t = np.asarray(temperature, dtype=np.float64)
    if np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(
            f"onsager_magnetization(temperature=...): expected temperatures > 0, "
            f"got {t.ravel()[:5].tolist()}."
        )
    inner = 1.0 - np.sinh(2.0 / t) ** -4.0
    return np.where(t < ONSAGER_TC, np.clip(inner, 0.0, None) ** 0.125, 0.0)


def _checkerboard(size: int) -> jax.Array:
    rows, cols = np.indices((size, size))
    return jnp.asarray((rows + cols) % 2 == 0)


def _sweep(spins: jax.Array, beta: jax.Array, key: jax.Array, black: jax.Array) -> jax.Array:
    """One Metropolis sweep of one (L, L) lattice at inverse temperature `beta`: black, then white.

    A spin flips with probability min(1, exp(-beta dE)), dE = 2 s (sum of the four neighbours).
    """
    # One uniform per site serves both half-sweeps: each site is updated once, by its colour.
    uniform = jax.random.uniform(key, spins.shape)
    for colour in (black, ~black):
        neighbours = (
            jnp.roll(spins, 1, 0)
            + jnp.roll(spins, -1, 0)
            + jnp.roll(spins, 1, 1)
            + jnp.roll(spins, -1, 1)
        )
        accept = uniform < jnp.exp(-2.0 * beta * spins * neighbours)
        spins = jnp.where(colour & accept, -spins, spins)
    return spins


def _sweeps(
    spins: jax.Array, beta: jax.Array, key: jax.Array, count: int, black: jax.Array
) -> jax.Array:
    def body(i, state):
        return _sweep(state, beta, jax.random.fold_in(key, i), black)

    return jax.lax.fori_loop(0, count, body, spins)


@functools.partial(jax.jit, static_argnums=(2, 3, 4, 5, 6))
def _simulate(
    betas: jax.Array,
    key: jax.Array,
    size: int,
    chains: int,
    samples_per_chain: int,
    equilibration: int,
    decorrelation: int,
) -> jax.Array:
    """Samples (temperatures, chains, samples_per_chain, L, L) float32 of +-1."""
    black = _checkerboard(size)

    def chain(beta, chain_key):
        # Start ordered: low-T chains then never get stuck in stripe domains, and high-T chains
        # disorder within a few sweeps.
        start = jnp.ones((size, size), jnp.float32)
        equilibration_key, sample_key = jax.random.split(chain_key)
        spins = _sweeps(start, beta, equilibration_key, equilibration, black)

        def take_sample(state, sample_index):
            state = _sweeps(
                state, beta, jax.random.fold_in(sample_key, sample_index), decorrelation, black
            )
            return state, state

        _, samples = jax.lax.scan(take_sample, spins, jnp.arange(samples_per_chain))
        return samples

    per_temperature = jax.vmap(chain, in_axes=(None, 0))
    all_temperatures = jax.vmap(per_temperature, in_axes=(0, 0))
    keys = jax.random.split(key, betas.shape[0] * chains).reshape(betas.shape[0], chains, -1)
    return all_temperatures(betas, keys)


def _check_temperatures(temperatures: Any) -> np.ndarray:
    try:
        values = np.asarray(temperatures, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"ising(temperatures={temperatures!r}): expected a sequence of numbers, "
            "e.g. np.linspace(1.0, 3.5, 16)."
        ) from error
    values = np.atleast_1d(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"ising(temperatures=...): expected a non-empty 1-D sequence, got shape {values.shape}."
        )
    if np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(
            f"ising(temperatures=...): expected finite temperatures > 0 (units of "
            f"J/k_B, T_c = {ONSAGER_TC:.4f}), got {values.tolist()[:10]}."
        )
    return values


def ising(
    L: int,
    temperatures: Any,
    samples_per_temperature: int,
    seed: int = 0,
    *,
    chains: int | None = None,
    equilibration_sweeps: int = EQUILIBRATION_SWEEPS,
    decorrelation_sweeps: int = DECORRELATION_SWEEPS,
    dtype: str = "float32",
) -> IsingSamples:
    """Equilibrium configurations of the 2D Ising model (J = 1, k_B = 1, no field, periodic).

    For every temperature, `chains` independent Markov chains start from the ordered state (all
    spins up), run `equilibration_sweeps` checkerboard Metropolis sweeps, then record a sample
    every `decorrelation_sweeps` sweeps. Each sample is then multiplied by a random global sign
    (the s -> -s symmetry of the zero-field energy), so both ordered states appear equally often,
    as in the exact finite-lattice ensemble. Labels follow Onsager's T_c = 2/ln(1+sqrt(2)):
    1 (ordered) for T < T_c, 0 (disordered) for T > T_c.

    Near T_c Metropolis slows down (the autocorrelation time grows like L^2.2): samples there are
    correlated along a chain; raise `decorrelation_sweeps` or `chains` for independent ones.

    Args:
        L: lattice side, an even integer >= 2 (the checkerboard needs it with periodic bounds).
        temperatures: (T,) temperatures > 0 in units of J/k_B.
        samples_per_temperature: configurations S kept per temperature.
        seed: seed of the Monte Carlo (same seed, same samples on the same device).
        chains: independent chains per temperature; ``None`` picks min(S, 8). Each chain gives
            ceil(S / chains) samples (the surplus is dropped).
        equilibration_sweeps: sweeps discarded at the start of each chain (default 1000).
        decorrelation_sweeps: sweeps between recorded samples (default 10).
        dtype: "float32" (default, ready for a CNN) or "int8" (4x smaller) spins.

    Returns:
        `IsingSamples(spins, temperatures, labels)`, unpacking as a tuple, ordered by temperature
        (the S samples of temperatures[0] first): spins ``(T*S, L, L)`` of +-1, temperatures
        ``(T*S,)`` float64, labels ``(T*S,)`` int32.

    Cost: T * chains * L^2 * (equilibration + S/chains * decorrelation) spin updates; 16
    temperatures x 200 samples of 32 x 32 take 7-17 s on two (shared) CPU cores.
    """
    L = check_count(L, "ising(L=...)", minimum=2)
    if L % 2:
        raise ValueError(
            f"ising(L={L}): expected an even lattice side; the checkerboard update "
            f"with periodic boundaries needs it. Use L={L + 1}."
        )
    values = _check_temperatures(temperatures)
    samples = check_count(samples_per_temperature, "ising(samples_per_temperature=...)")
    seed = check_seed(seed, "ising")
    chains = min(samples, 8) if chains is None else check_count(chains, "ising(chains=...)")
    equilibration = check_count(equilibration_sweeps, "ising(equilibration_sweeps=...)", 0)
    decorrelation = check_count(decorrelation_sweeps, "ising(decorrelation_sweeps=...)", 1)
    if dtype not in _DTYPES:
        raise ValueError(f"ising(dtype={dtype!r}): expected one of {sorted(_DTYPES)}.")

    per_chain = -(-samples // chains)
    key, sign_key = jax.random.split(jax.random.PRNGKey(seed))
    configurations = _simulate(
        jnp.asarray(1.0 / values, jnp.float32),
        key,
        L,
        chains,
        per_chain,
        equilibration,
        decorrelation,
    )
    # (T, chains, per_chain, L, L) -> (T, S, L, L): interleave chains, keep the first S.
    configurations = jnp.swapaxes(configurations, 1, 2).reshape(len(values), -1, L, L)
    configurations = configurations[:, :samples].reshape(-1, L, L)
    signs = jax.random.rademacher(sign_key, (configurations.shape[0], 1, 1), jnp.float32)
    spins = np.asarray(configurations * signs).astype(_DTYPES[dtype])
    sample_temperatures = np.repeat(values, samples)
    labels = (sample_temperatures < ONSAGER_TC).astype(np.int32)
    return IsingSamples(spins, sample_temperatures, labels)


def magnetization(spins: Any) -> np.ndarray:
    """Magnetization per spin m = (1/L^2) sum s of each configuration.

    Args:
        spins: (N, L, L) or (N, L, L, 1) configurations of +-1.

    Returns:
        (N,) float64 magnetizations in [-1, 1]; average ``abs(...)`` for the order parameter.
    """
    array = np.asarray(spins, dtype=np.float64)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3:
        raise ValueError(
            f"magnetization(spins=...): expected configurations (N, L, L), got shape {array.shape}."
        )
    return array.mean(axis=(1, 2))
