"""Data sets: generators (xor, nand, ising, pid_toy) and loaders of files the user has (SUSY
CSV, MNIST IDX). Nothing is downloaded.

    x, y = jaxnn.datasets.xor()                                     # the truth table
    spins, temperatures, labels = jaxnn.datasets.ising(32, np.linspace(1, 3.5, 16), 200)
    x, y = jaxnn.datasets.pid_toy(20000, seed=0)                    # pions (0) vs kaons (1)
    x, y = jaxnn.datasets.load_susy("SUSY.csv.gz", nrows=100_000)
    images, labels = jaxnn.datasets.load_mnist("mnist/", split="test")
"""

from jaxnn.data.datasets._ising import (
    ONSAGER_TC,
    IsingSamples,
    ising,
    magnetization,
    onsager_magnetization,
)
from jaxnn.data.datasets._mnist import load_mnist
from jaxnn.data.datasets._nand import nand
from jaxnn.data.datasets._pid import PID_CLASSES, PID_FEATURES, pid_toy
from jaxnn.data.datasets._susy import SUSY_FEATURES, load_susy
from jaxnn.data.datasets._xor import xor

__all__ = [
    "ONSAGER_TC",
    "PID_CLASSES",
    "PID_FEATURES",
    "SUSY_FEATURES",
    "IsingSamples",
    "ising",
    "load_mnist",
    "load_susy",
    "magnetization",
    "nand",
    "onsager_magnetization",
    "pid_toy",
    "xor",
]
