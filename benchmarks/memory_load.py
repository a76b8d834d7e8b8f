"""Load: does memory stay flat when one process trains again and again?

Two workloads, each in a fresh process (so one does not inherit the other's memory):

- ``fits``: a hyperparameter search written by hand, the loop a user writes around `jaxnn.fit`:
  `--fits` fits (default 1,000) of an MLP 8-H-2 on 2,000 rows, cycling over 4 learning rates
  and 3 hidden sizes (12 distinct programs) with a new seed each time, 2 epochs, batch 64,
  a validation split; each model then scores 1,000 test rows (`predict_proba`) and only its
  AUC is kept. RSS is read after `--warmup` fits (every
  program compiled, the caches warm) and at the end.
- ``many``: `jaxnn.fit_many` of 256 models (64 learning rates x 4 seeds) in one program,
  called `--many-calls` times (other seeds each time, the same compiled program); RSS after
  `--many-warmup` calls and at the end. (The allocator's pools settle over the first few
  calls: RSS rises and falls by some 30 MB before it stays put, while the compile caches, the
  live arrays and the Python objects stay the same size.)

Output: per workload one JSON line after the warm-up and one at the end with the growth
(``growth_mb``, ``growth_kb_per_fit`` or ``_per_call``). RSS is the resident set size from
/proc/self/statm (Linux), read after a garbage collection.

    python benchmarks/memory_load.py                    # ~5 minutes on 2 idle cores
    python benchmarks/memory_load.py --fits 300 --many-calls 5 --only fits
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time

LEARNING_RATES = (3e-4, 1e-3, 3e-3, 1e-2)
HIDDEN = (16, 32, 64)


def rss_mb() -> float:
    """The resident set size of this process in MiB (Linux), after a garbage collection."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _data(rows: int):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 8)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.int32)
    return x, y


def _line(workload: str, stage: str, **fields) -> dict:
    import jax

    record = {"benchmark": "memory_load", "workload": workload, "stage": stage, **fields,
              "device": jax.devices()[0].device_kind, "load_avg_1min": os.getloadavg()[0]}
    print(json.dumps(record), flush=True)
    return record


def fits(count: int, warmup: int) -> None:
    """The hand-written hyperparameter loop around `jaxnn.fit`."""
    import jaxnn

    x, y = _data(3000)
    (x, y), (x_test, y_test) = (x[:2000], y[:2000]), (x[2000:], y[2000:])
    aucs = []
    start, warm = time.perf_counter(), None
    for index in range(count):
        rate = LEARNING_RATES[index % len(LEARNING_RATES)]
        hidden = HIDDEN[(index // len(LEARNING_RATES)) % len(HIDDEN)]
        model = jaxnn.MLP([hidden, 2])
        result = jaxnn.fit(model, (x, y), optimizer="adam", learning_rate=rate, epochs=2,
                           batch_size=64, validation_split=0.25, seed=index, verbose=0)
        scores = jaxnn.predict_proba(model, result.params, x_test)[:, 1]
        aucs.append(jaxnn.metrics.roc_auc_score(y_test, scores))
        if index + 1 == warmup:
            warm = _line("fits", "after_warmup", fits=warmup, rss_mb=round(rss_mb(), 1),
                         seconds=round(time.perf_counter() - start, 2))
    end = rss_mb()
    growth = end - warm["rss_mb"] if warm else float("nan")
    _line("fits", "end", fits=count, warmup_fits=warmup, rss_mb=round(end, 1),
          growth_mb=round(growth, 1),
          growth_kb_per_fit=round(1024 * growth / max(count - warmup, 1), 2),
          seconds=round(time.perf_counter() - start, 2),
          best_test_auc=round(max(aucs), 4))


def many(calls: int, warmup: int) -> None:
    """`jaxnn.fit_many` of 256 models, called again with other seeds."""
    import numpy as np

    import jaxnn

    x, y = _data(2000)
    rates = list(np.geomspace(1e-4, 3e-2, 64))
    start, warm = time.perf_counter(), None
    for call in range(calls):
        result = jaxnn.fit_many(jaxnn.MLP([16, 2]), (x, y), seeds=range(4 * call, 4 * call + 4),
                                hyperparameters={"learning_rate": rates}, epochs=2,
                                batch_size=64, validation_split=0.25)
        assert len(result) == 256
        del result
        if call + 1 == warmup:
            warm = _line("many", "after_warmup", models=256, calls=warmup,
                         rss_mb=round(rss_mb(), 1), seconds=round(time.perf_counter() - start, 2))
    end = rss_mb()
    _line("many", "end", models=256, calls=calls, warmup_calls=warmup, rss_mb=round(end, 1),
          growth_mb=round(end - warm["rss_mb"], 1),
          growth_kb_per_call=round(1024 * (end - warm["rss_mb"]) / (calls - warmup), 2),
          seconds=round(time.perf_counter() - start, 2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fits", type=int, default=1000, help="fits in the loop")
    parser.add_argument("--warmup", type=int, default=50, help="fits before the first reading")
    parser.add_argument("--many-calls", type=int, default=20, help="calls of fit_many")
    parser.add_argument("--many-warmup", type=int, default=5,
                        help="calls of fit_many before the first reading")
    parser.add_argument("--only", choices=("fits", "many"), help="run one workload")
    parser.add_argument("--workload", choices=("fits", "many"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.warmup < args.fits or not 1 <= args.many_warmup < args.many_calls:
        parser.error("expected 1 <= --warmup < --fits and 1 <= --many-warmup < --many-calls")
    if args.workload == "fits":
        fits(args.fits, args.warmup)
        return 0
    if args.workload == "many":
        many(args.many_calls, args.many_warmup)
        return 0
    for workload in (args.only,) if args.only else ("fits", "many"):
        command = [sys.executable, __file__, "--workload", workload, "--fits", str(args.fits),
                   "--warmup", str(args.warmup), "--many-calls", str(args.many_calls),
                   "--many-warmup", str(args.many_warmup)]
        subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
