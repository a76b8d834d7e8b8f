"""Each 1-D reference's own estimated error and the time to compute it, one JSON line each.

    python benchmarks/references/measure.py            # cached results are read, not timed
    python benchmarks/references/measure.py --no-cache # computes everything (minutes)

keys: reference, grid ([nt, nx]), method, error (relative L2 change on refinement),
max_error, seconds (wall) and cpu_seconds (this process).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import the package from benchmarks/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from references import burgers, spectral


def _runs(use_cache: bool):
    t, x = spectral.jaxpi_grid()
    yield "burgers", burgers.burgers_reference
    yield "burgers", lambda: burgers.burgers_reference(t, x)
    yield "allen_cahn", lambda: spectral.allen_cahn_reference(use_cache=use_cache)
    yield "kdv", lambda: spectral.kdv_reference(use_cache=use_cache)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-cache", action="store_true", help="compute, do not read the cache")
    use_cache = not parser.parse_args(argv).no_cache
    for name, make in _runs(use_cache):
        wall, cpu = time.perf_counter(), time.process_time()
        reference = make()
        print(json.dumps({
            "reference": name, "grid": list(reference.u.shape), "method": reference.method,
            "error": reference.error, "max_error": reference.max_error,
            "seconds": round(time.perf_counter() - wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2)}), flush=True)


if __name__ == "__main__":
    main()
