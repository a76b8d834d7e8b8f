"""Initial parameters as one compiled program, shared by `fit`, `fit_many` and `pinn.solve`."""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

# A program that runs once is compiled for compile speed: XLA's backend optimisations cost
# seconds on an initializer and buy nothing for one run, and the CPU backend's classic fusion
# emitters compile faster than its MLIR ones (benchmarks/lecture_speed.py measures the first
# run). Other backends ignore the CPU option.
RUN_ONCE = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True,
            "xla_cpu_use_fusion_emitters": False}


@functools.partial(jax.jit, static_argnums=(0, 3), compiler_options=RUN_ONCE)
def _init_program(model: nn.Module, key: jax.Array, sample: jax.Array, dtype: Any) -> Any:
    params = model.init(key, sample)
    return params if dtype is None else jax.tree_util.tree_map(lambda a: a.astype(dtype), params)


def init_params(model: nn.Module, key: jax.Array, sample: jax.Array, dtype: Any = None) -> Any:
    """``model.init(key, sample)`` compiled as one program (op by op it compiles and
    dispatches dozens of small kernels), every leaf cast to `dtype` if one is given; op by op
    for a module with unhashable fields (it cannot be a static argument).

    Args:
        model: a flax.linen Module.
        key: a PRNG key.
        sample: one batch of inputs, e.g. ``x[:1]``.
        dtype: cast every parameter to this dtype (None keeps Flax's).

    Returns:
        The parameter pytree.
    """
    try:
        hash(model)
    except TypeError:
        params = model.init(key, sample)
        return params if dtype is None else jax.tree_util.tree_map(
            lambda a: jnp.asarray(a, dtype), params)
    return _init_program(model, key, sample, None if dtype is None else np.dtype(dtype))
