"""The default suite compiles with XLA's cheap CPU pipeline unless told otherwise.

Most default tests are bound by compilation (small models, a few steps), and XLA's CPU
backend spends most of its compile time on LLVM optimisation that a run of a few steps never
earns back: these flags cut the suite's wall time by about a fifth on 2 cores. They change no
semantics; floating-point results may differ in the last bits from default-compiled code, so
both sides of every bit-for-bit comparison are compiled here, with the same flags.

The long accuracy runs (``-m slow``) keep XLA's defaults, as a user gets them. Set
``XLA_FLAGS`` yourself (even to an empty string, ``XLA_FLAGS= pytest``) to test with other
flags. Subprocesses started by tests inherit the flags.
"""

import os

FAST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def pytest_configure(config):
    # Runs before any test module is imported, so before JAX's backend reads the flags.
    if config.getoption("markexpr") == "not slow":
        os.environ.setdefault("XLA_FLAGS", FAST_COMPILE)
