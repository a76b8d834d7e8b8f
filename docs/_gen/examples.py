"""The example gallery: run every script in examples/ and write a page with its code, what it
printed and the figures it saved (run by mkdocs-gen-files at every build).

The runs are small (the options below, the same kind of options tests/test_examples.py uses)
so that the whole gallery builds in a few minutes on two cores; each page states the command
that produced it. Outputs are cached in ``$JAXNN_DOCS_CACHE`` (default
``~/.cache/jaxnn/docs-examples``) under a key made of the example's source, its options, this
script and the library's sources: a rebuild reruns only what changed. Environment:

- ``JAXNN_DOCS_EXAMPLES=full``: run the examples with their own (full-size) settings instead.
- ``JAXNN_DOCS_CACHE=off``: run everything, cache nothing.

An example that fails (non-zero exit, or no figure) fails the build.
"""

from __future__ import annotations

import ast
import concurrent.futures
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# Small runs: a few epochs or optimizer steps, small data; the command-line options each
# example already has (see tests/test_examples.py for the smallest ones).
PINN_SMALL = ["--steps", "200", "200", "--quiet"]  # Adam then L-BFGS, float32
SMALL_RUNS: dict[str, list[str]] = {
    "xor_mlp": [],
    "nand_logistic_regression": [],
    "ising_phases_cnn": ["--size", "16", "--t-steps", "11", "--samples", "48",
                         "--equilibration", "200", "--epochs", "4"],
    "pid_classification": ["--tracks", "20000", "--epochs", "5"],
    "susy_mlp": ["--nrows", "4000", "--hidden", "64", "32", "--epochs", "5",
                 "--batch-size", "128"],
    "mnist_cnn": ["--features", "8", "--epochs", "2"],
    "poisson_2d": PINN_SMALL,
    "laplace_disk": PINN_SMALL,
    "helmholtz_2d": PINN_SMALL,
    "poisson_lshape": PINN_SMALL,
    "grad_shafranov": PINN_SMALL,
    "heat_1d": ["--steps", "30", "--quiet"],  # float64 Gauss-Newton
    "lotka_volterra": ["--quick", "--quiet"],  # float64 Gauss-Newton, two fields
    "coupled_bounce": ["--quick", "--quiet"],  # float64 Gauss-Newton, two fields
    "euler_beam": ["--quick", "--quiet"],  # float64 Gauss-Newton, a fourth-order ODE
    "kovasznay_flow": ["--quick", "--quiet"],  # float64 Gauss-Newton, Navier-Stokes u, v, p
}
# Examples that read a data set the user downloads: the build writes a small file of the
# real format (synthetic events and images) and says so on the page.
NEEDS_DATA = {
    "susy_mlp": "a synthetic file in the SUSY format (the label, then 18 features; 3 of them "
                "shifted for signal), not the UCI data set",
    "mnist_cnn": "synthetic IDX files in the MNIST format (each 'digit' a bright bar whose "
                 "height is its label), not the MNIST data set",
}


def write_susy_like(directory: Path, rows: int = 4000) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, rows)
    features = rng.normal(size=(rows, 18)) + 1.0 * labels[:, None] * (np.arange(18) < 3)
    with gzip.open(directory / "SUSY.csv.gz", "wt") as file:
        np.savetxt(file, np.column_stack([labels, features]), delimiter=",", fmt="%.8e")


