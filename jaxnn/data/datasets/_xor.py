"""The XOR truth table, and noisy samples around its four corners (the classic non-linear toy).

Also holds what every generator in this package shares: the two-input logic-gate sampler used
by `nand`, and the checks on counts and seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jaxnn import validate
from jaxnn.validate import check_int, check_number

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
XOR_TRUTH_TABLE = np.array([0, 1, 1, 0], dtype=np.int32)


def check_count(value: Any, argument: str, minimum: int = 1) -> int:
    """`value` as a Python int >= `minimum`, or a TypeError/ValueError naming `argument`."""
    return check_int(value, argument, minimum=minimum)


def check_seed(seed: Any, where: str) -> int:
    """`seed` as a non-negative Python int (what numpy and jax.random both accept)."""
    return validate.check_seed(seed, f"{where}(seed={seed!r})")


def check_noise(noise: Any, where: str) -> float:
    """`noise` as a finite float >= 0 (a standard deviation)."""
    return check_number(noise, f"{where}(noise={noise!r})", minimum=0.0,
                        what="a standard deviation (a number)")


def logic_gate(
    truth_table: np.ndarray, noise: float, n: int | None, seed: int, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of a two-input logic gate given by its outputs on the corners.

    The corners are (0,0), (0,1), (1,0), (1,1); `truth_table` holds the gate's output on each.

    With ``n=None`` the four corners in that order; otherwise `n` samples spread evenly over the
    corners (each corner n // 4 or n // 4 + 1 times) in random order. Gaussian noise of standard
    deviation `noise` is added to the inputs; the label stays the corner's output.
    """
    noise = check_noise(noise, where)
    seed = check_seed(seed, where)
    rng = np.random.default_rng(seed)
    if n is None:
        corner = np.arange(4)
    else:
        n = check_count(n, f"{where}(n=...)")
        corner = rng.permutation(np.arange(n) % 4)
    x = CORNERS[corner]
    if noise > 0:
        x = x + rng.normal(0.0, noise, size=x.shape).astype(np.float32)
    return x.astype(np.float32), truth_table[corner].astype(np.int32)


def xor(noise: float = 0.0, n: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR data set: label 1 where exactly one of the two inputs is 1.

    Args:
      noise: standard deviation of Gaussian noise added to the inputs (0: the exact corners).
      n: number of samples, spread evenly over the four corners in random order; ``None`` gives
        the truth table itself, rows (0,0), (0,1), (1,0), (1,1).
      seed: seed of the shuffling and the noise.

    Returns:
      ``(x, y)``: ``x: (4, 2)`` or ``(n, 2)`` float32 inputs, ``y: (4,)`` or ``(n,)`` int32 labels.

    Example: ``x, y = xor()`` gives ``y == [0, 1, 1, 0]``; ``xor(noise=0.1, n=400, seed=1)`` gives
    four noisy clusters that no linear classifier separates.
    """
    return logic_gate(XOR_TRUTH_TABLE, noise, n, seed, "xor")
