"""The default suite compiles with XLA's cheap CPU pipeline, and compiles each program once.

Most default tests are bound by compilation (small models, a few steps).

- XLA's CPU backend spends most of its compile time on LLVM optimisation that a run of a few
  steps never earns back: the flags below cut the suite's wall time by about a fifth on 2
  cores. They change no semantics; floating-point results may differ in the last bits from
  default-compiled code, so both sides of every bit-for-bit comparison are compiled here, with
  the same flags.
- Many tests build the same program from fresh closures (the older keyword form of `solve`
  and its parts, the same small model in two tests): identical HLO that JAX's in-memory
  caches cannot recognise. Each test process (each xdist worker) keeps JAX's persistent
  compilation cache (`jaxnn.use_persistent_cache`) in a directory of its own, removed at the
  end, so that the second build loads the first one's executable. The directory is per
  process and set in-process, not through the environment: subprocesses that tests start (a
  killed run, 8 devices) compile for themselves and never read a file a killed process left
  half written. The xdist controller, which runs no test, keeps none.

The long accuracy runs (``-m slow``) keep XLA's defaults and no cache, as a user gets them.
Set ``XLA_FLAGS`` yourself (even to an empty string, ``XLA_FLAGS= pytest``) to test with other
flags; set ``JAX_COMPILATION_CACHE_DIR`` to choose the cache's directory (it is then kept).
Subprocesses started by tests inherit the flags.
"""

import os
import shutil
import tempfile

FAST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
_CACHE_DIRS = []  # the cache directories this process made, removed when it ends


def pytest_configure(config):
    # Runs before any test module is imported, so before JAX's backend reads the flags.
    if config.getoption("markexpr") != "not slow":
        return
    os.environ.setdefault("XLA_FLAGS", FAST_COMPILE)
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller runs no test: only its workers need the cache
    import jax

    import jaxnn

    directory = jax.config.jax_compilation_cache_dir
    if not directory:
        directory = tempfile.mkdtemp(prefix="jaxnn-tests-xla-cache-")
        _CACHE_DIRS.append(directory)
    jaxnn.use_persistent_cache(directory)


def pytest_unconfigure(config):
    for directory in _CACHE_DIRS:
        shutil.rmtree(directory, ignore_errors=True)