def write_mnist_like(directory: Path) -> None:
    from jaxnn.data.datasets._mnist import write_idx

    rng = np.random.default_rng(0)
    for prefix, count in (("train", 2000), ("t10k", 500)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = rng.integers(0, 60, (count, 28, 28)).astype(np.uint8)
        for image, label in zip(images, labels, strict=True):
            image[2 * label : 2 * label + 6, 4:24] = 250
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte", labels)


def library_digest() -> str:
    digest = hashlib.sha256()
    for package in ("jaxnn", "pinn"):
        for path in sorted((ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()


def cache_key(name: str, options: list[str], library: str) -> str:
    digest = hashlib.sha256()
    for part in ((EXAMPLES / f"{name}.py").read_bytes(), " ".join(options).encode(),
                 Path(__file__).read_bytes(), library.encode()):
        digest.update(part)
    return digest.hexdigest()[:16]


def run_example(name: str, options: list[str], target: Path) -> None:
    """Run one example into `target` (stdout.txt, seconds.txt, its figures)."""
    work = Path(tempfile.mkdtemp(prefix=f"docs-{name}-"))
    try:
        argv = list(options)
        if name in NEEDS_DATA:
            data = work / "data"
            data.mkdir()
            (write_susy_like if name == "susy_mlp" else write_mnist_like)(data)
            argv += ["--data", str(data)]
        argv += ["--out", str(work / "out")]
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
        start = time.perf_counter()
        process = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *argv],
                                 cwd=work, env=env, capture_output=True, text=True,
                                 timeout=1200, check=False)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            raise RuntimeError(f"docs: examples/{name}.py {' '.join(options)} exited with "
                               f"status {process.returncode}:\n{process.stderr[-3000:]}")
        figures = sorted((work / "out").glob("*.png"))
        if not figures:
            raise RuntimeError(f"docs: examples/{name}.py saved no figure in --out.")
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        for figure in figures:
            shutil.copy(figure, partial / figure.name)
        # The temporary directories are the build's, not the reader's: print paths as given.
        stdout = process.stdout.replace(str(work / "out"), "out").replace(str(work), ".")
        (partial / "stdout.txt").write_text(stdout)
        (partial / "seconds.txt").write_text(f"{seconds:.1f}")
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def docstring(name: str) -> str:
    return ast.get_docstring(ast.parse((EXAMPLES / f"{name}.py").read_text())) or ""


def command(name: str, options: list[str]) -> str:
    extra = " --data DATA" if name in NEEDS_DATA else ""
    return " ".join(["python", f"examples/{name}.py", *options]) + extra


def write_page(name: str, options: list[str], results: Path) -> None:
    doc = docstring(name)
    import mkdocs_gen_files  # the docs extra; importing this file (tests) needs only SMALL_RUNS

    title = doc.splitlines()[0] if doc else name
    source = (EXAMPLES / f"{name}.py").read_text()
    stdout = (results / "stdout.txt").read_text().rstrip() or "(nothing)"
    seconds = (results / "seconds.txt").read_text()
    lines = [f"# `{name}.py`\n", f"{title}\n"]
    lines.append("## What it does\n")
    lines.append("```text\n" + doc + "\n```\n")
    lines.append("## Run in this build\n")
    note = ("small settings for the docs build; the example's own defaults are what its "
            "docstring describes" if options else "the example's own settings")
    lines.append(f"```bash\n{command(name, options)}\n```\n")
    lines.append(f"({note}; {seconds} s on the machine that built these pages, "
                 "start-up and compilation included.)\n")
    if name in NEEDS_DATA:
        lines.append(f"!!! note \"Data\"\n    This build ran it on {NEEDS_DATA[name]}: the "
                     "figures below show that the script runs, not the physics result.\n")
    lines.append("### What it printed\n")
    lines.append("```text\n" + stdout + "\n```\n")
    lines.append("### The figures it saved\n")
    for figure in sorted(results.glob("*.png")):
        with mkdocs_gen_files.open(f"examples/{name}/{figure.name}", "wb") as file:
            file.write(figure.read_bytes())
        lines.append(f"![{figure.name}]({name}/{figure.name})\n")
        lines.append(f"*`{figure.name}`*\n")
    lines.append("## The code\n")
    lines.append(f'```python title="examples/{name}.py"\n{source.rstrip()}\n```\n')
    with mkdocs_gen_files.open(f"examples/{name}.md", "w") as page:
        page.write("\n".join(lines))
    mkdocs_gen_files.set_edit_path(f"examples/{name}.md", f"../examples/{name}.py")


def main() -> None:
    import mkdocs_gen_files

    names = sorted(path.stem for path in EXAMPLES.glob("*.py"))
    full = os.environ.get("JAXNN_DOCS_EXAMPLES", "small") == "full"
    unknown = [name for name in names if name not in SMALL_RUNS and not full]
    if unknown:
        raise SystemExit(f"docs: examples {unknown} have no small docs run: add their options "
                         "to SMALL_RUNS in docs/_gen/examples.py.")
    options = {name: [] if full else SMALL_RUNS[name] for name in names}
    cache_setting = os.environ.get("JAXNN_DOCS_CACHE", "")
    use_cache = cache_setting.lower() not in ("off", "0", "no")
    cache = Path(cache_setting if use_cache and cache_setting else
                 Path.home() / ".cache" / "jaxnn" / "docs-examples")
    if not use_cache:
        cache = Path(tempfile.mkdtemp(prefix="docs-examples-"))
    library = library_digest()
    results = {name: cache / f"{name}-{cache_key(name, options[name], library)}" for name in names}
    todo = [name for name in names if not (results[name] / "stdout.txt").exists()]
    workers = max(1, min(2, os.cpu_count() or 1))
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {pool.submit(run_example, name, options[name], results[name]): name
                   for name in todo}
        for future in concurrent.futures.as_completed(futures):
            future.result()
    if todo:
        print(f"docs: ran {len(todo)} example(s) in {time.perf_counter() - start:.0f} s "
              f"({len(names) - len(todo)} from the cache {cache})", file=sys.stderr)
    for name in names:
        write_page(name, options[name], results[name])
    with mkdocs_gen_files.open("examples/SUMMARY.md", "w") as summary:
        summary.write("* [Gallery](index.md)\n")
        for name in names:
            summary.write(f"* [{name}]({name}.md)\n")
    with mkdocs_gen_files.open("examples/index.md", "w") as page:
        page.write("# Example gallery\n\nEvery script in `examples/`, run when these pages were "
                   "built: its code, what it printed and the figures it saved. The docs build "
                   "runs them with small settings (stated on each page); run a script yourself "
                   "for the full result, e.g. `python examples/poisson_2d.py`.\n\n")
        page.write("| example | what it shows | first figure |\n|---|---|---|\n")
        for name in names:
            title = (docstring(name).splitlines() or [name])[0].replace("|", "\\|")
            first = min(results[name].glob("*.png")).name
            page.write(f"| [`{name}.py`]({name}.md) | {title} | "
                       f"[![{first}]({name}/{first}){{ width=\"160\" }}]({name}.md) |\n")
    if not use_cache:
        shutil.rmtree(cache, ignore_errors=True)


# mkdocs-gen-files runs this file with runpy (run name '<run_path>'); an import builds nothing.
if __name__ in ("__main__", "<run_path>"):
    main()
