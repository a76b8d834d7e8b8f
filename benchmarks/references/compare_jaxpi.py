"""How far jaxpi's published reference files are from the references computed here.

jaxpi (github.com/PredictiveIntelligenceLab/jaxpi) ships its references as MATLAB files made by
chebfun's `spin` (511 Fourier points, time step 1e-5): examples/allen_cahn/data/allen_cahn.mat
and examples/burgers/data/burgers.mat on main, examples/kdv/data/kdv.mat on the `pirate`
branch. Each holds `t` (1, nt), `x` (1, nx) and `usol` (nt, nx). They are not copied here
(license, size): pass their paths. The problem is named by the file's stem (allen_cahn,
burgers, kdv). One JSON line per file:

    python benchmarks/references/compare_jaxpi.py allen_cahn.mat burgers.mat kdv.mat

keys: file, problem, shape, relative_l2 (of the file against the reference, over its whole
grid, the measure jaxpi reports), max_abs, reference_error and reference_max_error (the
reference's own estimate), reference_seconds (computing it, or reading its cache).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.io

if __package__ in (None, ""):  # run as a script: import the package from benchmarks/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from references import allen_cahn_reference, burgers_reference, kdv_reference, relative_l2

REFERENCES = {
    "allen_cahn": allen_cahn_reference,
    "burgers": lambda t, x: burgers_reference(t, x),
    "kdv": kdv_reference,
}


def compare(path: Path) -> dict:
    """The JSON record comparing one jaxpi .mat file with its reference."""
    problem = path.stem
    if problem not in REFERENCES:
        raise ValueError(f"compare_jaxpi: cannot tell the problem of {path}: its name must be "
                         f"one of {sorted(REFERENCES)} (.mat), as in jaxpi's repository.")
    data = scipy.io.loadmat(path)
    t, x, usol = data["t"].reshape(-1), data["x"].reshape(-1), data["usol"]
    if usol.shape != (t.size, x.size):
        raise ValueError(f"compare_jaxpi: {path} holds usol of shape {usol.shape}, expected "
                         f"(len(t), len(x)) = ({t.size}, {x.size}).")
    start = time.perf_counter()
    reference = REFERENCES[problem](t, x)
    seconds = time.perf_counter() - start
    return {"file": str(path), "problem": problem, "shape": list(usol.shape),
            "relative_l2": relative_l2(usol, reference.u),
            "max_abs": float(np.max(np.abs(usol - reference.u))),
            "reference_error": reference.error, "reference_max_error": reference.max_error,
            "reference_seconds": round(seconds, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path,
                        help="jaxpi .mat files named allen_cahn.mat, burgers.mat or kdv.mat")
    for path in parser.parse_args(argv).files:
        print(json.dumps(compare(path)), flush=True)


if __name__ == "__main__":
    main()
