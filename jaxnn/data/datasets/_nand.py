"""The NAND truth table, and noisy samples around its four corners (linearly separable)."""

from __future__ import annotations

import numpy as np

from jaxnn.data.datasets._xor import logic_gate

NAND_TRUTH_TABLE = np.array([1, 1, 1, 0], dtype=np.int32)


def nand(noise: float = 0.0, n: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The NAND data set: label 0 only where both inputs are 1.

    Args:
      noise: standard deviation of Gaussian noise added to the inputs (0: the exact corners).
      n: number of samples, spread evenly over the four corners in random order; ``None`` gives
        the truth table itself, rows (0,0), (0,1), (1,0), (1,1).
      seed: seed of the shuffling and the noise.

    Returns:
      ``(x, y)``: ``x: (4, 2)`` or ``(n, 2)`` float32 inputs, ``y: (4,)`` or ``(n,)`` int32 labels;
      the truth table has ``y == [1, 1, 1, 0]``.
    """
    return logic_gate(NAND_TRUTH_TABLE, noise, n, seed, "nand")
