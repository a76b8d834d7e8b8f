"""`enable_x64(True)`: JAX's x64 mode inside a block, on every supported JAX version.

``jax.enable_x64`` is recent; the floor version (see pyproject.toml) has the same context
manager as ``jax.experimental.enable_x64``. Only tests use it: the library never changes the
mode, a script switches it on at its top.
"""

import jax

try:
    enable_x64 = jax.enable_x64
except AttributeError:  # older JAX
    from jax.experimental import enable_x64

__all__ = ["enable_x64"]
